"""The assistant's public face: one call per customer message, conversations kept in a checkpointer."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Command
from pydantic import BaseModel, Field

from agent.checkpoints import open_checkpointer
from agent.config import AgentOptions, LlmOptions
from agent.customer import Customer
from agent.events import EventSink, Reply, emit
from agent.graph import TurnContext, build_graph
from agent.llm import LLMTimeout, make_client
from agent.prompts import Prompts
from agent.state import ActionRecord
from agent.understand import Understander, UnderstandOptions
from tools import ShopClient, ToolContext, read_cart


log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 1000  # one spoken or typed customer message
CONVERSATION_ID_PATTERN = r"^[\w-]{1,64}$"  # also keeps ids safe inside checkpoint thread ids
# The state's own models are the only classes a checkpoint may rebuild (LangGraph's safe types aside).
CHECKPOINT_SERDE = JsonPlusSerializer(allowed_msgpack_modules=[ActionRecord])


class PendingConfirmation(BaseModel):
    tool: str
    args: dict[str, Any]
    prompt: str
    fingerprint: str | None = None  # the shop's fingerprint of the cart or order read back
    asked_again: bool = False  # the same read-back again: the answer to it was neither yes nor no


class ChatResponse(BaseModel):
    """Everything a client needs to show one assistant turn."""

    conversation_id: str
    reply: str
    actions: list[ActionRecord] = Field(default_factory=list)
    confirmed: ActionRecord | None = None  # the checkout/cancel that a "yes" ran (or a "no" dropped) this turn
    products: list[dict[str, Any]] = Field(default_factory=list)  # shown this turn, in spoken order
    cart: dict[str, Any] | None = None
    pending_confirmation: PendingConfirmation | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage: llm, tools, total
    # Set when the turn failed because the model could not answer (unreachable, timed out, broken reply);
    # the reply then says so. None on a turn the model answered.
    error: str | None = None
    turn_id: str | None = None  # set by the server: the id in every log line of this turn


class Assistant:
    """Owns the graph, its checkpointer and the LLM client; ``chat`` runs one customer turn.

    Use as an async context manager (or ``start``/``close``): the checkpointer holds database connections
    (a SQLite file, or Postgres with ``CHECKPOINT_URL``: see ``agent/checkpoints.py``).
    """

    def __init__(self, llm: LlmOptions, options: AgentOptions, shop_http: httpx.AsyncClient, *, data_dir: Path,
                 checkpoint_url: str | None = None) -> None:
        self.llm_options = llm
        self.options = options
        self.data_dir = data_dir  # the bundled model, few-shot cache and (by default) the conversations
        self.checkpoint_url = checkpoint_url
        self.shop_http = shop_http
        self.prompts = Prompts()
        self.llm = make_client(llm, data_dir)
        self.understander = Understander(
            self.llm, self.prompts,
            UnderstandOptions.for_client(self.llm, options.understand_mode, options.understand_few_shot),
            few_shot_cache=data_dir / "fewshot",
        )
        self._stack = AsyncExitStack()
        self.graph: Any = None

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        checkpointer = await open_checkpointer(self.checkpoint_url, self.data_dir, self._stack,
                                               serde=CHECKPOINT_SERDE)
        self.graph = build_graph(checkpointer)
        if self.llm_options.embedded:
            # Evaluate the static prompt prefix now, so the first customers don't pay for it: once per slot,
            # at once, so that each slot takes one and caches it.
            try:
                await asyncio.gather(*(self.understander.choose([], [], None, [])
                                       for _ in range(self.llm_options.llm_slots)))
            except LLMTimeout:  # a slow machine: turns still work, the first ones pay for the prefix
                log.warning("the embedded model's warm-up took over %g s", self.llm_options.llm_timeout_s)

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
        # Scoped by customer: a conversation id from someone else starts a new conversation.
        config = {"configurable": {"thread_id": f"{customer.id}:{conversation_id}"}}
        tools = ToolContext(ShopClient(self.shop_http, customer.token))
        context = TurnContext(self.options.tool_steps(self.llm_options), self.options.reply_mode, self.understander,
                              self.prompts, tools, on_event, consent_model=self.options.consent_model)
        snapshot = await self.graph.aget_state(config)
        waiting = bool(snapshot.interrupts)
        asked = snapshot.values.get("pending") if waiting else None
        graph_input: Any = Command(resume=text) if waiting else {"user_text": text}
        result = await self.graph.ainvoke(graph_input, config, context=context)

        turn = result["turn"]
        pending = None
        reply = turn["reply"]
        actions = list(turn["actions"])
        if result.get("__interrupt__"):
            ask = result["__interrupt__"][0].value
            # Asking again keeps the read-back's idempotency key; a new or changed read-back gets a new one.
            asked_again = asked is not None and (result.get("pending") or {}).get("key") == asked["key"]
            pending = PendingConfirmation(**ask, asked_again=asked_again)
            reply = ask["prompt"]
            actions.append(ActionRecord(tool=ask["tool"], args=ask["args"], status="awaiting_confirmation"))
            await emit(on_event, Reply(text=reply))
        cart, _ = await read_cart(tools)
        timings = {**turn["timings"], "total": time.perf_counter() - started}
        return ChatResponse(conversation_id=conversation_id, reply=reply, actions=actions, confirmed=turn["confirmed"],
                            products=turn["shown"], cart=cart, pending_confirmation=pending, timings=timings,
                            error=turn["llm_error"])
