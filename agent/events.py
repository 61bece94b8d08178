"""Live events: what the assistant tells a listener (the live WebSocket, the widget) while a turn runs.

One discriminated union on ``type``; the graph and the voice turn emit these models and the live route
sends ``event.model_dump(mode="json")``. The ``label`` of a running tool comes from the tool registry, so
clients show it as it is and keep no copy of the tool names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class Transcribing(BaseModel):
    type: Literal["transcribing"] = "transcribing"


class Transcript(BaseModel):
    type: Literal["transcript"] = "transcript"
    text: str  # what ASR heard; empty for silence


class Thinking(BaseModel):
    type: Literal["thinking"] = "thinking"


class ToolRunning(BaseModel):
    type: Literal["action"] = "action"
    tool: str
    args: dict[str, Any]
    label: str  # what to show while it runs, e.g. "Searching the catalog…"


class ToolResult(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    tool: str
    ok: bool


class Reply(BaseModel):
    type: Literal["reply"] = "reply"
    text: str


class TurnFailed(BaseModel):
    type: Literal["error"] = "error"
    status: int  # the HTTP status the same failure gets from /api/chat or /api/voice
    detail: str


class Done(BaseModel):
    type: Literal["done"] = "done"
    response: dict[str, Any]  # the body /api/chat (or /api/voice) returns for the turn


LiveEvent = Annotated[Transcribing | Transcript | Thinking | ToolRunning | ToolResult | Reply | TurnFailed | Done,
                      Field(discriminator="type")]
EventSink = Callable[[LiveEvent], Awaitable[None]]


async def emit(sink: EventSink | None, event: LiveEvent) -> None:
    """Send ``event`` when someone is listening."""
    if sink is not None:
        await sink(event)
