"""What the graph remembers per conversation (checkpointed) and per customer turn.

The state's reducers do the bookkeeping: a node returns only what it adds (a message, an action, a tool
result, seconds spent) and LangGraph merges it in, so no node copies the turn or the history by hand.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

ActionStatus = Literal["done", "error", "awaiting_confirmation", "cancelled"]


class ActionRecord(BaseModel):
    """An action the assistant chose, as the graph records it, the chat API returns it and the evals score it."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    status: ActionStatus = "done"
    error: str | None = None

    def brief(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        suffix = f" [{self.status}{': ' + self.error if self.error else ''}]" if self.status != "done" else ""
        return f"{self.tool}({args}){suffix}"


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


class TurnUpdate(TypedDict, total=False):
    """What a node adds to the turn: ``actions``/``outcomes`` are appended, ``steps``/``timings`` added up,
    anything else replaced. An update with ``text`` starts a new turn (see :func:`new_turn`)."""

    text: str
    steps: int
    actions: list[ActionRecord]
    outcomes: list[dict[str, Any]]
    shown: list[dict[str, Any]]
    confirmed: ActionRecord | None
    reply: str
    timings: dict[str, float]
    llm_error: str | None


def add_to_turn(turn: Turn | None, update: TurnUpdate) -> Turn:
    """The turn's reducer."""
    if "text" in update or turn is None:
        return Turn(**{**new_turn(update.get("text", "")), **update})  # type: ignore[typeddict-item]
    merged: dict[str, Any] = {**turn}
    for key, value in update.items():
        if key in ("actions", "outcomes"):
            merged[key] = [*turn[key], *value]  # type: ignore[literal-required]
        elif key == "steps":
            merged[key] = turn["steps"] + value
        elif key == "timings":
            merged[key] = {k: turn["timings"].get(k, 0.0) + value.get(k, 0.0) for k in {*turn["timings"], *value}}
        else:
            merged[key] = value
    return Turn(**merged)  # type: ignore[typeddict-item]


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


class Message(TypedDict):
    role: Literal["user", "assistant"]
    content: str


class ConversationState(TypedDict, total=False):
    user_text: str  # input channel: the new customer message
    history: Annotated[list[Message], operator.add]  # chat messages; nodes return the ones they add
    shown: list[dict[str, Any]]  # the products last shown, so "the second one" resolves
    cart: dict[str, Any] | None  # the last known cart
    action: dict[str, Any] | None  # the action decided by the understand step
    pending: Pending | None  # the question waiting for a yes
    turn: Annotated[Turn, add_to_turn]


def new_turn(text: str) -> Turn:
    return Turn(text=text, steps=0, actions=[], outcomes=[], shown=[], confirmed=None, reply="",
                timings={"llm": 0.0, "tools": 0.0}, llm_error=None)
