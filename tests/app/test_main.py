"""The assistant's own HTTP surface: sign-in, scoping, input errors, and one turn with the real model."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from app.settings import Settings, load_settings
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


# Values Python's json module reads but JSON has no such thing as (or no UTF-8 response could carry back).
NOT_JSON_VALUES = {"lone surrogate": '"\\ud800"', "low surrogate": '"a\\udfffb"', "NaN": "NaN",
                   "Infinity": "Infinity", "-Infinity": "-Infinity", "overflow": "1e400"}
JSON_BODIES = {  # the odd value in a field, or nested in a field the model ignores
    "/api/chat": ['{{"text": {v}}}', '{{"text": "hi", "x": [{{"y": {v}}}]}}'],
    "/api/login": ['{{"login": {v}}}', '{{"login": "demo", "extra": {v}}}'],
    "/api/cart/items": ['{{"product_id": "p1", "quantity": {v}}}'],
    "/shop/login": ['{{"login": {v}}}'],
    "/shop/cart/items": ['{{"product_id": "p1", "quantity": {v}}}', '{{"product_id": {v}}}'],
}


async def test_non_json_numbers_and_lone_surrogates_are_a_clear_422(settings: Settings) -> None:
    async with running_app(settings) as client:
        cases = [(path, template.format(v=value), name) for path, templates in JSON_BODIES.items()
                 for template in templates for name, value in NOT_JSON_VALUES.items()]
        cases.append(("/api/chat", '{"text": "hi", "\\ud800": 1}', "lone surrogate in a key"))
        for path, body, name in cases:
            response = await client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})
            assert response.status_code == 422, (path, body, response.text)
            text = response.content.decode("utf-8")  # strict: a raw surrogate would not decode
            assert not any("\ud800" <= ch <= "\udfff" for ch in text), (path, body)
            problem = response.json()["detail"][0]
            assert problem["type"] == "json_invalid", (path, body)
            expected = "surrogate" if "surrogate" in name else ("too large" if name == "overflow" else "finite")
            assert expected in problem["msg"], (path, body, problem)
        # Still fine: a valid pair of surrogates is one character (an emoji), and big finite numbers parse.
        ok = await client.post("/api/chat", content=b'{"text": "hi \\ud83d\\ude00"}',
                               headers={"Content-Type": "application/json"})
        assert ok.status_code == 200, ok.text
        big = await client.post("/shop/cart/items", content=b'{"product_id": "p1", "quantity": 1e300}',
                                headers={"Content-Type": "application/json"})
        assert big.status_code == 422 and big.json()["detail"][0]["loc"] == ["body", "quantity"]


async def test_validation_errors_echo_odd_input_safely(settings: Settings) -> None:
    """Input that is not JSON at all still gets a 422 that serialises (the bytes echoed as escapes)."""
    async with running_app(settings) as client:
        for content_type in (None, "text/plain"):
            headers = {"Content-Type": content_type} if content_type else {}
            response = await client.post("/api/chat", content=b"\xff\xed\xa0\x80", headers=headers)
            assert response.status_code == 422, response.text
            assert response.json()["detail"][0]["input"] == "\\xff\\xed\\xa0\\x80"


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


class SilentLLMServer:
    """Test double of a hung model server: a TCP server on 127.0.0.1 that accepts connections and never
    answers. Counts the connections, so a test sees the retry."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> SilentLLMServer:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.read()  # whatever comes, until the client gives up and hangs up
        finally:
            writer.close()


async def test_a_hung_llm_server_gets_a_spoken_apology_within_seconds(data_dir: Path, monkeypatch) -> None:
    async with SilentLLMServer() as llm:
        monkeypatch.setenv("LLM_BASE_URL", llm.url)
        monkeypatch.setenv("LLM_TIMEOUT", "2")
        settings = load_settings(data_dir=data_dir, database_url=None, shop_url=None, warm_indexes=False)
        assert settings.llm.llm_timeout_s == 2.0
        async with running_app(settings) as client:
            started = time.perf_counter()
            response = await client.post("/api/chat", json={"text": "show me running shoes"})
            elapsed = time.perf_counter() - started

            ready = await client.get("/ready")
            assert ready.status_code == 503, ready.text
            checks = ready.json()["checks"]
            assert not checks["llm"]["ok"] and checks["llm"]["message"]
            assert all(checks[name]["ok"] for name in ("shop", "help_center", "asr")), checks
            assert (await client.get("/health")).status_code == 200  # alive, just not ready
    assert response.status_code == 200, response.text
    body = response.json()
    assert "can't think right now" in body["reply"] and body["actions"] == []
    assert body["error"] == "the model did not answer within 2 s"
    assert llm.connections >= 2, "a timeout is retried once"
    assert 2 * 2 <= elapsed < 10, elapsed


async def test_ready_with_every_dependency_up(settings: Settings, scripted_llm) -> None:
    async with running_app(settings) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["ready"] and set(body["checks"]) == {"llm", "shop", "help_center", "asr"}
        assert "sqlite" in body["checks"]["shop"]["message"]
        scripted_llm.fail_with = httpx.ConnectError("model server down")
        down = await client.get("/ready")
        assert down.status_code == 503 and "could not be reached" in down.json()["checks"]["llm"]["message"]


def test_llm_timeout_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("LLM_TIMEOUT", raising=False)
    assert load_settings().llm.llm_timeout_s == 4.0
    monkeypatch.setenv("LLM_TIMEOUT", "0.5")
    assert load_settings().llm.llm_timeout_s == 0.5
    for bad in ("0", "-1", "nan"):
        monkeypatch.setenv("LLM_TIMEOUT", bad)
        with pytest.raises(ValueError, match="LLM_TIMEOUT"):
            load_settings()


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
    # Generous: this test is about the answer; on a busy two-core machine the first turn can be slow.
    settings = load_settings(data_dir=data_dir, llm_threads=2, llm_timeout_s=60, warm_indexes=False)
    async with running_app(settings) as client:
        response = await client.post("/api/chat", json={"text": "show me running shoes"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["reply"]
        assert all(action["tool"] in TOOLS for action in body["actions"])
        assert body["timings"]["llm"] > 0 and body["error"] is None
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["llm"]["message"].startswith("embedded")
