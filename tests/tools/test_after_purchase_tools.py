"""The after-purchase tools find the order and its items from the shop, never from the model: an item named in
the customer's words is matched against the order's own lines, no order number means the most recent order the
change applies to that holds those items, no items means all of them; a name that fits no line or several is
said back with the order's items, and nothing is sent to the shop.

Real shop (the small seeded one): the demo customer's order 4 is delivered (a Dutch oven, then running shoes),
order 1 was delivered long ago (past the return window), 6 is processing and 7 pending.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tools import Confirmation, ShopClient, ShopError, ToolContext, parse_action, run_action
from tools.after_purchase import Item, ItemChange, lines_named, resolve_items

ORDER = {"id": "9", "lines": [
    {"name": "Swiftstride Unisex Trail Running Shoe", "options": {"Color": "Grey", "Size": "7"}, "quantity": 1,
     "product_id": "p1", "returned_quantity": 0},
    {"name": "Velvet Blush", "options": {"Color": "Beige"}, "quantity": 1, "product_id": "p2", "returned_quantity": 0},
    {"name": "Nude Blush", "options": {"Color": "Beige"}, "quantity": 3, "product_id": "p3", "returned_quantity": 0},
]}


@pytest.mark.parametrize("said, positions", [
    ("running shoes", [1]), ("the grey trail shoes", [1]), ("runing shoe", [1]), ("the velvet blush", [2]),
    ("blushes", [2, 3]), ("beige blush", [2, 3]), ("keyboard", []), ("size 8 shoes", []), ("the Nude one", [3]),
])
def test_a_name_fits_the_lines_that_have_every_word_said(said: str, positions: list[int]) -> None:
    assert lines_named(said, ORDER["lines"]) == positions


def test_names_become_positions_and_no_items_means_every_item() -> None:
    assert resolve_items(ORDER, [Item(name="the shoes"), Item(name="nude blush", quantity=2)]) == [
        {"line": 1}, {"line": 3, "quantity": 2}]
    assert resolve_items(ORDER, None) == [{"line": 1}, {"line": 2}, {"line": 3}]
    assert resolve_items(ORDER, [ItemChange(size="8")])[0] == {"line": 1, "options": {"Size": "8"}}
    assert resolve_items(ORDER, [Item(name="them")]) == [{"line": 1}, {"line": 2}, {"line": 3}]  # points, names none
    assert resolve_items(ORDER, [Item(line=2)]) == [{"line": 2}]  # a position goes as it is: the shop checks it


def test_an_ambiguous_or_unknown_name_is_said_back_with_the_orders_items() -> None:
    with pytest.raises(ShopError) as ambiguous:
        resolve_items(ORDER, [Item(name="the blush")])
    assert ambiguous.value.status == 409
    assert ambiguous.value.detail == ("Order 9 has more than one blush: Velvet Blush (Beige) or "
                                      "3 × Nude Blush (Beige)? Say which one.")
    with pytest.raises(ShopError) as unknown:
        resolve_items(ORDER, [Item(name="the keyboard")])
    assert unknown.value.status == 404 and "Order 9 has no keyboard; it has Swiftstride" in unknown.value.detail
    assert "Velvet Blush (Beige) and 3 × Nude Blush (Beige)" in unknown.value.detail
    with pytest.raises(ShopError, match="Say which item of order 9"):
        resolve_items(ORDER, [Item(quantity=1)])  # "return one of them": which one?


def test_an_item_is_named_one_way_only() -> None:
    with pytest.raises(ValidationError, match="one of name, line or product_id"):
        Item(name="shoes", line=2)


async def test_returning_a_named_item_finds_the_latest_delivered_order_holding_it(shop: ShopClient) -> None:
    before = await shop.get("/orders/4")
    action = parse_action({"action": "return_items", "items": [{"name": "running shoes"}]})
    preview = await run_action(action, ToolContext(shop, preview=True))
    assert preview.ok, preview.error
    after = preview.data["preview"]["after"]
    assert after["id"] == "4" and [line["returned_quantity"] for line in after["lines"]] == [0, 1]
    assert [t["amount"] for t in after["transactions"]] == [before["lines"][1]["unit_price"]]
    ctx = ToolContext(shop, confirmation=Confirmation(idempotency_key="ret-shoes",
                                                      fingerprint=preview.data["preview"]["order"]["fingerprint"]))
    done = await run_action(action, ctx)  # the yes finds the same order and item again
    assert done.ok and done.data["order"]["id"] == "4" and done.data["order"]["status"] == "return requested"
    assert [line["returned_quantity"] for line in done.data["order"]["lines"]] == [0, 1]


async def test_a_name_only_an_older_order_holds_picks_that_order(shop: ShopClient) -> None:
    older = (await shop.get("/orders/1"))["lines"][1]["name"]  # headphones, in no later delivered order
    outcome = await run_action(parse_action({"action": "return_items", "items": [{"name": older}]}),
                               ToolContext(shop, preview=True))
    assert not outcome.ok and outcome.error.startswith("Order 1 was delivered") and "30-day window" in outcome.error
    missing = await run_action(parse_action({"action": "return_items", "items": [{"name": "keyboard"}]}),
                               ToolContext(shop, preview=True))
    assert not missing.ok and missing.status == 404
    assert missing.error.startswith("None of your orders that can be returned has keyboard: order 4 has")


async def test_no_items_returns_every_item_of_the_order(shop: ShopClient) -> None:
    order = await shop.get("/orders/4")
    preview = await run_action(parse_action({"action": "return_items", "order_id": "4"}),
                               ToolContext(shop, preview=True))
    assert preview.ok, preview.error
    after = preview.data["preview"]["after"]
    assert [line["returned_quantity"] for line in after["lines"]] == [line["quantity"] for line in order["lines"]]
    assert after["transactions"][-1]["amount"] == pytest.approx(order["total"])
    assert (await shop.get("/orders/4"))["status"] == "delivered"  # a preview changes nothing


async def test_pending_changes_without_an_order_number_go_to_the_pending_order(shop: ShopClient) -> None:
    paid = await run_action(parse_action({"action": "change_order_payment", "method": "paypal"}),
                            ToolContext(shop, preview=True))
    assert paid.ok and paid.data["preview"]["order"]["id"] == "7"
    moved = await run_action(parse_action({"action": "change_order_address", "address": "work"}),
                             ToolContext(shop, preview=True))
    assert moved.ok and moved.data["preview"]["after"]["shipping_address"]["label"] == "work"
    first = (await shop.get("/orders/7"))["lines"][0]
    product = await shop.get(f"/products/{first['product_id']}")
    other = next(v for v in product["variants"] if v["id"] != first["variant_id"] and v["available"] and v["stock"])
    change = parse_action({"action": "modify_order_items",
                           "items": [{"name": first["name"], "options": other["options"]}]})
    preview = await run_action(change, ToolContext(shop, preview=True))
    assert preview.ok, preview.error
    assert preview.data["preview"]["order"]["id"] == "7"
    assert preview.data["preview"]["after"]["lines"][0]["variant_id"] == other["id"]
    done = await run_action(change, ToolContext(shop, confirmation=Confirmation(
        idempotency_key="modify-1", fingerprint=preview.data["preview"]["order"]["fingerprint"])))
    assert done.ok and done.data["order"]["status"] == "pending (items modified)"
    # Items change once; order 6 is processing: no order is left whose items can change.
    again = await run_action(change, ToolContext(shop, preview=True))
    assert not again.ok and again.status == 409
    assert again.error.startswith("You have no order that can be changed now. Items of a pending order")


async def test_a_named_order_in_the_wrong_state_gets_the_policy_not_a_name_question(shop: ShopClient) -> None:
    outcome = await run_action(parse_action({"action": "return_items", "order_id": "7",
                                             "items": [{"name": "something not in it"}]}),
                               ToolContext(shop, preview=True))
    assert not outcome.ok and outcome.error.startswith("Order 7 is still pending, so it can be changed or cancelled")
