"""The assistant API's request rules, written once for every route a customer turn can arrive by.

``POST /api/chat`` declares :class:`ChatRequest` as its body; ``POST /api/voice`` (a multipart form) and
``WS /api/live`` (JSON messages) read their fields by hand and hold them to the same models with
:func:`parse_turn`, so a conversation id or a typed message valid on one route is valid on all of them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel, Field, ValidationError, field_validator

from agent.assistant import CONVERSATION_ID_PATTERN, MAX_TEXT_CHARS

TurnT = TypeVar("TurnT", bound=BaseModel)


class TurnRequest(BaseModel):
    """What any turn may carry besides its words: the conversation it continues (none: a new one)."""

    conversation_id: str | None = Field(default=None, pattern=CONVERSATION_ID_PATTERN)


class ChatRequest(TurnRequest):
    """A typed customer message."""

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)

    @field_validator("text")
    @classmethod
    def not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("say something: the text is blank")
        return text.strip()


def parse_turn(model: type[TurnT], **fields: Any) -> TurnT:
    """``fields`` held to ``model``'s rules, or a 422 that names each broken one.

    An empty ``conversation_id`` (a blank form field) means a new conversation, as leaving it out does.
    """
    if fields.get("conversation_id") == "":
        fields["conversation_id"] = None
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise HTTPException(422, problems) from error
