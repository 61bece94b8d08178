"""The compact prompt and the spoken-text normalisation shared by training and serving."""

from __future__ import annotations

import pytest

from agent.compact.prompt import Example, PromptInput, render, spoken_form


@pytest.mark.parametrize(("said", "expected"), [
    ("Find headphones under fifty dollars!", "find headphones under 50 dollars"),
    ("find headphones under $50", "find headphones under 50 dollars"),
    ("Add the second one, please.", "add the second one please"),
    ("where's order #1042?", "where's order 1042"),
    ("size 10.5", "size 10.5"),
    ("a hundred and twenty five bucks", "a 125 bucks"),
    ("", ""),
])
def test_spoken_form(said: str, expected: str) -> None:
    assert spoken_form(said) == expected


def _data() -> PromptInput:
    return PromptInput(
        utterance="add the second one",
        shown=[{"id": "p1", "name": "Trailblaze Running Shoe", "brand": "Nordpeak", "price": 89.99},
               {"id": "p2", "name": "Sonari Q45 Headphones", "brand": "Sonari", "price": 120}],
        cart_lines=[{"product_id": "p9", "name": "Everyday T-Shirt", "quantity": 2}],
        history=[{"role": "user", "content": "Show me SHOES!"},
                 {"role": "assistant", "content": "I found 12 matches. 1: Trailblaze Running Shoe, $89.99. 2: more"}],
        examples=[Example("add it", "add 1")])


def test_layout_static_first_question_last() -> None:
    text = render(_data(), explain=False)
    lines = text.split("\n")
    assert lines[0] == "shop actions"
    assert lines[1:4] == ["cart:", "c1 Everyday T-Shirt x2", "shown:"]
    assert lines[4:6] == ["1 Nordpeak Trailblaze Running Shoe", "2 Sonari Q45 Headphones"]  # brand not repeated
    assert lines[6:8] == ["user: add it", "A: add 1"]  # an example looks like the question it precedes
    assert lines[8] == "user: show me shoes"
    assert lines[9].startswith("bot: I found 12 matches.") and len(lines[9].split()) <= 9
    assert lines[-2:] == ["user: add the second one", "A:"]
    assert not text.endswith("\n")


def test_explain_lists_the_codes_and_is_the_only_difference() -> None:
    plain, explained = render(_data(), explain=False), render(_data(), explain=True)
    assert "setqty" in explained and "setqty" not in plain
    assert explained.endswith(plain.removeprefix("shop actions\n"))


def test_empty_screen_has_no_sections() -> None:
    text = render(PromptInput("hello"), explain=False)
    assert text == "shop actions\nuser: hello\nA:"
