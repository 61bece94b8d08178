"""The domain prompt that tells Whisper it is listening to a shopper, so product words come out right.

Whisper conditions its decoding on a text prompt (``initial_prompt``): words it has just "seen" there are
recognised and spelled far more reliably. The prompt is an editable sentence from ``prompts/asr_prompt.txt``
followed by the catalog's own words (categories, brands, option names and values), trimmed to fit Whisper's
prompt window. The app reads those words from the shop and hands them over again whenever the catalog changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from prompts import PROMPTS_DIR

DEFAULT_PROMPT_FILE = PROMPTS_DIR / "asr_prompt.txt"

WHISPER_PROMPT_TOKEN_LIMIT = 223
"""Whisper keeps only the last 223 tokens of a prompt (half its 448-token text context, minus one)."""


@dataclass(frozen=True)
class CatalogVocabulary:
    """Names from the shop catalog worth priming the recogniser with, most important first."""

    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    option_names: tuple[str, ...] = ()  # "Storage", "Grind", "Milk"
    option_values: tuple[str, ...] = ()  # "256 GB", "Espresso", "Oat milk" (add-ons too)

    @property
    def names(self) -> tuple[str, ...]:
        """What misheard words are corrected to (``voice/names.py``): the brands, then option values."""
        return (*self.brands, *self.option_values)


def load_prompt_template(path: Path = DEFAULT_PROMPT_FILE) -> str:
    """Read the editable prompt sentence, folding its line breaks into single spaces."""
    return " ".join(path.read_text(encoding="utf-8").split())


def build_domain_prompt(
    template: str,
    vocabulary: CatalogVocabulary,
    count_tokens: Callable[[str], int],
    max_tokens: int = 200,
) -> str:
    """Join the template and as many catalog words as fit in ``max_tokens`` Whisper tokens.

    Categories go first because every catalog has few of them and shoppers name them most; then brands,
    option names and option values, each as far as the budget goes. Whisper silently drops the *start* of an
    over-long prompt, which would lose the template, so the budget is enforced here instead.
    """
    if count_tokens(template) > max_tokens:
        raise ValueError(f"The ASR prompt template alone is longer than {max_tokens} tokens: shorten it.")
    prompt = template
    for label, names in (("Categories", vocabulary.categories), ("Brands", vocabulary.brands),
                         ("Options", vocabulary.option_names), ("Choices", vocabulary.option_values)):
        prompt = _append_names(prompt, label, names, count_tokens, max_tokens)
    return prompt


def _append_names(
    prompt: str, label: str, names: Sequence[str], count_tokens: Callable[[str], int], max_tokens: int
) -> str:
    """Append ``label: a, b, c.`` with the longest prefix of ``names`` that keeps the prompt in budget."""
    kept: list[str] = []
    for name in names:
        candidate = f"{prompt} {label}: {', '.join([*kept, name])}."
        if count_tokens(candidate) > max_tokens:
            break
        kept.append(name)
    return f"{prompt} {label}: {', '.join(kept)}." if kept else prompt
