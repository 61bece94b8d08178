"""The editable prompt, reply, confirmation and ASR files product owners change without touching code.

``PROMPTS_DIR`` is the one place that says where they are; the voice and agent layers read their files from it.
"""

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
