"""The benchmark's scoring: spelling variants are not errors, real mistakes are."""

from __future__ import annotations

import pytest

from bench.asr_bench import digit_error_rate, word_error_rate


@pytest.mark.parametrize(("reference", "hypothesis"), [
    ("show me running shoes under fifty dollars", "Show me running shoes under $50."),
    ("checkout please", "Check out, please."),
    ("add two of the blue t-shirts", "Add 2 of the blue T-shirts!"),
])
def test_spelling_variants_score_zero(reference: str, hypothesis: str) -> None:
    assert word_error_rate([reference], [hypothesis]) == 0.0


def test_wrong_and_missing_words_count() -> None:
    assert word_error_rate(["add it to my cart"], ["add it to my card"]) == pytest.approx(1 / 5)
    assert word_error_rate(["what is in my cart"], [""]) == 1.0  # silence where speech was: every word lost


def test_digits_are_compared_however_they_are_written() -> None:
    reference = "one zero zero zero one nine oh two one oh"
    assert digit_error_rate(reference, "1-0-0-0-1, 90210.") == 0.0
    assert digit_error_rate(reference, "10001 90211") == pytest.approx(1 / 10)
