"""The compact action encoding: each line decodes to the validated action it stands for."""

from __future__ import annotations

import pytest

from agent.compact.codec import REPLY_CODES, CannedTexts, Screen, decode, default_texts, grammar, said_phrases

SHOWN = [{"id": "p7", "name": "Trailblaze Men's Trail Running Shoe", "brand": "Nordpeak", "price": 89.99,
          "colors": ["Black", "Navy Blue"], "sizes": ["9", "10.5"]},
         {"id": "p12", "name": "Q45 Wireless Headphones", "brand": "Sonari", "price": 120.0, "colors": ["Silver"]}]
CART = {"lines": [{"product_id": "p30", "name": "Everyday T-Shirt", "quantity": 2}]}
SCREEN = Screen.of(SHOWN, CART)


@pytest.mark.parametrize(("line", "expected"), [
    ("search wireless headphones; color black; max 50",
     {"action": "search_products", "query": "wireless headphones", "color": "Black", "max_price": 50}),
    ("search jeans; min 30; max 60.5; sort price_asc",
     {"action": "search_products", "query": "jeans", "min_price": 30, "max_price": 60.5, "sort": "price_asc"}),
    ("search t shirts; size m", {"action": "search_products", "query": "t shirts", "size": "M"}),
    ("get 2", {"action": "get_product", "product_id": "p12"}),
    ("compare 1 2", {"action": "compare_products", "product_ids": ["p7", "p12"]}),
    ("recommend", {"action": "recommend"}),
    ("recommend like 1", {"action": "recommend", "product_id": "p7"}),
    ("recommend the gym", {"action": "recommend", "query": "the gym"}),
    # The grammar lets free words start with "like": not a reference on screen, so they stay words.
    ("recommend like 200", {"action": "recommend", "query": "like 200"}),
    ("recommend like 1 2", {"action": "recommend", "query": "like 1 2"}),
    ("add 1; qty 3; color navy blue; size 10.5",
     {"action": "add_to_cart", "product_id": "p7", "quantity": 3, "color": "Navy Blue", "size": "10.5"}),
    ("add c1", {"action": "add_to_cart", "product_id": "p30", "quantity": 1}),
    ("setqty c1 0", {"action": "update_cart_item", "product_id": "p30", "quantity": 0}),
    ("remove c1", {"action": "remove_from_cart", "product_id": "p30"}),
    ("cart", {"action": "view_cart"}),
    ("checkout", {"action": "checkout"}),
    ("status", {"action": "order_status"}),
    ("status 1042", {"action": "order_status", "order_id": "1042"}),
    ("orders", {"action": "list_orders"}),
    ("cancel 12", {"action": "cancel_order", "order_id": "12"}),
    ("handoff", {"action": "handoff"}),
])
def test_lines_decode_to_actions(line: str, expected: dict) -> None:
    action = decode(line, SCREEN, "the customer's words")
    assert action.model_dump(exclude_none=True) == {**expected, **({"quantity": expected.get("quantity", 1)}
                                                                  if expected["action"] == "add_to_cart" else {})}


def test_faq_question_is_the_customers_own_words() -> None:
    action = decode("faq", SCREEN, "how long does shipping take")
    assert action.model_dump() == {"action": "search_faq", "question": "how long does shipping take"}


def test_codes_map_to_the_editable_texts() -> None:
    texts = default_texts()
    for code in REPLY_CODES:
        assert decode(f"reply {code}", SCREEN, "x").model_dump() == {"action": "reply", "text": texts.reply[code]}
    assert decode("clarify order", SCREEN, "x").question == texts.clarify["order"]
    assert decode("handoff complaint", SCREEN, "x").reason == texts.handoff["complaint"]


@pytest.mark.parametrize("line", ["get 3", "remove c2", "add 0", "compare 1 9", "reply weather", "dance", "search"])
def test_lines_that_do_not_fit_the_screen_are_rejected(line: str) -> None:
    with pytest.raises(ValueError):
        decode(line, SCREEN, "x")


def test_grammar_offers_only_references_on_screen() -> None:
    text = grammar(2, 1)
    ref_rule = next(rule for rule in text.splitlines() if rule.startswith("ref ::="))
    assert sorted(ref_rule.removeprefix("ref ::= ").replace('"', "").split(" | ")) == ["1", "2", "c1"]
    assert '"compare "' in text
    nothing = grammar(0, 0)
    assert "ref ::=" not in nothing and '"add "' not in nothing and '"get "' not in nothing
    assert '"compare "' not in grammar(1, 0)  # one product cannot be compared


def test_missing_code_texts_are_reported(tmp_path) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text("reply: {hello: hi}\nclarify: {}\nhandoff: {}\n")
    with pytest.raises(ValueError, match="reply.thanks"):
        CannedTexts.load(path)


def test_search_brand_and_colour_are_limited_to_words_the_customer_said() -> None:
    said = said_phrases("black nike running shoes under 50 dollars")
    assert {"nike", "black", "black nike", "running shoes"} <= set(said)
    assert not {"under 50", "50 dollars", "shoes under"} & set(said)  # edges that name no brand or colour
    text = grammar(0, 0, said)
    rules = dict(rule.split(" ::= ", 1) for rule in text.splitlines())
    assert rules["searchfacets"] == '("; brand " said)? ("; color " said)?'
    assert sorted(rules["said"].replace('"', "").split(" | ")) == sorted(said)
    assert "water bottle" not in rules["said"]


def test_without_said_words_a_search_has_no_brand_or_colour() -> None:
    text = grammar(0, 0, ())
    assert '"; brand "' not in text and '"; color "' not in text
    assert '"; brand " words' in grammar(0, 0)  # a caller that knows no utterance: any words, as before


def test_a_ruled_out_word_is_no_brand_or_colour_in_the_grammar() -> None:
    said = set(said_phrases("a jacket anything but black without a hood"))
    assert "jacket" in said and "black" not in said
