"""The domain prompt: the editable template first, then catalog names, within Whisper's prompt window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from tests.speech import SEEDED_CATEGORIES
from voice.asr import _bundled_tiny_en
from voice.prompt import (
    DEFAULT_PROMPT_FILE,
    WHISPER_PROMPT_TOKEN_LIMIT,
    CatalogVocabulary,
    build_domain_prompt,
    load_prompt_template,
)

TokenCounter = Callable[[str], int]


@pytest.fixture(scope="module")
def count_tokens() -> TokenCounter:
    """Whisper's own tokenizer, from the bundled model folder."""
    tokenizer = Tokenizer.from_file(str(_bundled_tiny_en() / "tokenizer.json"))
    return lambda text: len(tokenizer.encode(" " + text, add_special_tokens=False).ids)


def test_template_is_read_from_the_editable_file(tmp_path: Path) -> None:
    assert DEFAULT_PROMPT_FILE.parent.name == "prompts"
    assert "shop" in load_prompt_template()
    custom = tmp_path / "asr_prompt.txt"
    custom.write_text("A customer orders\n  flowers and   seeds.\n")
    assert load_prompt_template(custom) == "A customer orders flowers and seeds."


def test_categories_then_brands_are_appended(count_tokens: TokenCounter) -> None:
    prompt = build_domain_prompt("Shop talk.", CatalogVocabulary(("Running Shoes", "Toys"), ("Acme", "Zentro")),
                                 count_tokens)
    assert prompt == "Shop talk. Categories: Running Shoes, Toys. Brands: Acme, Zentro."


def test_many_brands_are_cut_to_the_budget_keeping_the_template_and_categories(count_tokens: TokenCounter) -> None:
    brands = tuple(f"Brandname{i}" for i in range(300))
    template = load_prompt_template()
    prompt = build_domain_prompt(template, CatalogVocabulary(SEEDED_CATEGORIES, brands), count_tokens, max_tokens=200)
    assert count_tokens(prompt) <= 200 < WHISPER_PROMPT_TOKEN_LIMIT
    assert prompt.startswith(template)
    assert all(category in prompt for category in SEEDED_CATEGORIES)
    assert "Brandname0," in prompt and "Brandname299" not in prompt


def test_a_template_over_the_budget_is_an_error_not_a_silent_cut(count_tokens: TokenCounter) -> None:
    with pytest.raises(ValueError, match="shorten"):
        build_domain_prompt("word " * 300, CatalogVocabulary(), count_tokens)


def test_option_names_and_values_follow_the_brands(count_tokens: TokenCounter) -> None:
    vocabulary = CatalogVocabulary(("Coffee",), ("Kaffa",), ("Grind", "Milk"), ("Espresso", "Oat milk"))
    prompt = build_domain_prompt("Shop talk.", vocabulary, count_tokens)
    assert prompt == "Shop talk. Categories: Coffee. Brands: Kaffa. Options: Grind, Milk. Choices: Espresso, Oat milk."
    assert vocabulary.names == ("Kaffa", "Espresso", "Oat milk")  # what misheard words are corrected to
