"""After-purchase task data (issue 14): every new action, lines the turn's grammar admits, order numbers as
said, no order or item where none was named, and the older intents kept for their requests."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from agent.compact.codec import Screen, TurnWords, grammar
from agent.compact.prompt import spoken_form
from tests.gbnf import Grammar
from training.after_purchase_requests import AFTER_PURCHASE, AFTER_PURCHASE_INTENTS, NO_ID_ORDERS, words_admitted
from training.anyshop import mentions_unseen_shop
from training.taskdata import TaskExample, generate

NEW_ACTIONS = {"return_items", "exchange_items", "modify_order_items", "change_order_address", "change_default_address",
               "change_order_payment", "refund_status", "cancel_order"}
EXPECTED = {"after-return": "return_items", "after-return-two": "return_items", "after-return-all": "return_items",
            "after-return-position": "return_items", "after-return-some": "return_items", "after-exchange": "exchange_items",
            "after-modify": "modify_order_items", "after-address": "change_order_address",
            "after-default": "change_default_address", "after-payment": "change_order_payment",
            "after-refund": "refund_status", "after-cancel-reason": "cancel_order",
            "after-contrast-faq": "search_faq", "after-contrast-status": "order_status"}


def _examples(split: str, count: int = 3000, seed: int = 21) -> list[TaskExample]:
    return [e for e in generate(count, split, seed) if e.intent in AFTER_PURCHASE]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def train() -> list[TaskExample]:
    return _examples("train")


@pytest.fixture(scope="module")
def heldout() -> list[TaskExample]:
    return _examples("heldout")


def _before(example: TaskExample) -> tuple[str, ...]:
    """The customer's previous message, as the agent passes it to the turn's words."""
    return tuple(spoken_form(m["content"]) for m in example.history if m["role"] == "user")[-1:]


def test_every_new_action_is_generated_in_both_splits_with_the_intents_tool(train, heldout) -> None:
    for examples in (train, heldout):
        actions = Counter(e.action().action for e in examples)
        assert NEW_ACTIONS <= set(actions), NEW_ACTIONS - set(actions)
        assert {e.intent for e in examples} == AFTER_PURCHASE
    for example in train:
        if example.intent in EXPECTED:
            assert example.action().action == EXPECTED[example.intent], (example.utterance, example.line)


def test_the_new_intents_are_about_an_eighth_of_the_mix(train) -> None:
    assert 0.12 <= len(train) / 3000 <= 0.16
    assert len(AFTER_PURCHASE_INTENTS) >= 10 and all(len(t) >= 5 for _, _, t in AFTER_PURCHASE_INTENTS)


def test_every_line_is_one_the_turns_grammar_admits(train) -> None:
    for example in train[::3]:
        screen = Screen(example.shown, example.cart_lines)
        words = TurnWords.of(screen, spoken_form(example.utterance), before=_before(example))
        assert Grammar.parse(grammar(len(example.shown), len(example.cart_lines), words)).accepts(example.line), \
            (example.utterance, example.line)


def test_words_admitted_catches_a_word_the_customer_did_not_say() -> None:
    assert words_admitted("return; item running shoes", "return the running shoes", [])
    assert not words_admitted("return; item running shoes", "return the running choose", [])
    assert words_admitted("return 12; item jacket", "no it's order 12", [{"role": "user", "content": "return my jacket"}])
    assert not words_admitted("payment; to 4242", "pay with my visa", [])


def test_order_numbers_are_the_ones_said_and_none_without_one(train) -> None:
    for example in train:
        action = example.action()
        said = " ".join(spoken_form(t) for t in (example.utterance, *(m["content"] for m in example.history)))
        if action.action in NEW_ACTIONS and getattr(action, "order_id", None):
            assert action.order_id in re.sub(r"\D", "", said.replace(" ", "")), (example.utterance, example.line)
        if any(phrase in example.utterance for phrase in NO_ID_ORDERS) and not re.search(r"\d", said):
            assert getattr(action, "order_id", None) is None, (example.utterance, example.line)


def test_everything_names_no_item_and_positions_are_numbers(train) -> None:
    every = [e for e in train if e.intent == "after-return-all"]
    assert every and all(e.action().items is None for e in every)
    positions = [e for e in train if e.intent == "after-return-position"]
    assert positions and all(e.action().items[0].line for e in positions)
    named = [e for e in train if e.intent == "after-return"]
    assert named and all(e.action().items[0].name in spoken_form(e.utterance) for e in named)


def test_variants_methods_reasons_and_corrections(train) -> None:
    lines = [e.line for e in train]
    for field in ("; size ", "; color ", "; opt ", "; pay ", "; refund gift card", "; refund original",
                  "; reason mistake", "; reason unneeded"):
        assert any(field in line for line in lines), field
    methods = Counter(e.action().method for e in train if e.intent == "after-payment")
    assert {"paypal", "gift card"} <= set(methods) and any(m.isdigit() for m in methods)
    corrections = [e for e in train if e.intent == "after-correct"]
    assert corrections and all(e.history for e in corrections)


def test_contrasts_keep_the_older_intents(train) -> None:
    refunds = [e for e in train if e.intent == "after-refund"]
    unnumbered = [e for e in refunds if not re.search(r"\d", spoken_form(e.utterance))]
    assert unnumbered and {e.line for e in unnumbered} == {"refund"}  # "where's my refund": the latest one
    assert {e.line.split()[0] for e in train if e.intent == "after-contrast-status"} == {"status"}
    assert {e.line for e in train if e.intent == "after-contrast-faq"} == {"faq"}


def test_customer_styles_and_no_unseen_shop_words(train, heldout) -> None:
    said = [e.utterance for e in train]
    assert sum(len(s.split()) <= 4 for s in said) > 10, "keyword-only and terse requests"
    assert any(len(s.split()) >= 16 for s in said), "rambling requests"
    assert any(w in s.split() for s in said for w in ("ordr", "oder", "refnd", "adress", "retrun", "exchnage"))
    for example in train + heldout:
        texts = [example.utterance, *(m["content"] for m in example.history)]
        assert not [t for t in texts if mentions_unseen_shop(t)], example.intent


def test_some_of_an_item_goes_back_with_its_quantity(train) -> None:
    some = [e for e in train if e.intent == "after-return-some"]
    assert some
    for example in some:
        (item,) = example.action().items
        assert item.name in spoken_form(example.utterance) and 1 <= item.quantity <= 4, (example.utterance, example.line)


def test_new_addresses_are_the_customers_words_sorted_into_fields(train) -> None:
    new = [e for e in train if e.intent in ("after-address", "after-default") and "; street " in e.line]
    labels = [e for e in train if e.intent in ("after-address", "after-default") and "; street " not in e.line]
    assert len(new) >= 10 and len(labels) >= len(new)  # saved labels stay the commoner request
    countries = Counter(e.action().address.country for e in new)
    assert {"US", "GB"} <= set(countries), countries
    for example in new:
        address, said = example.action().address, spoken_form(example.utterance)
        assert address.line1.lower() in said and address.city.lower() in said, (example.utterance, example.line)
        assert address.postal_code.lower() in said, (example.utterance, example.line)
