"""Spoken variant choice through the real server and the seeded shop, with ScriptedLLM (a test double)
choosing the actions: the variant said reaches the cart, a value the product lacks is asked about, and an
option left open takes the product's first variant for sale, said back."""

from __future__ import annotations

from app.settings import Settings
from tests.agent.test_graph import say
from tests.conftest import running_app
from tests.scripted_llm import ScriptedLLM


async def _product_with(client, option: str) -> dict:
    """A seeded product in stock whose option ``option`` has two values or more (as the search shows it)."""
    for offset in range(0, 300, 50):
        page = (await client.get("/shop/products", params={"q": "phone", "limit": 50, "offset": offset})).json()
        for item in page["items"]:
            detail = (await client.get(f"/shop/products/{item['id']}")).json()
            values = next((o["values"] for o in detail.get("options", []) if o["name"] == option), [])
            if len(values) >= 2 and detail["stock"] > 0:
                return detail
    raise AssertionError(f"the seeded shop has no product with two {option} values")


async def test_the_storage_said_is_the_variant_added_and_said_back(settings: Settings,
                                                                   scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        phone = await _product_with(client, "Storage")
        storage = next(o["values"] for o in phone["options"] if o["name"] == "Storage")
        wanted = next(v for v in reversed(storage)
                      if any(var["options"]["Storage"] == v and var["available"] and var["stock"] > 0
                             for var in phone["variants"]))
        scripted_llm.script({"action": "get_product", "product_id": phone["id"]})
        shown = await say(client, "tell me about that phone")
        assert [p["id"] for p in shown["products"]] == [phone["id"]]

        # The model leaves the storage out; the customer's words ("256 gig") pick it.
        others = {o["name"]: o["values"][0] for o in phone["options"] if o["name"] != "Storage"}
        spoken = wanted.lower().replace(" gb", " gig").replace(" tb", " terabyte")
        scripted_llm.script({"action": "add_to_cart", "product_id": phone["id"], "options": others})
        added = await say(client, f"add the {spoken} one", shown["conversation_id"])
        assert added["actions"][0]["status"] == "done", added
        line = added["cart"]["lines"][0]
        assert line["options"]["Storage"] == wanted
        assert f"{wanted}" in added["reply"] and f"${line['unit_price']:,.2f}" in added["reply"]

        # A storage the phone does not come in: asked about, listing what it has; nothing is added.
        scripted_llm.script({"action": "add_to_cart", "product_id": phone["id"], "options": {"Storage": "4 TB"}})
        asked = await say(client, "actually the 4 terabyte one", shown["conversation_id"])
        assert [(a["tool"], a["status"]) for a in asked["actions"]] == [("add_to_cart", "error")]
        assert "does not come in storage 4 TB" in asked["reply"] and asked["reply"].endswith("Which would you like?")
        assert all(value in asked["reply"] for value in storage)
        assert len(asked["cart"]["lines"]) == 1


async def test_an_add_that_names_no_variant_takes_the_first_for_sale_and_says_it(settings: Settings,
                                                                                 scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        phone = await _product_with(client, "Storage")
        first = next(v for v in phone["variants"] if v["available"] and v["stock"] > 0)
        scripted_llm.script({"action": "get_product", "product_id": phone["id"]})
        shown = await say(client, "tell me about that phone")
        scripted_llm.script({"action": "add_to_cart", "product_id": phone["id"]})
        added = await say(client, "add it to my cart", shown["conversation_id"])
        assert added["actions"][0]["status"] == "done", added
        [line] = added["cart"]["lines"]
        assert line["variant_id"] == first["id"]
        assert all(value in added["reply"] for value in first["options"].values())  # the customer hears which
