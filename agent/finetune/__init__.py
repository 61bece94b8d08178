"""The embedded model's understanding kit: compact action encoding, spoken-text normalisation, the compact
prompt, retrieved few-shot examples (runtime), and the task-data generator, LoRA training and GGUF export
(offline jobs). See docs/understanding.md."""
