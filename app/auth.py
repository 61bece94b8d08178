"""Who is talking: the signed-in customer, resolved from a bearer token or the session cookie.

The shop owns identities; the assistant only forwards the customer's token, so every cart and order call
is scoped by the shop API itself. Identity never comes from a request body.
"""

from __future__ import annotations

import httpx
from fastapi import HTTPException
from starlette.requests import HTTPConnection

from agent.customer import Customer

COOKIE = "vs_token"


class Customers:
    """Resolves tokens through the shop's ``GET /me`` and remembers the answers."""

    def __init__(self, shop_http: httpx.AsyncClient) -> None:
        self.shop_http = shop_http
        self._known: dict[str, Customer] = {}

    async def resolve(self, token: str) -> Customer | None:
        if token in self._known:
            return self._known[token]
        response = await self.shop_http.get("/me", headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            return None
        user = response.json()
        customer = Customer(id=user["id"], login=user["login"], name=user["name"], token=token)
        self._known[token] = customer
        return customer

    async def login(self, login: str) -> tuple[str, Customer]:
        """The demo login of a seeded customer; raises 404 for an unknown login."""
        response = await self.shop_http.post("/login", json={"login": login})
        if response.status_code != 200:
            detail = response.json().get("detail", "login failed") if response.content else "login failed"
            raise HTTPException(response.status_code, detail)
        body = response.json()
        customer = Customer(id=body["user"]["id"], login=body["user"]["login"], name=body["user"]["name"],
                            token=body["token"])
        self._known[customer.token] = customer
        return customer.token, customer


def request_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return connection.cookies.get(COOKIE)


async def current_customer(connection: HTTPConnection) -> Customer:
    """FastAPI dependency (HTTP and WebSocket routes): the signed-in customer, or 401."""
    token = request_token(connection)
    customer = await connection.app.state.customers.resolve(token) if token else None
    if customer is None:
        raise HTTPException(401, "sign in first: POST /api/login with a customer login",
                            headers={"WWW-Authenticate": "Bearer"})
    return customer
