"""The consent rules: only an unambiguous yes to the question asked is a yes."""

import pytest

from agent.consent import classify_consent, default_rules
from agent.prompts import PROMPTS_DIR

RULES = default_rules(PROMPTS_DIR / "confirmation.yaml")


@pytest.mark.parametrize("text,expected", [
    ("yes", "yes"), ("Yeah, go ahead.", "yes"), ("ok place the order", "yes"), ("sure", "yes"), ("yesss", "yes"),
    ("no", "no"), ("no thanks", "no"), ("wait, don't", "no"), ("yes no wait", "no"), ("absolutely not", "no"),
    ("I'm not sure", "unclear"), ("is that correct?", "unclear"), ("is that correct", "unclear"),
    ("do it later", "unclear"), ("yes if it ships today", "unclear"), ("", "unclear"),
    ("show me red sneakers instead", "other"), ("yesterday I ordered shoes", "other"),
    ("ok show me some socks instead", "other"), ("no, show me socks", "other"),
    ("yes and also can you find me a backpack for hiking with many pockets", "other"),
])
def test_answers_to_a_checkout_question(text: str, expected: str) -> None:
    assert classify_consent(text, RULES, "checkout") == expected


def test_the_question_s_own_words_count_only_for_that_question() -> None:
    assert classify_consent("yes cancel order 1042", RULES, "cancel_order", ["1042"]) == "yes"
    assert classify_consent("yes cancel order 1043", RULES, "cancel_order", ["1042"]) != "yes"
    assert classify_consent("cancel it", RULES, "cancel_order", ["1042"]) == "yes"
    assert classify_consent("cancel it", RULES, "checkout") != "yes"


def test_no_hand_written_non_yes_answer_is_taken_as_consent() -> None:
    from bench.confirmation import classify_all, load_answers

    answers = load_answers()
    got = classify_all(answers)
    accepted = [a.text for a, g in zip(answers, got, strict=True) if g == "yes" and a.label != "yes"]
    assert accepted == []
    plain = [g for a, g in zip(answers, got, strict=True) if a.kind in ("plain_yes", "polite_yes", "filler_yes")]
    assert plain.count("yes") / len(plain) >= 0.9


def test_one_typo_away_reads_as_the_word_only_towards_a_plain_yes() -> None:
    assert classify_consent("confrim", RULES, "checkout") == "yes"
    assert classify_consent("yes plaese", RULES, "checkout") == "yes"
    assert classify_consent("yes cancel order 1043", RULES, "cancel_order", ["1042"]) != "yes"
    assert classify_consent("cancel all my orders", RULES, "cancel_order", ["1042"]) != "yes"
    assert classify_consent("yes abrot", RULES, "checkout") != "yes", "one typo from 'abort' must not be a yes"
    assert classify_consent("yes cancle it", RULES, "checkout") != "yes", "cancel is no action of a checkout"


def test_im_good_and_im_fine_are_no_yes() -> None:
    for text in ("i'm good", "I'm fine thanks", "we're good", "im good"):
        assert classify_consent(text, RULES, "checkout") != "yes", text
