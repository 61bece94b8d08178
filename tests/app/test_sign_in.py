"""Signing in to the assistant: cookies, cross-site write protection, logout, the demo switch, the login
rate limit per client address, and sessions from a shop's signed token. The shop's side of each is in
tests/shop/test_shop_auth.py."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import select

from app.settings import Settings
from app.settings import load_settings
from app.auth import CSRF_COOKIE, CSRF_HEADER
from app.cli import main
from shop.auth import password_matches, set_password
from shop.db import Database
from shop.models import User
from tests.conftest import SMALL_SHOP, running_app

PASSWORD = "a long enough password"
SECRET = "s3cret-of-the-shop-that-signs-its-customers-in"


def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie lines by cookie name, lower-cased for attribute checks."""
    return {line.split("=", 1)[0]: line.lower() for line in response.headers.get_list("set-cookie")}


async def a_product_in_stock(client: httpx.AsyncClient) -> dict[str, str]:
    """A cart item the tests can add several times over."""
    products = (await client.get("/shop/products", params={"in_stock": True, "limit": 50})).json()["items"]
    return {"product_id": next(product["id"] for product in products if product["stock"] >= 5)}


async def test_sign_in_sets_an_httponly_session_cookie_and_a_readable_csrf_cookie(settings: Settings) -> None:
    async with running_app(settings, login=None) as client:
        answer = await client.post("/api/login", json={"login": "demo"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"token", "csrf_token", "expires_at", "user"}
        cookies = set_cookie_headers(answer)
        assert "httponly" in cookies["vs_token"] and "samesite=lax" in cookies["vs_token"]
        assert "httponly" not in cookies[CSRF_COOKIE] and "samesite=lax" in cookies[CSRF_COOKIE]
        assert "secure" not in cookies["vs_token"]  # plain http: a Secure cookie would never come back
        assert client.cookies[CSRF_COOKIE] == body["csrf_token"] != body["token"]
        assert (await client.get("/api/me")).json()["login"] == "demo"  # the cookie is the session

        https = httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url="https://test")
        async with https:
            cookies = set_cookie_headers(await https.post("/api/login", json={"login": "demo"}))
        assert "secure" in cookies["vs_token"] and "secure" in cookies[CSRF_COOKIE]


async def test_cookie_writes_need_the_csrf_token_or_a_same_origin_browser(settings: Settings) -> None:
    async with running_app(settings, login=None) as client:
        signed_in = (await client.post("/api/login", json={"login": "demo"})).json()
        item = await a_product_in_stock(client)

        refused = await client.post("/api/cart/items", json=item)
        assert refused.status_code == 403 and CSRF_HEADER in refused.json()["detail"]
        wrong = await client.post("/api/cart/items", json=item, headers={CSRF_HEADER: "0" * 64})
        assert wrong.status_code == 403
        cross_site = await client.post("/api/cart/items", json=item, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403
        assert (await client.post("/api/chat", json={"text": "hi"})).status_code == 403
        cart = (await client.get("/api/cart")).json()  # reading needs no token
        assert cart["lines"] == [], "a refused write must change nothing"

        echoed = await client.post("/api/cart/items", json=item, headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]})
        assert echoed.status_code == 200 and echoed.json()["item_count"] == 1
        same_origin = await client.post("/api/cart/items", json=item, headers={"Sec-Fetch-Site": "same-origin"})
        assert same_origin.status_code == 200 and same_origin.json()["item_count"] == 2

        client.cookies.clear()  # a bearer token is no ambient credential: no CSRF token needed
        bearer = await client.post("/api/cart/items", json=item,
                                   headers={"Authorization": f"Bearer {signed_in['token']}"})
        assert bearer.status_code == 200 and bearer.json()["item_count"] == 3


async def test_logout_revokes_the_session(settings: Settings) -> None:
    async with running_app(settings) as client:  # signed in as demo with a bearer token
        token = client.headers["Authorization"]
        assert (await client.post("/api/logout")).json() == {"status": "signed out"}
        assert (await client.get("/api/me")).status_code == 401
        assert (await client.get("/shop/me", headers={"Authorization": token})).status_code == 401

        del client.headers["Authorization"]
        await client.post("/api/login", json={"login": "demo"})
        cookie_token = client.cookies["vs_token"]
        assert (await client.post("/api/logout")).status_code == 403, "a cookie logout is a write too"
        out = await client.post("/api/logout", headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]})
        assert out.status_code == 200 and "vs_token" not in client.cookies
        assert (await client.get("/api/me", headers={"Authorization": f"Bearer {cookie_token}"})).status_code == 401


async def test_computed_or_made_up_tokens_get_401(settings: Settings) -> None:
    async with running_app(settings, login=None) as client:
        computed = hashlib.sha256(f"{SMALL_SHOP['seed']}:demo".encode()).hexdigest()[:32]
        for token in (computed, "demo-token", "forged"):
            assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
            client.cookies.set("vs_token", token)
            assert (await client.get("/api/cart")).status_code == 401
            client.cookies.clear()


async def test_everyone_but_demo_needs_a_password_and_demo_too_when_the_demo_login_is_off(settings: Settings) -> None:
    settings.sign_in.demo_login = False
    async with running_app(settings, login=None) as client:
        refused = await client.post("/api/login", json={"login": "demo"})
        assert refused.status_code == 401 and "DEMO_LOGIN" in refused.json()["detail"]
        with client.app.state.database.session() as session:
            customer = session.scalars(select(User).where(User.login != "demo", User.role == "customer")).first()
            set_password(session, customer, PASSWORD)
            login = customer.login
        assert (await client.post("/api/login", json={"login": login})).status_code == 401
        assert (await client.post("/api/login", json={"login": login, "password": "guess"})).status_code == 401
        right = await client.post("/api/login", json={"login": login, "password": PASSWORD})
        assert right.status_code == 200 and right.json()["user"]["login"] == login


async def test_failed_sign_ins_are_limited_per_client_address(settings: Settings) -> None:
    """The assistant forwards the caller's address, so one attacker cannot lock a customer out for everyone."""
    async with running_app(settings, login=None) as attacker:
        guess = {"login": "demo", "password": "not the password"}
        assert [(await attacker.post("/api/login", json=guess)).status_code for _ in range(5)] == [401] * 5
        limited = await attacker.post("/api/login", json=guess)
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        neighbour = httpx.AsyncClient(transport=httpx.ASGITransport(app=attacker.app, client=("198.51.100.2", 1)),
                                      base_url="http://test")
        async with neighbour:
            assert (await neighbour.post("/api/login", json=guess)).status_code == 401


async def test_a_shop_token_starts_a_cookie_session(settings: Settings) -> None:
    settings.sign_in.shop_jwt_key = SECRET
    settings.sign_in.shop_jwt_audience = "voiceshop"
    async with running_app(settings, login=None) as client:
        claims = {"sub": "demo", "aud": "voiceshop", "exp": datetime.now(UTC) + timedelta(minutes=5)}
        answer = await client.post("/api/session/jwt", json={"token": jwt.encode(claims, SECRET, "HS256")})
        assert answer.status_code == 200, answer.text
        assert (await client.get("/api/me")).json()["login"] == "demo"
        expired = {**claims, "exp": datetime.now(UTC) - timedelta(minutes=5)}
        refused = await client.post("/api/session/jwt", json={"token": jwt.encode(expired, SECRET, "HS256")})
        assert refused.status_code == 401
        wrong_audience = {**claims, "aud": "someone-else"}
        refused = await client.post("/api/session/jwt", json={"token": jwt.encode(wrong_audience, SECRET, "HS256")})
        assert refused.status_code == 401


def test_sign_in_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_LOGIN", "0")
    monkeypatch.setenv("SESSION_TTL", "600")
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "3/minute")
    monkeypatch.setenv("SHOP_JWT_KEY", SECRET)
    settings = load_settings().sign_in
    assert (settings.demo_login, settings.session_ttl_s, settings.login_rate_limit, settings.shop_jwt_key) == \
        (False, 600.0, "3/minute", SECRET)
    monkeypatch.delenv("DEMO_LOGIN")
    assert load_settings().sign_in.demo_login is True


def test_the_cli_sets_a_password(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICESHOP_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "set-password", "demo"]) == 1
    assert "8 to 1024" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "set-password", "DEMO"]) == 0
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    with database.session() as session:
        assert password_matches(session.execute(select(User).where(User.login == "demo")).scalar_one(), PASSWORD)
    database.engine.dispose()
