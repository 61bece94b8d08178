"""The consent rules: only an unambiguous yes to the question asked is a yes."""

import pytest

from agent.consent import classify_consent, default_rules, read_answer
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
    from bench.confirmation import SETS, classify_all, load_answers

    for path in SETS.values():  # every set, held-out splits included: a wrong yes is never tolerated
        answers = load_answers(path)
        got = classify_all(answers)
        accepted = [a.text for a, g in zip(answers, got, strict=True) if g == "yes" and a.label != "yes"]
        assert accepted == [], path.name
    answers = load_answers()
    got = classify_all(answers)
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


def test_the_answer_is_cut_where_fewest_words_are_left_unknown() -> None:
    # longest-first would read "yes go" and leave "ahead" unknown; "i do not" stays one no, not "i do" + "not"
    assert classify_consent("cheers yes go ahead", RULES, "checkout") == "yes"
    assert classify_consent("i do not", RULES, "checkout") == "no"


def test_a_doubled_letter_is_read_only_where_the_word_has_one() -> None:
    assert classify_consent("yesss okk", RULES, "checkout") == "yes"
    # "to" is not "too" (a request word: "that one too"), so "refund to the visa" asks for nothing new
    assert read_answer("yes refund to the visa", RULES, "return_items").kinds == ("yes", "action", "word", "filler",
                                                                                "word")


def test_a_word_cut_off_is_no_yes() -> None:
    assert classify_consent("y", RULES, "checkout") == "yes"
    for text in ("y-", "ye-", "ok pla-"):
        assert classify_consent(text, RULES, "checkout") != "yes", text


def test_each_word_of_an_item_the_customer_named_is_the_questions_own() -> None:
    subject = ["1042", "running shoes"]
    assert classify_consent("yes return the shoes", RULES, "return_items", subject) == "yes"
    assert classify_consent("yes return the running shoe", RULES, "return_items", subject) == "yes"
    assert classify_consent("yes return the jacket", RULES, "return_items", subject) != "yes"
    # a word of a no, hedge or request phrase in an item's name never becomes the question's own word
    socks = ["1042", "no show socks"]
    assert classify_consent("no", RULES, "return_items", socks) == "no"
    assert classify_consent("yes return the socks", RULES, "return_items", socks) == "yes"
    assert classify_consent("show the socks", RULES, "return_items", socks) != "yes"
