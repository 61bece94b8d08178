"""Irreversible actions through the real server and shop: a yes only to what was read back, and only once.

ScriptedLLM (a test double) chooses the actions; the shop, the graph and its checkpointer are real.
"""

from __future__ import annotations

import asyncio


from app.settings import Settings
from tests.agent.test_graph import order_count, put_a_product_in_the_cart, say
from tests.conftest import running_app
from tests.scripted_llm import ScriptedLLM


async def test_unclear_answers_are_asked_again_and_never_place_an_order(settings: Settings,
                                                                      scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        before = await order_count(client)
        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "check out")
        question = asked["pending_confirmation"]["prompt"]
        for answer in ("I'm not sure", "is that correct", "yes if it arrives by friday", "do it later"):
            again = await say(client, answer, asked["conversation_id"])
            assert again["pending_confirmation"] is not None, answer
            assert question in again["reply"] and "clear yes or no" in again["reply"]
            assert again["confirmed"] is None
        assert await order_count(client) == before
        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        assert await order_count(client) == before + 1


async def test_a_no_in_any_form_declines(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        before = await order_count(client)
        for answer in ("absolutely not", "no wait", "nope, not now"):
            scripted_llm.script({"action": "checkout"})
            asked = await say(client, "check out")
            declined = await say(client, answer, asked["conversation_id"])
            assert declined["confirmed"]["status"] == "cancelled", answer
            assert declined["pending_confirmation"] is None
        assert await order_count(client) == before


async def test_the_read_back_names_the_lines_and_carries_the_cart_fingerprint(settings: Settings,
                                                                             scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        cart = (await client.get("/api/cart")).json()
        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "check out")
        assert cart["lines"][0]["name"] in asked["reply"]
        assert f"{cart['subtotal']:,.2f}" in asked["reply"]
        assert asked["pending_confirmation"]["fingerprint"] == cart["fingerprint"]


async def test_a_cart_changed_after_the_question_is_not_ordered(settings: Settings,
                                                               scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "check out")
        line = (await client.get("/api/cart")).json()["lines"][0]
        # The cart changes behind the assistant's back (another tab, the shop's own page).
        changed = await client.patch(f"/shop/cart/items/{line['product_id']}", json={"quantity": 2})
        assert changed.status_code == 200, changed.text
        before = await order_count(client)

        answer = await say(client, "yes", asked["conversation_id"])
        assert await order_count(client) == before, "an order was placed for a cart the customer never heard"
        assert "changed" in answer["reply"] and "from 1 to 2" in answer["reply"]
        assert answer["pending_confirmation"]["fingerprint"] == (await client.get("/api/cart")).json()["fingerprint"]

        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        orders = (await client.get("/api/orders")).json()
        assert len(orders) == before + 1 and orders[0]["lines"][0]["quantity"] == 2


async def test_two_conversations_saying_yes_to_one_cart_make_one_order(settings: Settings,
                                                                      scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        before = await order_count(client)
        scripted_llm.script({"action": "checkout"}, {"action": "checkout"})
        first = await say(client, "check out")
        second = await say(client, "check out")
        assert first["conversation_id"] != second["conversation_id"]
        answers = await asyncio.gather(say(client, "yes", first["conversation_id"]),
                                       say(client, "yes", second["conversation_id"]))
        assert await order_count(client) == before + 1
        assert sorted(a["confirmed"]["status"] for a in answers) == ["done", "error"]


async def test_a_cancellation_reads_back_the_order_and_runs_once(settings: Settings,
                                                                scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        order = (await client.post("/shop/checkout")).json()
        scripted_llm.script({"action": "cancel_order", "order_id": order["id"]})
        asked = await say(client, f"cancel order {order['id']}")
        assert f"${order['total']:,.2f}" in asked["reply"]
        assert asked["pending_confirmation"]["fingerprint"] == order["fingerprint"]
        done = await say(client, f"yes cancel order {order['id']}", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        assert (await client.get(f"/api/orders")).json()[0]["status"] == "cancelled"


async def test_a_cancellation_is_not_asked_for_an_order_that_cannot_be_cancelled(
        settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        orders = (await client.get("/api/orders")).json()
        done = next((o for o in orders if o["status"] in ("shipped", "delivered")), None)
        assert done is not None, "the seeded demo customer should have a shipped or delivered order"
        scripted_llm.script({"action": "cancel_order", "order_id": done["id"]})
        answer = await say(client, f"cancel order {done['id']}")
        assert answer["pending_confirmation"] is None
        assert "can no longer be cancelled" in answer["reply"]
