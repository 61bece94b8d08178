"""The embedded model's compact prompting, used on every turn: the one-line action encoding (``codec``),
spoken-text normalisation and the compact prompt (``prompt``), and retrieved few-shot examples (``fewshot``).
The offline jobs that teach a model this encoding (task data, LoRA training, export) live in ``training/``.
See docs/understanding.md."""
