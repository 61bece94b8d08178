"""Who is talking: the signed-in customer, resolved from a bearer token or the session cookie.

The shop owns identities and sessions (``shop.auth``); the assistant forwards sign-ins to it and then only
the customer's session token, so every cart and order call is scoped by the shop API itself. Identity
never comes from a request body, and every request asks the shop again, so a session that expired or was
signed out stops working at once.

Cross-site requests: a browser sends the session cookie by itself, so a write the cookie authenticates
(any method but GET/HEAD/OPTIONS, no ``Authorization`` header) must also prove it comes from our own page:
either the header ``X-CSRF-Token`` holding the value of the ``vs_csrf`` cookie (readable by the page, not by
other sites), or ``Sec-Fetch-Site: same-origin``, which browsers set and pages cannot. The CSRF value is an
HMAC of the session token, so it cannot be planted without knowing the session. A WebSocket opened with
the cookie must come from our own origin. Requests with a bearer token carry no ambient credential and
need neither.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import HTTPException, Request, Response
from starlette.requests import HTTPConnection

from agent.customer import Customer

COOKIE = "vs_token"
CSRF_COOKIE = "vs_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SignIn:
    """A session the shop started: its bearer token, whose it is and when it ends."""

    customer: Customer
    expires_at: datetime

    @property
    def token(self) -> str:
        return self.customer.token

    def body(self) -> dict[str, Any]:
        """The JSON answer of the sign-in endpoints."""
        return {"token": self.token, "csrf_token": csrf_token(self.token), "expires_at": self.expires_at,
                "user": customer_view(self.customer)}


def customer_view(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "login": customer.login, "name": customer.name}


def csrf_token(session_token: str) -> str:
    """The value a cookie-authenticated write must echo in ``X-CSRF-Token``: bound to its session."""
    return hmac.new(session_token.encode(), b"voiceshop csrf", hashlib.sha256).hexdigest()


class Customers:
    """Signs customers in and out through the shop's API and resolves session tokens with its ``GET /me``."""

    def __init__(self, shop_http: httpx.AsyncClient) -> None:
        self.shop_http = shop_http

    async def resolve(self, token: str) -> Customer | None:
        response = await self.shop_http.get("/me", headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            return None
        user = response.json()
        return Customer(id=user["id"], login=user["login"], name=user["name"], token=token)

    async def login(self, body: dict[str, Any], client_host: str | None) -> SignIn:
        """Password (or demo) sign-in; the shop's refusal (401, 429 with ``Retry-After``) is raised as is."""
        return await self._start("/login", body, client_host)

    async def shop_token_session(self, token: str, client_host: str | None) -> SignIn:
        """A session for the customer a shop-signed JWT names."""
        return await self._start("/session/jwt", {"token": token}, client_host)

    async def logout(self, token: str) -> None:
        """Revoke the session at the shop (one already ended needs nothing more)."""
        await self.shop_http.post("/logout", headers={"Authorization": f"Bearer {token}"})

    async def _start(self, path: str, body: dict[str, Any], client_host: str | None) -> SignIn:
        # The shop limits failed sign-ins per client address: tell it whose they are.
        headers = {"X-Forwarded-For": client_host} if client_host else {}
        response = await self.shop_http.post(path, json=body, headers=headers)
        if response.status_code != 200:
            detail = response.json().get("detail", "sign-in failed") if response.content else "sign-in failed"
            retry = {"Retry-After": response.headers["retry-after"]} if "retry-after" in response.headers else None
            raise HTTPException(response.status_code, detail, headers=retry)
        answer = response.json()
        user = answer["user"]
        customer = Customer(id=user["id"], login=user["login"], name=user["name"], token=answer["token"])
        return SignIn(customer, datetime.fromisoformat(answer["expires_at"]))


def set_session_cookies(request: Request, response: Response, signed_in: SignIn) -> None:
    """The session cookie (HttpOnly) and its CSRF companion (readable by our page), until the session ends."""
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, signed_in.token, expires=signed_in.expires_at, httponly=True, samesite="lax",
                        secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf_token(signed_in.token), expires=signed_in.expires_at, httponly=False,
                        samesite="lax", secure=secure)


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(COOKIE)
    response.delete_cookie(CSRF_COOKIE)


def request_token(connection: HTTPConnection) -> str | None:
    """The session token of a request: its bearer token, else its session cookie (checked against CSRF)."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    token = connection.cookies.get(COOKIE)
    if token:
        _check_same_site(connection, token)
    return token


def _check_same_site(connection: HTTPConnection, token: str) -> None:
    """403 for a cookie-authenticated write or WebSocket that may come from another site (module docs)."""
    if connection.scope["type"] == "websocket":
        origin = connection.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != connection.headers.get("host"):
            raise HTTPException(403, "This WebSocket comes from another site; the session cookie is not valid here")
        return
    if connection.scope["method"] in SAFE_METHODS or connection.headers.get("sec-fetch-site") == "same-origin":
        return
    sent = connection.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
        raise HTTPException(403, f"A write with the session cookie needs the header {CSRF_HEADER} set to the "
                                 f"{CSRF_COOKIE} cookie (or send 'Authorization: Bearer <token>' instead)")


async def current_customer(connection: HTTPConnection) -> Customer:
    """FastAPI dependency (HTTP and WebSocket routes): the signed-in customer, or 401 (403: see CSRF above)."""
    token = request_token(connection)
    customer = await connection.app.state.customers.resolve(token) if token else None
    if customer is None:
        raise HTTPException(401, "Sign in first: POST /api/login with your login and password",
                            headers={"WWW-Authenticate": "Bearer"})
    return customer
