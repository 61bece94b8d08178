import pytest

from agent.graph import classify_confirmation


@pytest.mark.parametrize("text,expected", [
    ("yes", "yes"), ("Yeah, go ahead.", "yes"), ("ok place the order", "yes"), ("sure", "yes"),
    ("no", "no"), ("no thanks", "no"), ("wait, don't", "no"), ("yes no wait", "no"),
    ("show me red sneakers instead", "other"), ("yesterday I ordered shoes", "other"),
    ("yes and also can you find me a backpack for hiking with many pockets", "other"),
])
def test_classify_confirmation(text: str, expected: str) -> None:
    assert classify_confirmation(text) == expected
