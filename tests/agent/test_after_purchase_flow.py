"""Order changes after the purchase through the real server and shop, like checkout and cancel: the read-back
says exactly what will happen (from the shop's own preview), a "no" never runs it, a yes runs it once, and
what the policy forbids is said at once instead of asked.

ScriptedLLM (a test double) chooses the actions; the shop, the graph and its checkpointer are real. The
seeded demo customer: order 4 delivered days ago (a Dutch oven, then running shoes), 5 shipped, 7 pending;
Visa 4242 (paid every order), PayPal, gift cards 7890 ($250) and 1111 ($5).
"""

from __future__ import annotations

import httpx

from agent.graph import consent
from agent.state import Pending
from app.settings import Settings
from tests.agent.test_graph import say
from tests.conftest import running_app
from tests.scripted_llm import ScriptedLLM

RETURN_SHOES = {"action": "return_items", "order_id": "4", "items": [{"line": 2}]}


async def shop_order(client: httpx.AsyncClient, order_id: str) -> dict:
    response = await client.get(f"/shop/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_returning_the_shoes_reads_back_the_refund_and_runs_once_on_yes(settings: Settings,
                                                                              scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        before = await shop_order(client, "4")
        shoes = before["lines"][1]
        scripted_llm.script(RETURN_SHOES)
        asked = await say(client, "I want to return the running shoes from order 4")
        assert shoes["name"] in asked["reply"] and "order 4" in asked["reply"]
        assert f"${shoes['unit_price']:,.2f} back to your Visa ending 4242 once the items arrive" in asked["reply"]
        assert asked["pending_confirmation"]["fingerprint"] == before["fingerprint"]
        assert await shop_order(client, "4") == before  # asking changed nothing

        done = await say(client, "yes, return them", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done", done
        after = await shop_order(client, "4")
        assert after["status"] == "return requested"
        assert [(t["reason"], t["amount"], t["state"]) for t in after["transactions"]] == [
            ("return", shoes["unit_price"], "awaiting items")]
        assert "return for order 4 is started" in done["reply"] and "Visa ending 4242" in done["reply"]


async def test_a_no_never_returns_anything(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        before = await shop_order(client, "4")
        for answer in ("no", "nope, not now", "never mind"):
            scripted_llm.script(RETURN_SHOES)
            asked = await say(client, "return the shoes from order 4")
            declined = await say(client, answer, asked["conversation_id"])
            assert declined["confirmed"]["status"] == "cancelled", answer
            assert "won't change anything" in declined["reply"]
        assert await shop_order(client, "4") == before


async def test_what_the_policy_forbids_is_said_not_asked(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script({"action": "return_items", "order_id": "7", "items": [{"line": 1}]},
                            {"action": "change_order_payment", "order_id": "7", "method": "1111"})
        pending = await say(client, "return my last order")
        assert pending["pending_confirmation"] is None
        assert "Order 7 is still pending, so it can be changed or cancelled, not returned." in pending["reply"]
        low = await say(client, "pay order 7 with my small gift card")
        assert low["pending_confirmation"] is None and "can't cover" in low["reply"]
        assert (await shop_order(client, "7"))["payment_method"]["last_digits"] == "4242"


async def test_an_exchange_reads_back_the_new_size_and_the_money(settings: Settings,
                                                                 scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        shoes = (await shop_order(client, "4"))["lines"][1]
        product = (await client.get(f"/shop/products/{shoes['product_id']}")).json()
        new = next(v for v in product["variants"] if v["id"] != shoes["variant_id"] and v["available"] and v["stock"])
        scripted_llm.script({"action": "exchange_items", "order_id": "4",
                             "items": [{"line": 2, "options": new["options"]}]})
        asked = await say(client, "exchange the shoes for another size")
        assert f"for {', '.join(new['options'].values())}" in asked["reply"], asked["reply"]
        assert ("Same price" in asked["reply"]) == (new["price"] == shoes["unit_price"])
        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        after = await shop_order(client, "4")
        assert after["status"] == "exchange requested" and after["lines"][1]["exchange"]["variant_id"] == new["id"]


async def test_an_order_changed_after_the_read_back_is_read_back_again(settings: Settings,
                                                                      scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script({"action": "change_order_address", "order_id": "7", "address": "work"})
        asked = await say(client, "send order 7 to my office")
        assert "400 Market Street" in asked["reply"]
        # The order changes behind the assistant's back (the shop's own page): paid another way.
        changed = await client.post("/shop/orders/7/payment", json={"payment_method": "paypal"})
        assert changed.status_code == 200, changed.text
        answer = await say(client, "yes", asked["conversation_id"])
        assert "changed since I asked" in answer["reply"] and answer["pending_confirmation"] is not None
        assert (await shop_order(client, "7"))["shipping_address"]["label"] == "home"
        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        assert (await shop_order(client, "7"))["shipping_address"]["line1"] == "400 Market Street"


async def test_items_of_a_pending_order_change_once_after_a_yes(settings: Settings,
                                                                scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        first = (await shop_order(client, "7"))["lines"][0]
        product = (await client.get(f"/shop/products/{first['product_id']}")).json()
        new = next(v for v in product["variants"] if v["id"] != first["variant_id"] and v["available"] and v["stock"])
        change = {"action": "modify_order_items", "order_id": "7", "items": [{"line": 1, "options": new["options"]}]}
        scripted_llm.script(change)
        asked = await say(client, "change the first item on my order to the other one")
        assert "changed only once" in asked["reply"]
        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        assert (await shop_order(client, "7"))["status"] == "pending (items modified)"
        scripted_llm.script(change)
        again = await say(client, "and change it again")
        assert again["pending_confirmation"] is None and "only once" in again["reply"]


async def test_refund_status_and_a_cancel_with_its_reason(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        total = (await shop_order(client, "7"))["total"]
        scripted_llm.script({"action": "cancel_order", "order_id": "7", "reason": "ordered by mistake"})
        asked = await say(client, "cancel order 7, I ordered it by mistake")
        done = await say(client, "yes cancel it", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        assert (await shop_order(client, "7"))["cancel_reason"] == "ordered by mistake"
        scripted_llm.script({"action": "refund_status", "order_id": "7"})
        status = await say(client, "where is my refund for order 7?")
        assert f"${total:,.2f} for order 7: on its way to your Visa ending 4242" in status["reply"]


async def test_the_items_as_named_are_the_questions_own_words() -> None:
    pending = Pending(tool="return_items", args={"order_id": "4", "items": [{"name": "running shoes"}]}, question="",
                      prompt="", snapshot={"id": "4", "status": "delivered"}, fingerprint="f", key="k", changed=False)
    assert (await consent("yes, return the running shoes", pending)).decision == "yes"
    assert (await consent("yes the running shoes please", pending)).decision == "yes"
    assert (await consent("yes, return the skillets", pending)).decision != "yes"
    assert (await consent("no, the skillets", pending)).decision != "yes"
    assert (await consent("the skillets instead", pending)).decision == "other"  # a correction is a new request
