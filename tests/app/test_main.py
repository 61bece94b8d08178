"""The assistant's own HTTP surface: sign-in, scoping, input errors, and one turn with the real model."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import Settings
from tests.conftest import running_app
from tools import TOOLS


async def test_chat_needs_a_signed_in_customer(settings: Settings) -> None:
    async with running_app(settings, login=None) as client:
        assert (await client.post("/api/chat", json={"text": "hi"})).status_code == 401
        assert (await client.get("/api/cart")).status_code == 401
        bad = await client.post("/api/chat", json={"text": "hi"}, headers={"Authorization": "Bearer forged"})
        assert bad.status_code == 401
        assert (await client.post("/api/login", json={"login": "nobody-here", "password": "x" * 12})).status_code == 401


async def test_login_cookie_is_a_session(settings: Settings) -> None:
    async with running_app(settings, login=None) as client:
        assert (await client.post("/api/login", json={"login": "demo"})).status_code == 200
        me = await client.get("/api/me")  # the client keeps the cookie
        assert me.status_code == 200 and me.json()["login"] == "demo"


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 5000},
                                  {"text": "hi", "conversation_id": "../../etc"}])
async def test_bad_chat_input_is_a_clear_422(settings: Settings, body: dict) -> None:
    async with running_app(settings) as client:
        response = await client.post("/api/chat", json=body)
        assert response.status_code == 422
        assert response.json()["detail"]


async def test_customers_never_share_carts_or_conversations(settings: Settings, scripted_llm) -> None:
    async with running_app(settings) as demo:
        product = (await demo.get("/shop/products", params={"in_stock": True, "limit": 1})).json()["items"][0]
        assert (await demo.post("/api/cart/items", json={"product_id": product["id"]})).status_code == 200
        scripted_llm.script({"action": "view_cart"})
        first = (await demo.post("/api/chat", json={"text": "what's in my cart"})).json()
        async with running_app(settings, login=None) as other:
            token = await _login_other_customer(other)
            other.headers["Authorization"] = f"Bearer {token}"
            assert (await other.get("/api/cart")).json()["lines"] == []
            scripted_llm.script({"action": "view_cart"})
            # Reusing demo's conversation id gives the other customer a fresh conversation, not demo's.
            reply = (await other.post("/api/chat", json={"text": "what's in my cart",
                                                          "conversation_id": first["conversation_id"]})).json()
            assert reply["cart"]["lines"] == []
            assert "empty" in reply["reply"].lower()


async def _login_other_customer(client) -> str:
    from sqlalchemy import select

    from shop.auth import set_password
    from shop.db import Database
    from shop.models import User

    database: Database = client.app.state.database
    with database.session() as session:
        customer = session.scalars(select(User).where(User.login != "demo", User.role == "customer").limit(1)).one()
        set_password(session, customer, "the other customer's password")
        login = customer.login
    response = await client.post("/api/login", json={"login": login, "password": "the other customer's password"})
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.mark.slow
async def test_one_turn_through_the_real_embedded_model(data_dir: Path) -> None:
    """The bundled GGUF in llama.cpp answers with a valid action (its choice may be wrong at this size)."""
    settings = Settings(data_dir=data_dir, llm_threads=2)
    async with running_app(settings) as client:
        response = await client.post("/api/chat", json={"text": "show me running shoes"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["reply"]
        assert all(action["tool"] in TOOLS for action in body["actions"])
        assert body["timings"]["llm"] > 0
