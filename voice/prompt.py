"""The domain prompt that tells Whisper it is listening to a shopper, so product words come out right.

Whisper conditions its decoding on a text prompt (``initial_prompt``): words it has just "seen" there are
recognised and spelled far more reliably. The prompt is an editable sentence from ``prompts/asr_prompt.txt``
followed by the catalog's own category and brand names, trimmed to fit Whisper's prompt window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from prompts import PROMPTS_DIR

DEFAULT_PROMPT_FILE = PROMPTS_DIR / "asr_prompt.txt"

WHISPER_PROMPT_TOKEN_LIMIT = 223
"""Whisper keeps only the last 223 tokens of a prompt (half its 448-token text context, minus one)."""


@dataclass(frozen=True)
class CatalogVocabulary:
    """Names from the shop catalog worth priming the recogniser with, most important first."""

    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()


def load_prompt_template(path: Path = DEFAULT_PROMPT_FILE) -> str:
    """Read the editable prompt sentence, folding its line breaks into single spaces."""
    return " ".join(path.read_text(encoding="utf-8").split())


def build_domain_prompt(
    template: str,
    vocabulary: CatalogVocabulary,
    count_tokens: Callable[[str], int],
    max_tokens: int = 200,
) -> str:
    """Join the template and as many category and brand names as fit in ``max_tokens`` Whisper tokens.

    Categories go first because every catalog has few of them and shoppers name them most; brands fill
    what is left. Whisper silently drops the *start* of an over-long prompt, which would lose the
    template, so the budget is enforced here instead.
    """
    if count_tokens(template) > max_tokens:
        raise ValueError(f"The ASR prompt template alone is longer than {max_tokens} tokens: shorten it.")
    prompt = template
    for label, names in (("Categories", vocabulary.categories), ("Brands", vocabulary.brands)):
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


async def fetch_catalog_vocabulary(shop: httpx.AsyncClient) -> CatalogVocabulary:
    """Read category and brand names from the shop API (``GET /categories``, ``GET /brands``).

    ``shop`` must have the shop's base URL and, in the embedded set-up, the in-process ASGI transport.
    Names are ordered by product count so the budget keeps the ones shoppers meet most.
    """
    names: dict[str, tuple[str, ...]] = {}
    for endpoint in ("categories", "brands"):
        response = await shop.get(f"/{endpoint}")
        response.raise_for_status()
        entries = sorted(response.json(), key=lambda entry: -int(entry.get("count", 0)))
        names[endpoint] = tuple(str(entry["name"]) for entry in entries)
    return CatalogVocabulary(categories=names["categories"], brands=names["brands"])
