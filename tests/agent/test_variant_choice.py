"""Spoken variant choice: the product card's own values picked from the action and the customer's words, a
value the product lacks asked about (listing what it has), and the variant said in replies and read-backs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm import ChatClient
from agent.prompts import Prompts, line_label
from agent.readback import describe_changes
from agent.understand import Understander, UnderstandOptions
from agent.variant_choice import question_data, refused_choice, settle_variant
from tests.agent.doubles import ScriptedCompletions
from tools import parse_action
from tools.variants import Unmatched

LATTE = {"id": "p90", "name": "Latte", "price": 3.8, "sizes": ["Small", "Large"],
         "options": [{"name": "Size", "values": ["Small", "Large"]}],
         "modifiers": [{"name": "Oat milk", "price": 0.5, "group": "Milk"}, {"name": "Extra shot", "price": 0.7}]}
PHONE = {"id": "p91", "name": "Pixel Phone", "price": 499.0, "colors": ["Black", "Blue"],
         "options": [{"name": "Color", "values": ["Black", "Blue"]},
                     {"name": "Storage", "values": ["128 GB", "256 GB"]}]}
COFFEE = {"id": "p92", "name": "House Espresso Beans", "price": 9.5,
          "options": [{"name": "Weight", "values": ["250 g", "1 kg"]},
                      {"name": "Grind", "values": ["Whole Bean", "Espresso", "Filter"]}]}
SHOWN = [LATTE, PHONE, COFFEE]


def _add(**args) -> object:
    return parse_action({"action": "add_to_cart", **args})


@pytest.mark.parametrize(("args", "utterance", "expected"), [
    ({"product_id": "p91", "color": "blue"}, "the blue one", {"color": "Blue"}),
    ({"product_id": "p91"}, "the 256 gig in blue", {"color": "Blue", "options": {"Storage": "256 GB"}}),
    ({"product_id": "p90", "size": "l"}, "a large latte", {"size": "Large"}),
    ({"product_id": "p90"}, "make it oat milk", {"modifiers": ["Oat milk"]}),
    ({"product_id": "p90", "modifiers": ["oat"]}, "large with oat please",
     {"size": "Large", "modifiers": ["Oat milk"]}),
    ({"product_id": "p92"}, "the 1 kilo bag espresso grind", {"options": {"Weight": "1 kg", "Grind": "Espresso"}}),
])
def test_the_variant_said_is_the_products_own(args: dict, utterance: str, expected: dict) -> None:
    settled = settle_variant(_add(**args), SHOWN, utterance)
    assert settled.model_dump(exclude_none=True) == {"action": "add_to_cart", "product_id": args["product_id"],
                                                     "quantity": 1, **expected}


def test_a_value_the_product_lacks_stays_as_said_never_swapped() -> None:
    lacking = settle_variant(_add(product_id="p91", options={"storage": "512 gb"}, color="blu"), SHOWN, "the 512 gig")
    assert lacking.options == {"Storage": "512 gb"} and lacking.color == "Blue"  # for the shop to refuse
    milk = settle_variant(_add(product_id="p90", modifiers=["almond milk"], size="large"), SHOWN, "with almond milk")
    assert milk.modifiers == ["almond milk"] and milk.size == "Large"
    size = settle_variant(_add(product_id="p90", size="medium"), SHOWN, "a medium one")
    assert size.size == "medium" and size.options is None


def test_products_without_options_and_other_actions_pass_unchanged() -> None:
    plain = _add(product_id="p5", color="red")
    assert settle_variant(plain, SHOWN, "the red one") is plain  # not on screen: the shop answers for itself
    search = parse_action({"action": "search_products", "query": "latte"})
    assert settle_variant(search, SHOWN, "latte in large") is search


async def test_the_understander_settles_the_variant_from_the_line_and_the_words() -> None:
    model = ScriptedCompletions(" add 2; opt storage=256 gig", " add 2; opt storage=512 gig")
    client = ChatClient("http://llm/v1", "scripted", transport=model, embedded=True, adapter=Path("a.gguf"))
    understander = Understander(client, Prompts(), UnderstandOptions(mode="compact"))
    decision = await understander.choose([{"role": "user", "content": "the 256 gig one in blue"}], SHOWN, None, [])
    assert decision.action.model_dump(exclude_none=True) == {"action": "add_to_cart", "product_id": "p91",
                                                             "quantity": 1, "color": "Blue",
                                                             "options": {"Storage": "256 GB"}}
    lacking = await understander.choose([{"role": "user", "content": "the 512 gig one"}], SHOWN, None, [])
    assert lacking.action.options == {"Storage": "512 gig"}  # not a value it has: the shop refuses, we ask
    first, second = model.requests[0]["grammar"], model.requests[1]["grammar"]
    assert 'optname ::= "storage"' in first  # colour is the shorthand field, not an option name
    assert '"256 gb"' in first and '"128 gb"' in first  # the product's values ...
    assert '"512 gig"' in second and '"512 gig"' not in first  # ... and this turn's words of the customer


def test_the_shops_refusal_becomes_the_same_question() -> None:
    outcome = {"tool": "add_to_cart", "ok": False, "status": 422, "error": "no such variant",
               "body": {"code": "no_such_variant", "options": [{"name": "Size", "values": ["Small", "Large"]}]}}
    problem = refused_choice(outcome, {"product_id": "p90", "size": "medium"})
    assert problem == Unmatched("medium", "Size", ("Small", "Large"))
    reply = Prompts().reply("add_to_cart.unavailable", product="Latte", said=problem.said, option=problem.option,
                            offered=list(problem.offered))
    assert reply == "Latte does not come in size medium. It comes in Small, Large. Which would you like?"
    assert refused_choice({**outcome, "status": 409}, {"product_id": "p90", "size": "medium"}) is None


CART_LINE = {"product_id": "p90", "name": "Latte", "quantity": 1, "variant_id": 2, "options": {"Size": "Large"},
             "modifiers": [{"name": "Oat milk", "price": 0.5}], "unit_price": 4.8, "line_total": 4.8}


def test_replies_and_read_backs_say_the_variant() -> None:
    prompts = Prompts()
    cart = {"lines": [CART_LINE], "item_count": 1, "subtotal": 4.8, "fingerprint": "f"}
    assert line_label(CART_LINE) == "Latte, Large, Oat milk"
    assert prompts.reply("add_to_cart", cart=cart, line=CART_LINE).startswith(
        "Added Latte, Large, Oat milk, $4.80 to your cart.")
    assert "1 × Latte, Large, Oat milk, $4.80" in prompts.reply("view_cart", cart=cart)
    assert "1 × Latte, Large, Oat milk, $4.80" in prompts.reply("checkout.confirm", cart=cart)
    small = {**CART_LINE, "variant_id": 1, "options": {"Size": "Small"}, "unit_price": 4.3}
    changed = describe_changes(cart, {**cart, "lines": [small]})
    assert changed == ("Your cart changed since I asked: Latte, Large, Oat milk was removed and "
                       "1 × Latte, Small, Oat milk was added.")


def test_an_add_that_names_no_variant_is_asked_which() -> None:
    outcome = {"tool": "add_to_cart", "ok": False, "status": 422, "error": "say which variant",
               "body": {"options": [{"name": "Size", "values": ["Small", "Large"]},
                                    {"name": "Milk", "values": ["Whole", "Oat"]}]}}
    problem = refused_choice(outcome, {"product_id": "p90"})
    reply = Prompts().reply("add_to_cart.unavailable", product="Latte", said=problem.said, option=problem.option,
                            offered=list(problem.offered))
    assert reply == "Latte comes in Size: Small, Large; Milk: Whole, Oat. Which would you like?"


def test_a_sold_out_variant_is_said_to_be_sold_out_not_missing() -> None:
    outcome = {"tool": "add_to_cart", "ok": False, "status": 422, "error": "not for sale",
               "body": {"sold_out": True, "options": [{"name": "Size", "values": ["Small", "Large"]}]}}
    problem = refused_choice(outcome, {"product_id": "p90", "size": "Large"})
    reply = Prompts().reply("add_to_cart.unavailable", **question_data(problem, "Latte", sold_out=True))
    assert reply == "Latte is sold out in Large. It comes in Size: Small, Large. Which would you like?"
    assert "does not come in Large" in Prompts().reply("add_to_cart.unavailable", **question_data(problem, "Latte"))
