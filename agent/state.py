"""What the graph remembers per conversation (checkpointed) and per customer turn."""

from __future__ import annotations

from typing import Any, TypedDict


class ActionRecord(TypedDict):
    tool: str
    args: dict[str, Any]
    status: str  # done | error | awaiting_confirmation | cancelled
    error: str | None


class Turn(TypedDict):
    """One customer message and everything the assistant did about it."""

    text: str
    steps: int  # tools run so far this turn (bounded by Settings.tool_steps)
    actions: list[ActionRecord]  # chosen actions, as the eval contract lists them (a plain reply is not one)
    outcomes: list[dict[str, Any]]  # ToolOutcome dumps, newest last
    shown: list[dict[str, Any]]  # products shown this turn ("results[i]" in scenarios)
    confirmed: ActionRecord | None  # a confirmed checkout/cancel that ran this turn
    reply: str
    timings: dict[str, float]
    llm_error: str | None  # why the model gave no answer this turn (unreachable, timed out, failed); else None


class Pending(TypedDict):
    """An irreversible action read back to the customer and waiting for their answer."""

    tool: str
    args: dict[str, Any]
    question: str  # the read-back
    prompt: str  # the question as the customer last heard it (asked again after an unclear answer)
    snapshot: dict[str, Any]  # the cart or order the question describes, as the shop had it then
    fingerprint: str | None  # the shop's fingerprint of that snapshot: it refuses the action if it changed
    key: str  # idempotency key of this confirmation: a retried call never acts twice
    changed: bool  # the shop refused because the snapshot is stale; read back the new state


class ConversationState(TypedDict, total=False):
    user_text: str  # input channel: the new customer message
    history: list[dict[str, str]]  # chat messages {"role", "content"}
    shown: list[dict[str, Any]]  # the products last shown, so "the second one" resolves
    cart: dict[str, Any] | None  # the last known cart
    action: dict[str, Any] | None  # the action decided by the understand step
    pending: Pending | None  # the question waiting for a yes
    turn: Turn


def new_turn(text: str) -> Turn:
    return Turn(text=text, steps=0, actions=[], outcomes=[], shown=[], confirmed=None, reply="",
                timings={"llm": 0.0, "tools": 0.0}, llm_error=None)
