"""The conversation flow, declared in one place (see ``build_graph``).

    start_turn → understand ─┬─ reply / clarify / handoff / not understood ──────────→ respond → END
                   ↑         ├─ checkout / cancel_order → confirm ─ yes → act
                   │         │                               ├─ no ─────────────────→ respond
                   │         │                               └─ something else → understand
                   └─ more ──┴─ any other tool ─────────────→ act ─ done ──────────→ respond

The understand step asks the LLM for exactly one typed action (schema-constrained); ``act`` runs it
through the tool registry; ``confirm`` pauses the graph with LangGraph's ``interrupt`` until the customer
says yes or no on their next message; ``respond`` renders the spoken reply from the tool results.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import yaml
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agent.config import Settings
from agent.llm import LLMError
from agent.prompts import PROMPTS_DIR, Prompts
from agent.state import ActionRecord, ConversationState, Turn, new_turn
from agent.understand import Understander
from tools import TOOLS, ToolContext, parse_action, run_action

EventSink = Callable[[dict[str, Any]], Awaitable[None]]
ANSWERS = ("reply", "clarify", "handoff")  # actions that answer directly, without a tool


@dataclass
class TurnDeps:
    """Per-request objects the nodes need; passed in ``config["configurable"]["deps"]``, never checkpointed."""

    settings: Settings
    understander: Understander
    prompts: Prompts
    tools: ToolContext
    on_event: EventSink | None = None

    async def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            await self.on_event(event)


def _deps(config: RunnableConfig) -> TurnDeps:
    return config["configurable"]["deps"]


# ── nodes ────────────────────────────────────────────────────────────────────────────────────────────

async def start_turn(state: ConversationState) -> dict[str, Any]:
    text = state["user_text"]
    history = [*state.get("history", []), {"role": "user", "content": text}]
    return {"turn": new_turn(text), "history": history, "action": None}


async def understand(state: ConversationState, config: RunnableConfig) -> dict[str, Any]:
    deps = _deps(config)
    turn = _copy_turn(state["turn"])
    await deps.emit({"type": "thinking"})
    started = time.perf_counter()
    try:
        decision = await deps.understander.choose(state.get("history", []), state.get("shown", []),
                                                  state.get("cart"), [_summarize(o) for o in turn["outcomes"]])
    except LLMError as exc:  # the model is down or too slow: the turn ends with a spoken apology
        turn["llm_error"] = str(exc)
        turn["timings"]["llm"] += time.perf_counter() - started
        return {"turn": turn, "action": None}
    turn["timings"]["llm"] += decision.seconds
    action = decision.action.model_dump(exclude_none=True) if decision.action else None
    if action is not None and action["action"] != "reply":
        await deps.emit({"type": "action", "tool": action["action"], "args": _args(action)})
    return {"turn": turn, "action": action}


async def confirm(state: ConversationState, config: RunnableConfig) -> dict[str, Any]:
    """Ask before an irreversible action; the graph stops here until the customer's next message."""
    deps = _deps(config)
    action = state["action"]
    assert action is not None
    tool, args = action["action"], _args(action)
    cart = None
    if tool == "checkout":
        cart = await _current_cart(deps)
        if not cart or not cart.get("lines"):  # nothing to confirm: say so instead of asking
            turn = _copy_turn(state["turn"])
            turn["actions"].append(ActionRecord(tool=tool, args=args, status="error", error="the cart is empty"))
            turn["reply"] = deps.prompts.reply("checkout.confirm", cart=cart)
            return {"turn": turn, "action": None, "cart": cart}
    prompt = deps.prompts.reply(f"{tool}.confirm", cart=cart, args=args)
    answer: str = interrupt({"tool": tool, "args": args, "prompt": prompt})

    # Resumed with the customer's next message: that message starts a new turn.
    turn = new_turn(answer)
    history = [*state.get("history", []), {"role": "assistant", "content": prompt},
               {"role": "user", "content": answer}]
    decision = classify_confirmation(answer)
    if decision == "yes":
        turn["confirmed"] = ActionRecord(tool=tool, args=args, status="done", error=None)
        return {"turn": turn, "history": history}
    if decision == "no":
        turn["confirmed"] = ActionRecord(tool=tool, args=args, status="cancelled", error=None)
        turn["reply"] = deps.prompts.reply("declined", tool=tool)
        return {"turn": turn, "history": history, "action": None}
    return {"turn": turn, "history": history, "action": None, "user_text": answer}


async def act(state: ConversationState, config: RunnableConfig) -> dict[str, Any]:
    deps = _deps(config)
    turn = _copy_turn(state["turn"])
    action = parse_action(state["action"] or {})
    started = time.perf_counter()
    outcome = await run_action(action, deps.tools)
    turn["timings"]["tools"] += time.perf_counter() - started
    turn["steps"] += 1
    record = ActionRecord(tool=action.action, args=action.args(), status="done" if outcome.ok else "error",
                          error=outcome.error)
    if turn["confirmed"] is not None and turn["confirmed"]["tool"] == action.action:
        turn["confirmed"] = record  # a confirmed action is not a new choice of this turn
    else:
        turn["actions"].append(record)
    turn["outcomes"].append(outcome.model_dump())
    await deps.emit({"type": "tool_result", "tool": action.action, "ok": outcome.ok})
    update: dict[str, Any] = {"turn": turn}
    if outcome.ok and outcome.data.get("items"):
        shown = [_product_card(p) for p in outcome.data["items"]]
        turn["shown"] = shown
        update["shown"] = shown
    if outcome.ok and outcome.data.get("cart"):
        update["cart"] = outcome.data["cart"]
    return update


async def respond(state: ConversationState, config: RunnableConfig) -> dict[str, Any]:
    deps = _deps(config)
    turn = _copy_turn(state["turn"])
    if not turn["reply"]:
        turn["reply"] = _compose_reply(state.get("action"), turn, deps)
    await deps.emit({"type": "reply", "text": turn["reply"]})
    history = [*state.get("history", []), {"role": "assistant", "content": turn["reply"]}]
    return {"turn": turn, "history": history, "action": None}


# ── routing ──────────────────────────────────────────────────────────────────────────────────────────

def after_understand(state: ConversationState) -> Literal["respond", "confirm", "act"]:
    action = state.get("action")
    if action is None or action["action"] in ANSWERS:
        return "respond"
    return "confirm" if TOOLS[action["action"]].needs_confirmation else "act"


def after_confirm(state: ConversationState) -> Literal["act", "respond", "understand"]:
    turn = state["turn"]
    if state.get("action") is not None and turn["confirmed"] is not None:
        return "act"  # yes
    if turn["reply"]:
        return "respond"  # no, or nothing to confirm
    return "understand"  # a new request instead of an answer


def after_act(state: ConversationState, config: RunnableConfig) -> Literal["understand", "respond"]:
    turn = state["turn"]
    if turn["confirmed"] is not None or turn["steps"] >= _deps(config).settings.tool_steps:
        return "respond"
    return "understand"


def build_graph(checkpointer: Any = None):  # noqa: ANN201 - a compiled LangGraph graph
    graph = StateGraph(ConversationState)
    graph.add_node("start_turn", start_turn)
    graph.add_node("understand", understand)
    graph.add_node("confirm", confirm)
    graph.add_node("act", act)
    graph.add_node("respond", respond)
    graph.add_edge(START, "start_turn")
    graph.add_edge("start_turn", "understand")
    graph.add_conditional_edges("understand", after_understand)
    graph.add_conditional_edges("confirm", after_confirm)
    graph.add_conditional_edges("act", after_act)
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer)


# ── helpers ──────────────────────────────────────────────────────────────────────────────────────────

@cache
def _confirmation_words() -> dict[str, list[str]]:
    return yaml.safe_load((PROMPTS_DIR / "confirmation.yaml").read_text(encoding="utf-8"))


def classify_confirmation(text: str) -> Literal["yes", "no", "other"]:
    """Yes, no, or neither (then the message is a new request). "No" wins over "yes" ("yes, no wait")."""
    words = " " + re.sub(r"[^a-z' ]+", " ", text.lower()) + " "
    said = {answer: any(f" {phrase} " in words for phrase in phrases)
            for answer, phrases in _confirmation_words().items()}
    if said["no"]:
        return "no"
    if said["yes"] and len(words.split()) <= 8:  # a long message is more than an answer
        return "yes"
    return "other"


def _args(action: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in action.items() if k != "action"}


def _copy_turn(turn: Turn) -> Turn:
    return Turn(**{**turn, "actions": list(turn["actions"]), "outcomes": list(turn["outcomes"]),
                   "timings": dict(turn["timings"])})


def _product_card(product: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "brand", "category", "price", "rating", "review_count", "stock", "colors", "sizes",
            "match", "reason")
    return {k: product[k] for k in keys if k in product}


def _summarize(outcome: dict[str, Any]) -> str:
    """A compact line per tool result for the next understand step (the shown list carries the products)."""
    if not outcome["ok"]:
        return f"{outcome['tool']} failed: {outcome['error']}"
    data = outcome["data"]
    if "items" in data:
        return f"{outcome['tool']}: showed {len(data['items'])} products"
    if "cart" in data:
        return f"{outcome['tool']}: cart has {data['cart'].get('item_count', 0)} items"
    if "order" in data:
        return f"{outcome['tool']}: order {data['order']['id']} is {data['order']['status']}"
    return f"{outcome['tool']}: done"


async def _current_cart(deps: TurnDeps) -> dict[str, Any] | None:
    outcome = await run_action(parse_action({"action": "view_cart"}), deps.tools)
    return outcome.data.get("cart") if outcome.ok else None


def _compose_reply(action: dict[str, Any] | None, turn: Turn, deps: TurnDeps) -> str:
    """Template replies from tool data; the model's own words only for answers without tools."""
    prompts = deps.prompts
    if action is not None and action["action"] in ANSWERS:
        name, args = action["action"], _args(action)
        if name != "reply":  # clarify and handoff count as chosen actions; a plain reply does not
            turn["actions"].append(ActionRecord(tool=name, args=args, status="done", error=None))
        if name != "reply" or not turn["outcomes"] or deps.settings.reply_mode == "llm":
            return prompts.reply(name, **args)
    if not turn["outcomes"]:
        # No tool ran: say why. (When one did before the model failed, its result is still the answer.)
        return prompts.reply("llm_unavailable" if turn.get("llm_error") else "not_understood")
    last = turn["outcomes"][-1]
    if not last["ok"]:
        return prompts.reply("error", error=last["error"])
    return prompts.reply(last["tool"], **last["data"])
