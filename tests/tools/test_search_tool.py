"""search_products against the real shop: exclusions pass through, filters are grounded in what the customer
said (the agent sets ``ToolContext.said``), and the spoken reply says what was applied and what was relaxed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from agent.graph import _recent_words
from agent.prompts import Prompts
from shop.api import create_shop_app
from shop.db import Database
from tools import ShopClient, ToolContext, parse_action, run_action


@pytest.fixture
async def shop(data_dir: Path) -> AsyncIterator[ShopClient]:
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    transport = httpx.ASGITransport(app=create_shop_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
        yield ShopClient(http)
    database.engine.dispose()


async def search(shop: ShopClient, said: str | None, **args) -> dict:
    outcome = await run_action(parse_action({"action": "search_products", **args}), ToolContext(shop, said=said))
    assert outcome.ok, outcome.error
    return outcome.data


async def a_sneaker_brand(shop: ShopClient) -> str:
    return (await shop.get("/products", category="Sneakers", limit=1))["items"][0]["brand"]


async def test_exclude_reaches_the_shop(shop: ShopClient) -> None:
    data = await search(shop, None, query="sneakers", exclude=["leather"])
    assert data["applied"]["exclude"] == ["leather"]
    assert data["items"] and not any("leather" in item["name"].lower() for item in data["items"])


async def test_a_negation_the_model_left_out_still_excludes(shop: ShopClient) -> None:
    """The model wrote only "sneakers"; the customer's "not leather" reaches the shop through ``said``."""
    data = await search(shop, "sneakers, not leather", query="sneakers")
    assert data["applied"]["exclude"] == ["leather"]


async def test_a_brand_the_customer_did_not_say_becomes_words(shop: ShopClient) -> None:
    brand = await a_sneaker_brand(shop)
    data = await search(shop, "show me sneakers", query="sneakers", brand=brand)
    assert {"filter": "brand", "value": brand, "reason": "not said"} in data["ignored"]
    assert "brand" not in data["applied"]


async def test_a_brand_the_customer_said_is_applied(shop: ShopClient) -> None:
    brand = await a_sneaker_brand(shop)
    data = await search(shop, f"show me {brand} sneakers", query="sneakers", brand=brand)
    assert data["applied"]["brand"] == brand
    assert all(item["brand"] == brand for item in data["items"])


async def test_the_reply_says_what_was_relaxed_and_the_closest_price(shop: ShopClient) -> None:
    brand = await a_sneaker_brand(shop)
    data = await search(shop, f"{brand} sneakers under 1 dollar", query="sneakers", brand=brand, max_price=1)
    reply = Prompts().reply("search_products", **data)
    cheapest = min(item["price"] for item in data["items"])
    assert reply.startswith(f"No {brand} sneakers under $1; the closest are {brand} sneakers from ${cheapest:,.2f}.")


async def test_the_reply_names_the_filters_applied(shop: ShopClient) -> None:
    data = await search(shop, "a black jacket under 300 dollars without a hood", query="jacket", color="Black",
                        max_price=300)
    reply = Prompts().reply("search_products", **data)
    assert reply.startswith(f"I found {data['total']} matches for black jacket under $300, without hood.")


async def test_nothing_found_says_what_was_looked_for(shop: ShopClient) -> None:
    data = await search(shop, None, query="zqxv blorft")
    assert data["total"] == 0
    assert Prompts().reply("search_products", **data) == (
        "Sorry, I couldn't find anything for zqxv blorft. Could you describe it differently?")


def test_said_is_the_customer_s_last_two_messages() -> None:
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"},
               {"role": "user", "content": "running shoes without laces"}, {"role": "assistant", "content": "..."},
               {"role": "user", "content": "in red then"}]
    assert _recent_words(history) == "running shoes without laces , in red then"
    assert _recent_words([]) is None
