"""Actions that call nothing: the agent answers, asks back, or hands over to a person."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tools.base import Action, conversational


@conversational
class Reply(Action):
    """Answer without a tool: greetings, thanks, small talk, or the answer after tool results."""

    action: Literal["reply"] = "reply"
    text: Annotated[str, Field(min_length=1, max_length=400)]


@conversational
class Clarify(Action):
    """Ask the customer for missing information."""

    action: Literal["clarify"] = "clarify"
    question: Annotated[str, Field(min_length=1, max_length=300)]


@conversational
class Handoff(Action):
    """Pass the conversation to a human agent."""

    action: Literal["handoff"] = "handoff"
    reason: Annotated[str, Field(max_length=300)] | None = None
