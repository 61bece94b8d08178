"""The editable prompt, reply, confirmation and ASR files product owners change without touching code.

``PROMPTS_DIR`` is the one place that says where they are; the voice and agent layers read their files from it.
"""

from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).resolve().parent


def ruled_out_cues() -> tuple[str, ...]:
    """The cues of ``ruled_out.yaml``, most words first, so that "but not" is read before "not"."""
    cues = yaml.safe_load((PROMPTS_DIR / "ruled_out.yaml").read_text(encoding="utf-8"))["cues"]
    return tuple(sorted((str(cue).lower() for cue in cues), key=lambda cue: len(cue.split()), reverse=True))
