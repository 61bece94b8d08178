"""The assistant's public face: one call per customer message, conversations kept in a checkpointer."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import AsyncExitStack
from typing import Any

import httpx
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.types import Command
from pydantic import BaseModel, Field

from agent.config import Settings
from agent.customer import Customer
from agent.graph import EventSink, TurnDeps, build_graph
from agent.llm import LLMTimeout, make_client
from agent.prompts import Prompts
from agent.understand import Understander, UnderstandOptions
from tools import ShopClient, ToolContext


log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 1000  # one spoken or typed customer message
CONVERSATION_ID_PATTERN = r"^[\w-]{1,64}$"  # also keeps ids safe inside checkpoint thread ids


class ActionView(BaseModel):
    tool: str
    args: dict[str, Any]
    status: str
    error: str | None = None


class PendingConfirmation(BaseModel):
    tool: str
    args: dict[str, Any]
    prompt: str
    fingerprint: str | None = None  # the shop's fingerprint of the cart or order read back


class ChatResponse(BaseModel):
    """Everything a client needs to show one assistant turn."""

    conversation_id: str
    reply: str
    actions: list[ActionView] = Field(default_factory=list)
    confirmed: ActionView | None = None  # the checkout/cancel that a "yes" ran (or a "no" dropped) this turn
    products: list[dict[str, Any]] = Field(default_factory=list)  # shown this turn, in spoken order
    cart: dict[str, Any] | None = None
    pending_confirmation: PendingConfirmation | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage: llm, tools, total
    # Set when the turn failed because the model could not answer (unreachable, timed out, broken reply);
    # the reply then says so. None on a turn the model answered.
    error: str | None = None


class Assistant:
    """Owns the graph, its checkpointer and the LLM client; ``chat`` runs one customer turn.

    Use as an async context manager (or ``start``/``close``): the checkpointer holds a SQLite connection.
    """

    def __init__(self, settings: Settings, shop_http: httpx.AsyncClient, help_center: Any = None) -> None:
        self.settings = settings
        self.shop_http = shop_http
        self.help_center = help_center
        self.prompts = Prompts()
        self.llm = make_client(settings)
        self.understander = Understander(
            self.llm, self.prompts,
            UnderstandOptions.for_client(self.llm, settings.understand_mode, settings.understand_few_shot),
            few_shot_cache=settings.data_dir / "fewshot",
        )
        self._stack = AsyncExitStack()
        self.graph: Any = None

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.data_dir / "conversations.db"
        checkpointer = await self._stack.enter_async_context(AsyncSqliteSaver.from_conn_string(str(path)))
        self.graph = build_graph(checkpointer)
        if self.settings.embedded:
            # Evaluate the static prompt prefix now, so the first customers don't pay for it: once per slot,
            # at once, so that each slot takes one and caches it.
            try:
                await asyncio.gather(*(self.understander.choose([], [], None, [])
                                       for _ in range(self.settings.llm_slots)))
            except LLMTimeout:  # a slow machine: turns still work, the first ones pay for the prefix
                log.warning("the embedded model's warm-up took over %g s", self.settings.llm_timeout_s)

    async def close(self) -> None:
        await self._stack.aclose()
        await self.llm.aclose()

    async def __aenter__(self) -> Assistant:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def chat(self, customer: Customer, text: str, conversation_id: str | None = None,
                   on_event: EventSink | None = None) -> ChatResponse:
        """Run one customer message through the graph and describe what happened."""
        started = time.perf_counter()
        conversation_id = conversation_id or uuid.uuid4().hex
        config = {"configurable": {
            # Scoped by customer: a conversation id from someone else starts a new conversation.
            "thread_id": f"{customer.id}:{conversation_id}",
            "deps": TurnDeps(self.settings, self.understander, self.prompts,
                             ToolContext(ShopClient(self.shop_http, customer.token), self.help_center), on_event),
        }}
        snapshot = await self.graph.aget_state(config)
        waiting = bool(snapshot.interrupts)
        graph_input: Any = Command(resume=text) if waiting else {"user_text": text}
        result = await self.graph.ainvoke(graph_input, config)

        turn = result["turn"]
        pending = None
        reply = turn["reply"]
        actions = [ActionView(**a) for a in turn["actions"]]
        if result.get("__interrupt__"):
            ask = result["__interrupt__"][0].value
            pending = PendingConfirmation(**ask)
            reply = ask["prompt"]
            actions.append(ActionView(tool=ask["tool"], args=ask["args"], status="awaiting_confirmation"))
            if on_event is not None:
                await on_event({"type": "reply", "text": reply})
        cart = await self._cart(customer)
        timings = {**turn["timings"], "total": time.perf_counter() - started}
        return ChatResponse(conversation_id=conversation_id, reply=reply, actions=actions,
                            confirmed=ActionView(**turn["confirmed"]) if turn.get("confirmed") else None,
                            products=turn["shown"], cart=cart, pending_confirmation=pending, timings=timings,
                            error=turn.get("llm_error"))

    async def _cart(self, customer: Customer) -> dict[str, Any] | None:
        response = await self.shop_http.get("/cart", headers={"Authorization": f"Bearer {customer.token}"})
        return response.json() if response.status_code == 200 else None
