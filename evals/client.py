"""The customer's side of the assistant API (``/api/...``), as the web widget uses it.

Scenarios go through exactly this path: login, chat or voice turns, then cart and orders for the state
checks. Any 4xx/5xx becomes :class:`TurnFailed` with the server's own explanation.
"""

from __future__ import annotations

from typing import Any

import httpx


class TurnFailed(RuntimeError):
    """The assistant API answered with an error status."""


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise TurnFailed(f"{response.request.method} {response.request.url.path} answered "
                         f"{response.status_code}: {str(detail)[:300]}")
    return response.json()


class AssistantClient:
    """One signed-in customer talking to the assistant over ``http`` (any httpx client or transport)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.conversation_id: str | None = None

    async def login(self, login: str) -> None:
        body = _check(await self.http.post("/api/login", json={"login": login}))
        self.http.headers["Authorization"] = f"Bearer {body['token']}"

    def _remember(self, body: dict[str, Any]) -> dict[str, Any]:
        self.conversation_id = body.get("conversation_id") or self.conversation_id
        return body

    async def say(self, text: str) -> dict[str, Any]:
        """A typed turn: the ChatResponse JSON."""
        payload = {"text": text, "conversation_id": self.conversation_id}
        return self._remember(_check(await self.http.post("/api/chat", json=payload)))

    async def speak(self, filename: str, content_type: str, audio: bytes) -> dict[str, Any]:
        """A voice turn: the ChatResponse JSON plus ``transcript`` and ``timings.asr``."""
        data = {"conversation_id": self.conversation_id} if self.conversation_id else {}
        files = {"audio": (filename, audio, content_type)}
        return self._remember(_check(await self.http.post("/api/voice", data=data, files=files)))

    async def cart_lines(self) -> list[dict[str, Any]]:
        return list(_check(await self.http.get("/api/cart")).get("lines", []))

    async def orders(self) -> list[dict[str, Any]]:
        """The customer's orders, newest first, with their lines and refunds (the shop's order view)."""
        return list(_check(await self.http.get("/api/orders")))

    async def order_ids(self) -> set[str]:
        return {str(order["id"]) for order in await self.orders()}

