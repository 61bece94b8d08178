"""Spoken variant choice: the product card's own values picked from the action and the customer's words, a
value the product lacks asked about (listing what it has), and the variant said in replies and read-backs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm import ChatClient
from agent.prompts import Prompts, line_label
from agent.readback import describe_changes
from agent.understand import Understander, UnderstandOptions
from agent.variant_choice import refused_choice, settle_variant
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


def test_a_value_the_product_lacks_is_reported_not_guessed() -> None:
    assert settle_variant(_add(product_id="p91", options={"Storage": "512 gb"}), SHOWN, "the 512 gig") == \
        Unmatched("512 gb", "Storage", ("128 GB", "256 GB"))
    assert settle_variant(_add(product_id="p90", modifiers=["almond milk"]), SHOWN, "with almond milk") == \
        Unmatched("almond milk", None, ("Oat milk", "Extra shot"))


def test_products_without_options_and_other_actions_pass_unchanged() -> None:
    plain = _add(product_id="p5", color="red")
    assert settle_variant(plain, SHOWN, "the red one") is plain  # not on screen: the shop answers for itself
    search = parse_action({"action": "search_products", "query": "latte"})
    assert settle_variant(search, SHOWN, "latte in large") is search


async def test_the_understander_asks_when_the_product_lacks_the_value() -> None:
    model = ScriptedCompletions(" add 2; opt storage=512 gig")
    client = ChatClient("http://llm/v1", "scripted", transport=model, embedded=True, adapter=Path("a.gguf"))
    understander = Understander(client, Prompts(), UnderstandOptions(mode="compact"))
    decision = await understander.choose([{"role": "user", "content": "the 512 gig one"}], SHOWN, None, [])
    assert decision.action is not None and decision.action.action == "clarify"
    assert "Pixel Phone doesn't come in 512 gig" in decision.action.question
    assert "128 GB, 256 GB" in decision.action.question
    grammar = model.requests[0]["grammar"]
    assert 'optname ::= "storage"' in grammar  # colour is the shorthand field, not an option name
    assert '"256 gb"' in grammar and '"512 gig"' in grammar  # the product's values and the customer's words


def test_the_shops_refusal_becomes_the_same_question() -> None:
    outcome = {"tool": "add_to_cart", "ok": False, "status": 422, "error": "no such variant",
               "body": {"code": "no_such_variant", "options": [{"name": "Size", "values": ["Small", "Large"]}]}}
    problem = refused_choice(outcome, {"product_id": "p90", "size": "medium"})
    assert problem == Unmatched("medium", "Size", ("Small", "Large"))
    reply = Prompts().reply("add_to_cart.unavailable", product="Latte", said=problem.said, option=problem.option,
                            offered=list(problem.offered))
    assert reply == "Latte doesn't come in medium. The size choices are Small, Large. Which would you like?"
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
