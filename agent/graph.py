"""The conversation flow, declared in one place (see ``build_graph``).

    start_turn → understand ─┬─ reply / clarify / handoff / not understood ───────────────→ respond → END
                   ↑         ├─ checkout / order change → ask → confirm ─ yes → act
                   │         │                             ↑      ├─ unclear ─→ confirm (asked again)
                   │         │                             │      ├─ no ───────────────→ respond
                   │         │                             │      └─ a new request ─→ understand
                   │         │                             └──── the cart/order changed ─ act
                   └─ more ──┴─ any other tool ──────────────────→ act ─ done ──────────→ respond

The understand step asks the LLM for exactly one typed action (schema-constrained); ``act`` runs it
through the tool registry; ``ask`` reads back exactly what an irreversible action will do (for an order
change, from the shop's own preview of it: items, new variants, money and where it goes) and stores that
read-back (with the fingerprint of the cart or order it describes and an idempotency key) in the state;
``confirm`` pauses the graph with LangGraph's ``interrupt`` until the customer's next message, and only an
unambiguous yes (``agent.consent``) lets ``act`` run it, once, for exactly what was read back: the shop
refuses a changed cart or order, and the customer hears what changed and is asked again.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.consent import Verdict, decide_consent, default_rules
from agent.events import EventSink, LiveEvent, Reply, Thinking, ToolResult, ToolRunning, emit
from agent.llm import LLMError
from agent.prompts import PROMPTS_DIR, Prompts
from agent.readback import change_summary, describe_changes
from agent.state import ActionRecord, ConversationState, Pending, Turn, TurnUpdate, new_turn
from agent.understand import Understander
from agent.variant_choice import question_data, refused_choice
from tools import TOOLS, Confirmation, ToolContext, parse_action, read_cart, run_action

ANSWERS = ("reply", "clarify", "handoff")  # actions that answer directly, without a tool
CHANGED = ("cart_changed", "order_changed")  # the shop's codes for "not what the customer said yes to"


@dataclass
class TurnContext:
    """Per-request objects the nodes need (LangGraph's runtime context): passed to each run, never checkpointed."""

    tool_steps: int  # tools one turn may chain (AgentOptions.tool_steps)
    reply_mode: str  # "template" or "llm" (AgentOptions.reply_mode)
    understander: Understander
    prompts: Prompts
    tools: ToolContext
    on_event: EventSink | None = None
    consent_model: bool = False  # AgentOptions.consent_model: ask the model about answers the rules don't know

    async def emit(self, event: LiveEvent) -> None:
        await emit(self.on_event, event)


Context = Runtime[TurnContext]


# ── nodes ────────────────────────────────────────────────────────────────────────────────────────────

async def start_turn(state: ConversationState) -> dict[str, Any]:
    text = state["user_text"]
    return {"turn": new_turn(text), "history": [{"role": "user", "content": text}], "action": None}


async def understand(state: ConversationState, runtime: Context) -> dict[str, Any]:
    ctx = runtime.context
    turn = state["turn"]
    await ctx.emit(Thinking())
    started = time.perf_counter()
    try:
        decision = await ctx.understander.choose(state.get("history", []), state.get("shown", []),
                                                 state.get("cart"), [_summarize(o) for o in turn["outcomes"]])
    except LLMError as exc:  # the model is down or too slow: the turn ends with a spoken apology
        failed = TurnUpdate(llm_error=str(exc), timings={"llm": time.perf_counter() - started})
        return {"turn": failed, "action": None}
    action = decision.action.model_dump(exclude_none=True) if decision.action else None
    if action is not None and action["action"] != "reply":
        tool = action["action"]
        await ctx.emit(ToolRunning(tool=tool, args=_args(action), label=TOOLS[tool].label))
    return {"turn": TurnUpdate(timings={"llm": decision.seconds}), "action": action}


async def ask(state: ConversationState, runtime: Context) -> dict[str, Any]:
    """Read back what the irreversible action will do, and keep that read-back for the customer's answer.

    It is stored in the state before ``confirm`` pauses because LangGraph re-runs an interrupted node from
    its start on resume: reading the cart there again would confirm whatever the cart had become.
    """
    ctx = runtime.context
    action = state["action"]
    assert action is not None
    tool, args = action["action"], _args(action)
    subject = await _subject(tool, args, ctx)
    if subject.get("error"):  # nothing to confirm: say why instead of asking
        refused = TurnUpdate(actions=[ActionRecord(tool=tool, args=args, status="error", error=subject["error"])],
                             reply=subject["reply"])
        return {"turn": refused, "action": None, "pending": None, **subject["update"]}
    earlier = state.get("pending")
    changes = describe_changes(earlier["snapshot"], subject["snapshot"]) if earlier and earlier["changed"] else ""
    prompt = ctx.prompts.reply(f"{tool}.confirm", args=args, **{subject["kind"]: subject["snapshot"]},
                               **subject.get("extra", {}))
    pending = Pending(tool=tool, args=args, question=prompt, prompt=f"{changes} {prompt}".strip(),
                      snapshot=subject["snapshot"],
                      fingerprint=subject["snapshot"].get("fingerprint"), key=uuid.uuid4().hex, changed=False)
    return {"pending": pending, **subject["update"]}


async def confirm(state: ConversationState, runtime: Context) -> dict[str, Any]:
    """Wait for the customer's answer to the read-back; the graph stops here until their next message."""
    ctx = runtime.context
    pending = state["pending"]
    assert pending is not None
    answer: str = interrupt({k: pending[k] for k in ("tool", "args", "prompt", "fingerprint")})

    # Resumed with the customer's next message: that message starts a new turn.
    turn = new_turn(answer)
    history = [{"role": "assistant", "content": pending["prompt"]}, {"role": "user", "content": answer}]
    record = ActionRecord(tool=pending["tool"], args=pending["args"], status="done")
    started = time.perf_counter()
    verdict = await consent(answer, pending, ctx.understander if ctx.consent_model else None)
    if verdict.asked:  # the model's time on this answer
        turn = Turn(**{**turn, "timings": {**turn["timings"], "llm": time.perf_counter() - started}})
    decision = verdict.decision
    if decision == "yes":
        return {"turn": {**turn, "confirmed": record}, "history": history,
                "action": {"action": pending["tool"], **pending["args"]}}
    if decision == "unclear":  # ask again, briefly, and keep waiting
        again = ctx.prompts.reply("confirm_again", question=pending["question"])
        return {"turn": turn, "history": history, "action": None, "pending": {**pending, "prompt": again}}
    if decision == "no":
        declined = Turn(**{**turn, "confirmed": record.model_copy(update={"status": "cancelled"}),
                           "reply": ctx.prompts.reply("declined", tool=pending["tool"])})
        return {"turn": declined, "history": history, "action": None, "pending": None}
    # A new request instead of an answer: nothing is run, and the request is answered as one.
    return {"turn": turn, "history": history, "action": None, "pending": None, "user_text": answer}


async def consent(answer: str, pending: Pending, understander: Understander | None = None) -> Verdict:
    """How ``answer`` responds to the pending question (its order id and the items as the customer named them
    count as the question's own words: "yes, return the running shoes"): the rules, and the model where the
    rules let it turn an answer they do not know into a yes (agent.consent)."""
    ask_model = (lambda: understander.consent(pending["question"], answer)) if understander is not None else None
    return await decide_consent(answer, default_rules(PROMPTS_DIR / "confirmation.yaml"), pending["tool"],
                                _question_words(pending), ask_model)


def _question_words(pending: Pending) -> list[str]:
    """The arguments' plain values, and of a list of items each one's name."""
    values = pending["args"].values()
    names = [str(item["name"]) for value in values if isinstance(value, list)
             for item in value if isinstance(item, dict) and item.get("name")]
    return [str(value) for value in values if not isinstance(value, list | dict)] + names


async def act(state: ConversationState, runtime: Context) -> dict[str, Any]:
    ctx = runtime.context
    turn = state["turn"]
    action = parse_action(state["action"] or {})
    pending = state.get("pending")
    tools = dataclasses.replace(ctx.tools, said=_recent_words(state.get("history", [])))
    if turn["confirmed"] is not None and pending is not None:  # exactly what was read back, at most once
        tools = dataclasses.replace(tools, confirmation=Confirmation(idempotency_key=pending["key"],
                                                                     fingerprint=pending["fingerprint"]))
    started = time.perf_counter()
    outcome = await run_action(action, tools)
    done = TurnUpdate(steps=1, outcomes=[outcome.model_dump()], timings={"tools": time.perf_counter() - started})
    record = ActionRecord(tool=action.action, args=action.args(), status="done" if outcome.ok else "error",
                          error=outcome.error)
    if turn["confirmed"] is not None and turn["confirmed"].tool == action.action:
        done["confirmed"] = record  # a confirmed action is not a new choice of this turn
    else:
        done["actions"] = [record]
    await ctx.emit(ToolResult(tool=action.action, ok=outcome.ok))
    update: dict[str, Any] = {"turn": done, "pending": None}
    if pending is not None and outcome.code in CHANGED:  # the shop refused: read back the new state
        update["pending"] = {**pending, "changed": True}
    if outcome.ok and outcome.data.get("items"):
        shown = [_product_card(p) for p in outcome.data["items"]]
        done["shown"] = shown
        update["shown"] = shown
    if outcome.ok and outcome.data.get("cart"):
        update["cart"] = outcome.data["cart"]
    return update


async def respond(state: ConversationState, runtime: Context) -> dict[str, Any]:
    ctx = runtime.context
    turn = state["turn"]
    update = TurnUpdate() if turn["reply"] else _compose_reply(state.get("action"), turn, ctx, state.get("shown") or [])
    reply = update.get("reply", turn["reply"])
    await ctx.emit(Reply(text=reply))
    return {"turn": update, "history": [{"role": "assistant", "content": reply}], "action": None}


# ── routing ──────────────────────────────────────────────────────────────────────────────────────────

def after_understand(state: ConversationState) -> Literal["respond", "ask", "act"]:
    action = state.get("action")
    if action is None or action["action"] in ANSWERS:
        return "respond"
    return "ask" if TOOLS[action["action"]].needs_confirmation else "act"


def after_ask(state: ConversationState) -> Literal["confirm", "respond"]:
    return "confirm" if state.get("pending") else "respond"  # respond: nothing to confirm, and why


def after_confirm(state: ConversationState) -> Literal["act", "confirm", "respond", "understand"]:
    turn = state["turn"]
    if state.get("action") is not None and turn["confirmed"] is not None:
        return "act"  # yes
    if state.get("pending"):
        return "confirm"  # unclear: asked again
    if turn["reply"]:
        return "respond"  # no
    return "understand"  # a new request instead of an answer


def after_act(state: ConversationState, runtime: Context) -> Literal["ask", "understand", "respond"]:
    turn = state["turn"]
    pending = state.get("pending")
    if pending is not None and pending["changed"]:
        return "ask"
    if turn["confirmed"] is not None or turn["steps"] >= runtime.context.tool_steps:
        return "respond"
    return "understand"


def build_graph(checkpointer: Any = None):  # noqa: ANN201 - a compiled LangGraph graph
    graph = StateGraph(ConversationState, context_schema=TurnContext)
    graph.add_node("start_turn", start_turn)
    graph.add_node("understand", understand)
    graph.add_node("ask", ask)
    graph.add_node("confirm", confirm)
    graph.add_node("act", act)
    graph.add_node("respond", respond)
    graph.add_edge(START, "start_turn")
    graph.add_edge("start_turn", "understand")
    graph.add_conditional_edges("understand", after_understand)
    graph.add_conditional_edges("ask", after_ask)
    graph.add_conditional_edges("confirm", after_confirm)
    graph.add_conditional_edges("act", after_act)
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer)


# ── helpers ──────────────────────────────────────────────────────────────────────────────────────────

def _args(action: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in action.items() if k != "action"}


SAID_MESSAGES = 2  # "running shoes without laces" then "in red then": the follow-up keeps what came before


def _recent_words(history: list[dict[str, str]]) -> str | None:
    """The customer's last messages, oldest first: what a search's filters must have been said in."""
    said = [m["content"] for m in history if m.get("role") == "user"][-SAID_MESSAGES:]
    return " , ".join(said) or None  # a comma ends what a negation covers


def _product_card(product: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "brand", "category", "price", "rating", "review_count", "stock", "colors", "sizes",
            "options", "match", "reason")
    card = {k: product[k] for k in keys if k in product}
    if product.get("modifiers"):  # names and groups: what "make it oat milk" is matched against
        card["modifiers"] = [{k: m[k] for k in ("name", "price", "group") if k in m} if isinstance(m, dict) else m
                             for m in product["modifiers"]]
    return card


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


async def _subject(tool: str, args: dict[str, Any], ctx: TurnContext) -> dict[str, Any]:
    """The cart or order an irreversible action is about, as the shop has it now, or why there is none."""
    if tool == "checkout":
        cart, error = await read_cart(ctx.tools)
        if not cart or not cart.get("lines"):
            return {"error": error or "the cart is empty", "update": {"cart": cart},
                    "reply": ctx.prompts.reply("checkout.confirm", cart=cart)}
        return {"kind": "cart", "snapshot": cart, "update": {"cart": cart}}
    if TOOLS[tool].previews:  # the shop checks the change and answers what it would do, changing nothing
        outcome = await run_action(parse_action({"action": tool, **args}), dataclasses.replace(ctx.tools, preview=True))
        if not outcome.ok:  # the policy's refusal, said as the shop words it
            return {"error": outcome.error, "update": {}, "reply": ctx.prompts.reply("order_change.refused",
                                                                                     error=outcome.error)}
        preview = outcome.data["preview"]
        return {"kind": "order", "snapshot": {**preview["order"], "after": preview["after"]}, "update": {},
                "extra": {"change": change_summary(preview)}}
    outcome = await run_action(parse_action({"action": "order_status", "order_id": args["order_id"]}), ctx.tools)
    if not outcome.ok:
        return {"error": outcome.error, "update": {}, "reply": ctx.prompts.reply("error", error=outcome.error)}
    order = outcome.data["order"]
    if not order["cancellable"]:
        error = f"order {order['id']} is {order['status']} and can no longer be cancelled"
        return {"error": error, "update": {}, "reply": ctx.prompts.reply("error", error=error)}
    return {"kind": "order", "snapshot": order, "update": {}}


def _compose_reply(action: dict[str, Any] | None, turn: Turn, ctx: TurnContext,
                   shown: list[dict[str, Any]]) -> TurnUpdate:
    """Template replies from tool data; the model's own words only for answers without tools."""
    prompts = ctx.prompts
    if action is not None and action["action"] in ANSWERS:
        name, args = action["action"], _args(action)
        # clarify and handoff count as chosen actions; a plain reply does not
        chosen = [] if name == "reply" else [ActionRecord(tool=name, args=args)]
        if name != "reply" or not turn["outcomes"] or ctx.reply_mode == "llm":
            return TurnUpdate(actions=chosen, reply=prompts.reply(name, **args))
    if not turn["outcomes"]:
        # No tool ran: say why. (When one did before the model failed, its result is still the answer.)
        return TurnUpdate(reply=prompts.reply("llm_unavailable" if turn.get("llm_error") else "not_understood"))
    last = turn["outcomes"][-1]
    if not last["ok"]:
        # what the customer asked of that tool (the action may since be the model's reply)
        asked = next((r.args for r in reversed(turn["actions"]) if r.tool == last["tool"]), {})
        if problem := refused_choice(last, asked):  # the product lacks that variant, or none was named
            product_id = (last.get("body") or {}).get("product_id") or asked.get("product_id")
            card = next((p for p in shown if p.get("id") == product_id), {})
            question = question_data(problem, card.get("name"), sold_out=bool((last.get("body") or {}).get("sold_out")))
            return TurnUpdate(reply=prompts.reply("add_to_cart.unavailable", **question))
        return TurnUpdate(reply=prompts.reply("error", error=last["error"]))
    return TurnUpdate(reply=prompts.reply(last["tool"], **last["data"]))
