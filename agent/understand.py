"""The understand step: conversation in, exactly one typed action out.

This is the only place that knows how actions are put to the model (prompt text, decoding constraint)
and read back, so engines and prompting strategies change here without touching the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from agent.llm import ChatClient
from agent.prompts import Prompts
from tools import Action, parse_action
from tools.base import action_schema

MAX_ACTION_TOKENS = 96  # the longest valid action is well under this; it also bounds a rambling model


@dataclass
class Decision:
    action: Action | None  # None: the output was not a valid action
    raw: str
    seconds: float


@cache
def _decoding_schema() -> dict[str, Any]:
    return action_schema()


class Understander:
    """Asks the LLM for the next action under the action schema (constrained decoding)."""

    def __init__(self, llm: ChatClient, prompts: Prompts) -> None:
        self.llm = llm
        self.prompts = prompts

    async def choose(self, history: list[dict[str, str]], shown: list[dict[str, Any]],
                     cart: dict[str, Any] | None, results: list[str]) -> Decision:
        """Raises :class:`agent.llm.LLMError` when the model cannot be reached."""
        messages = self.prompts.messages(history, shown, cart, results)
        completion = await self.llm.complete(messages, schema=_decoding_schema(), max_tokens=MAX_ACTION_TOKENS)
        try:
            action = parse_action(completion.content)
        except ValueError:
            action = None  # cannot happen under constrained decoding; a remote server may not enforce it
        return Decision(action, completion.content, completion.seconds)
