"""Graph logic through the real server and shop, with ScriptedLLM (a test double) choosing the actions."""

from __future__ import annotations

import httpx

from app.settings import Settings
from tests.conftest import running_app
from tests.scripted_llm import ScriptedLLM


async def say(client: httpx.AsyncClient, text: str, conversation: str | None = None) -> dict:
    response = await client.post("/api/chat", json={"text": text, "conversation_id": conversation})
    assert response.status_code == 200, response.text
    return response.json()


async def put_a_product_in_the_cart(client: httpx.AsyncClient) -> None:
    product = (await client.get("/shop/products", params={"in_stock": True, "limit": 1})).json()["items"][0]
    assert (await client.post("/api/cart/items", json={"product_id": product["id"]})).status_code == 200


async def order_count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/api/orders")).json())


async def test_search_then_add_the_first_one(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script({"action": "search_products", "query": "running shoes"})
        first = await say(client, "show me running shoes")
        assert first["actions"][0]["tool"] == "search_products"
        assert first["products"], "the search showed no products"
        assert all("running shoe" in p["name"].lower() or p["category"] == "Running Shoes" for p in first["products"])
        chosen = first["products"][0]

        # The model sees the shown products in its prompt and resolves "the first one" to an id.
        scripted_llm.script({"action": "add_to_cart", "product_id": chosen["id"]})
        second = await say(client, "add the first one", first["conversation_id"])
        assert chosen["id"] in scripted_llm.requests[-1]["messages"][0]["content"]
        assert [a["tool"] for a in second["actions"]] == ["add_to_cart"]
        assert second["actions"][0]["status"] == "done"
        cart = (await client.get("/api/cart")).json()
        assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [(chosen["id"], 1)]
        assert "added" in second["reply"].lower()


async def test_checkout_waits_for_an_explicit_yes(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        before = await order_count(client)

        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "place my order")
        assert asked["pending_confirmation"]["tool"] == "checkout"
        assert asked["actions"] == [{"tool": "checkout", "args": {}, "status": "awaiting_confirmation", "error": None}]
        assert await order_count(client) == before, "an order was placed before the customer confirmed"

        calls = len(scripted_llm.requests)
        done = await say(client, "yes please", asked["conversation_id"])
        assert len(scripted_llm.requests) == calls, "a yes must not need the model"
        assert done["actions"] == []
        assert done["confirmed"]["tool"] == "checkout" and done["confirmed"]["status"] == "done"
        assert await order_count(client) == before + 1
        assert done["cart"]["lines"] == []


async def test_no_and_changed_mind_never_place_an_order(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        before = await order_count(client)

        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "check out")
        declined = await say(client, "no, not yet", asked["conversation_id"])
        assert declined["confirmed"]["status"] == "cancelled"
        assert declined["pending_confirmation"] is None

        scripted_llm.script({"action": "checkout"}, {"action": "search_products", "query": "headphones"})
        asked = await say(client, "buy it", asked["conversation_id"])
        assert asked["pending_confirmation"] is not None
        moved_on = await say(client, "actually show me headphones first", asked["conversation_id"])
        assert [a["tool"] for a in moved_on["actions"]] == ["search_products"]
        assert moved_on["pending_confirmation"] is None
        assert await order_count(client) == before
        assert len((await client.get("/api/cart")).json()["lines"]) == 1


async def test_empty_cart_checkout_is_refused_without_asking(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script({"action": "checkout"})
        answer = await say(client, "check out")
        assert answer["pending_confirmation"] is None
        assert "empty" in answer["reply"].lower()


async def test_conversation_survives_a_restart(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "order it")
        before = await order_count(client)

    async with running_app(settings) as client:  # a new process would see the same files
        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        assert await order_count(client) == before + 1
        history = scripted_llm.requests  # the next model call carries the earlier conversation
        scripted_llm.script({"action": "reply", "text": "You're welcome!"})
        await say(client, "thanks", asked["conversation_id"])
        contents = [m["content"] for m in history[-1]["messages"]]
        assert "order it" in contents


async def test_tool_errors_become_replies(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script({"action": "add_to_cart", "product_id": "p999999"})
        answer = await say(client, "add the magic hat")
        assert answer["actions"][0]["status"] == "error"
        assert answer["actions"][0]["error"]
        assert "didn't work" in answer["reply"]


async def test_invalid_model_output_and_llm_outage_get_spoken_replies(settings: Settings,
                                                                     scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script("this is not json")
        confused = await say(client, "blorp")
        assert confused["actions"] == [] and "didn't get that" in confused["reply"]
        assert confused["error"] is None, "the model answered, just not with an action"

        scripted_llm.fail_with = httpx.ConnectError("model server down")
        down = await say(client, "show me shoes")
        assert down["actions"] == [] and "try again" in down["reply"]
        assert "could not be reached" in down["error"]


async def test_tool_steps_are_bounded(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script(*[{"action": "view_cart"}] * 10)
        answer = await say(client, "loop forever")
        assert len(answer["actions"]) == settings.agent.tool_steps(settings.llm) == 3


async def test_clarify_and_handoff_are_listed_actions(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.script({"action": "clarify", "question": "Which size do you need?"})
        answer = await say(client, "add shoes")
        assert answer["actions"][0]["tool"] == "clarify"
        assert answer["reply"] == "Which size do you need?"
