"""checkout / cancel_order carry the customer's confirmation to the real shop: its Idempotency-Key and the
fingerprint read back; structured shop errors reach the agent with their code, body and message."""

from __future__ import annotations

import pytest

from tools import Confirmation, ShopClient, ShopError, ToolContext, parse_action, run_action


async def fill_cart(shop: ShopClient, quantity: int = 1) -> dict:
    products = await shop.get("/products", in_stock=True, sort="price_asc", limit=1)
    return await shop.post("/cart/items", json={"product_id": products["items"][0]["id"], "quantity": quantity})


async def test_a_confirmed_checkout_runs_once(shop: ShopClient) -> None:
    cart = await fill_cart(shop)
    ctx = ToolContext(shop, confirmation=Confirmation(idempotency_key="conv-1:yes-1", fingerprint=cart["fingerprint"]))
    first = await run_action(parse_action({"action": "checkout"}), ctx)
    again = await run_action(parse_action({"action": "checkout"}), ctx)  # e.g. a retried turn
    assert first.ok and again.ok, (first, again)
    assert again.data["order"]["id"] == first.data["order"]["id"]
    assert [o["id"] for o in await shop.get("/orders")].count(first.data["order"]["id"]) == 1


async def test_a_changed_cart_comes_back_as_cart_changed_with_the_new_cart(shop: ShopClient) -> None:
    confirmed = await fill_cart(shop)
    now = await fill_cart(shop)  # the cart changed after the read-back
    ctx = ToolContext(shop, confirmation=Confirmation(idempotency_key="k-2", fingerprint=confirmed["fingerprint"]))
    outcome = await run_action(parse_action({"action": "checkout"}), ctx)
    assert not outcome.ok and outcome.status == 409 and outcome.code == "cart_changed"
    assert outcome.error == "Your cart changed since you confirmed it"
    assert outcome.body is not None and outcome.body["cart"]["fingerprint"] == now["fingerprint"]
    with pytest.raises(ShopError) as raised:
        await shop.post("/checkout", json={"expected_fingerprint": confirmed["fingerprint"]})
    assert raised.value.code == "cart_changed" and raised.value.detail == outcome.error


async def test_a_confirmed_cancel_runs_once_and_refuses_a_changed_order(shop: ShopClient) -> None:
    await fill_cart(shop, 2)
    order = (await run_action(parse_action({"action": "checkout"}), ToolContext(shop))).data["order"]
    cancel = parse_action({"action": "cancel_order", "order_id": f"#{order['id']}"})
    ctx = ToolContext(shop, confirmation=Confirmation(idempotency_key="cancel-1", fingerprint=order["fingerprint"]))
    first = await run_action(cancel, ctx)
    again = await run_action(cancel, ctx)
    assert first.ok and again.ok and again.data["order"]["status"] == "cancelled"
    stale = await run_action(cancel, ToolContext(
        shop, confirmation=Confirmation(idempotency_key="cancel-2", fingerprint=order["fingerprint"])))
    assert not stale.ok and stale.code == "order_changed"
    assert stale.body is not None and stale.body["order"]["status"] == "cancelled"


async def test_plain_errors_keep_their_text_and_have_no_code(shop: ShopClient) -> None:
    outcome = await run_action(parse_action({"action": "checkout"}), ToolContext(shop))
    assert not outcome.ok and outcome.status == 409 and "empty" in outcome.error
    assert outcome.code is None and outcome.body is None
    bad_key = await run_action(parse_action({"action": "checkout"}),
                               ToolContext(shop, confirmation=Confirmation(idempotency_key="no spaces")))
    assert bad_key.status == 422 and "idempotency-key" in bad_key.error.lower()


async def test_after_purchase_tools_name_what_was_asked_and_the_shop_decides(shop: ShopClient) -> None:
    saved = await run_action(parse_action({"action": "change_default_address", "address": {
        "line1": "1 Pine Ridge", "city": "Bend", "postal_code": "97701", "label": "cabin"}}), ToolContext(shop))
    assert saved.ok and [a["label"] for a in saved.data["addresses"] if a["is_default"]] == ["cabin"]
    back = await run_action(parse_action({"action": "change_default_address", "address": "home"}), ToolContext(shop))
    assert back.ok and [a["label"] for a in back.data["addresses"] if a["is_default"]] == ["home"]
    # color/size are shorthands for those options; a preview answers without changing anything.
    exchange = parse_action({"action": "exchange_items", "order_id": "#4", "items": [{"line": 2, "size": "no such"}]})
    refused = await run_action(exchange, ToolContext(shop, preview=True))
    assert not refused.ok and refused.status == 422 and "no such" in refused.error
    ret = parse_action({"action": "return_items", "order_id": "4", "items": [{"line": 2}], "refund_to": "7890"})
    preview = await run_action(ret, ToolContext(shop, preview=True))
    assert preview.ok and preview.data["preview"]["after"]["status"] == "return requested"
    assert (await shop.get("/orders/4"))["status"] == "delivered"
    ctx = ToolContext(shop, confirmation=Confirmation(idempotency_key="ret-1",
                                                      fingerprint=preview.data["preview"]["order"]["fingerprint"]))
    first, again = await run_action(ret, ctx), await run_action(ret, ctx)
    assert first.ok and again.ok and again.data["order"] == first.data["order"]
    refunds = await run_action(parse_action({"action": "refund_status", "order_id": "#4"}), ToolContext(shop))
    assert [(r["reason"], r["state"]) for r in refunds.data["refunds"]] == [("return", "awaiting items")]
    cancel = parse_action({"action": "cancel_order", "order_id": "7", "reason": "no longer needed"})
    cancelled = await run_action(cancel, ToolContext(shop))
    assert cancelled.ok and cancelled.data["order"]["cancel_reason"] == "no longer needed"
