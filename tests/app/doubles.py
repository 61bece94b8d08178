"""Test doubles for the voice routes: a scripted assistant and a fixed customer directory.

They stand in for ``agent.assistant.Assistant`` and ``app.auth.Customers`` so the routes are tested with
real audio decoding and real Whisper but without the LLM or the shop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.assistant import ChatResponse
from agent.events import Reply, Thinking, ToolResult, ToolRunning
from agent.state import ActionRecord
from agent.customer import Customer

DEMO_TOKEN = "test-token-demo"
DEMO_CUSTOMER = Customer(id=1, login="demo", name="Demo Customer", token=DEMO_TOKEN)

RUNNING_SHOE = {
    "id": "p-test-1", "name": "Test Trail Runner", "brand": "Testbrand", "category": "Running Shoes",
    "price": 49.0, "rating": 4.5, "review_count": 12, "stock": 5, "colors": [], "sizes": [], "match": None,
}


class StaticCustomersDouble:
    """Resolves exactly one token to the demo customer, like ``app.auth.Customers`` would."""

    async def resolve(self, token: str) -> Customer | None:
        return DEMO_CUSTOMER if token == DEMO_TOKEN else None


@dataclass
class ScriptedAssistantDouble:
    """Answers every message with a search that found ``RUNNING_SHOE``, emitting the real event sequence."""

    heard: list[tuple[str, str | None]] = field(default_factory=list)
    fail_next: bool = False

    async def chat(self, customer: Customer, text: str, conversation_id: str | None = None,
                   on_event: Any = None) -> ChatResponse:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("scripted failure")
        self.heard.append((text, conversation_id))
        args = {"query": text}
        for event in (Thinking(), ToolRunning(tool="search_products", args=args, label="Searching the catalog…"),
                      ToolResult(tool="search_products", ok=True), Reply(text="I found 1 product.")):
            if on_event is not None:
                await on_event(event)
        return ChatResponse(
            conversation_id=conversation_id or "conversation-1",
            reply="I found 1 product.",
            actions=[ActionRecord(tool="search_products", args=args, status="done")],
            products=[RUNNING_SHOE],
            timings={"llm": 0.01, "tools": 0.01, "total": 0.02},
        )
