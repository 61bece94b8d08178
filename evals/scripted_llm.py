"""Scripted test LLMs (test doubles): OpenAI chat-completions transports that act out a scenario.

They prove the harness rather than a model. ``GoldReplayLLM`` answers each turn with the scenario's own
expected actions (refs resolved to the ids this run showed) and then a reply, so every shipped scenario
must pass with it: a failure means a broken runner, scorer or scenario. ``WrongAnswerLLM`` makes one
kind of mistake on purpose, so tests can check that exactly the matching expectations fail.

The runner calls ``begin_turn`` before each customer turn (see :class:`evals.runner.TurnScripted`); the
assistant then asks for one action per step and gets them in order, then ``reply``.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Literal

import httpx

from evals.matchers import Absent, AnyValue, Contains, Matcher, NoExample, Ref, RefContext
from evals.scenario import ActionExpectation, Turn

Action = dict[str, Any]
DEFAULT_REPLY = "Happy to help."
PASSED_ON_ARGUMENTS = frozenset({"question", "reason"})  # free text a model takes from the customer's words


def completion(content: str, model: str = "scripted") -> dict[str, Any]:
    """A minimal chat-completion body, as an OpenAI-compatible server returns it."""
    return {
        "id": "scripted", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _placeholder(tool: str, argument: str) -> Any:
    """Some valid value for ``{any: true}``, by the argument's type in the action schema."""
    from tools import TOOLS

    schema = TOOLS[tool].model.model_json_schema()["properties"][argument]
    types = {schema.get("type")} | {option.get("type") for option in schema.get("anyOf", [])}
    if "string" in types:
        return "anything"
    if types & {"integer", "number"}:
        return 1
    raise NoExample(f"no placeholder for {tool}.{argument}")


def gold_action(expected: ActionExpectation, refs: RefContext, utterance: str | None = None) -> Action:
    """The action the scenario expects, with concrete values (``absent`` and dangling refs left out).

    A question (``search_faq``, ``clarify``) or a hand-off reason with a ``contains`` matcher takes the
    customer's own words when they contain the expected text, as a model passing the question on would;
    other ``contains`` arguments (search words, colors, brands) take the expected text itself.
    """
    action: Action = {"action": expected.tool}
    for name, matcher in expected.args.items():
        try:
            if isinstance(matcher, AnyValue):
                action[name] = _placeholder(expected.tool, name)
            elif (name in PASSED_ON_ARGUMENTS and isinstance(matcher, Contains) and utterance
                  and matcher.check(utterance, refs) is None):
                action[name] = utterance
            else:
                action[name] = matcher.example(refs)
        except NoExample:
            continue  # the assistant then rejects or mis-runs it, and the turn's checks say so
    return action


def gold_reply(turn: Turn) -> Action:
    """A reply that meets the turn's reply expectations (used when the agent speaks the model's words)."""
    wanted = turn.expect.reply_contains_any
    return {"action": "reply", "text": wanted[0] if wanted else DEFAULT_REPLY}


class ScriptedLLM(httpx.AsyncBaseTransport):
    """Base of the doubles: answers ``POST .../chat/completions`` from a per-turn queue of actions."""

    name = "scripted"

    def __init__(self) -> None:
        self.queue: deque[Action] = deque()
        self.requests: list[dict[str, Any]] = []

    def begin_turn(self, turn: Turn, refs: RefContext) -> None:
        self.queue = deque(self.script(turn, refs))

    def script(self, turn: Turn, refs: RefContext) -> list[Action]:
        raise NotImplementedError

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404, json={"error": f"a scripted LLM serves only chat completions, "
                                                      f"not {request.method} {request.url.path}"})
        self.requests.append(json.loads(await request.aread()))
        answer = self.queue.popleft() if self.queue else {"action": "reply", "text": DEFAULT_REPLY}
        return httpx.Response(200, json=completion(json.dumps(answer), self.name))


class GoldReplayLLM(ScriptedLLM):
    """Chooses exactly the scenario's expected actions, then replies (a test double)."""

    name = "gold-replay"

    def script(self, turn: Turn, refs: RefContext) -> list[Action]:
        return [gold_action(e, refs, turn.text) for e in turn.expect.actions or []] + [gold_reply(turn)]


Mistake = Literal["silent", "wrong_args", "wrong_tool"]
_SUBSTITUTE_TOOL = {"view_cart": "list_orders"}  # any other tool becomes view_cart


class WrongAnswerLLM(GoldReplayLLM):
    """Makes one kind of mistake on every turn, or only on the turns listed (a test double).

    - ``silent``: never acts, only replies: every expected action and state change goes missing.
    - ``wrong_args``: the expected tools with every checked argument changed.
    - ``wrong_tool``: another tool (``view_cart``, or ``list_orders`` instead of it) with no arguments.

    On the other turns it plays the gold script, so a mistake late in a scenario can be tested alone.
    """

    def __init__(self, mistake: Mistake, on_turns: frozenset[int] | None = None) -> None:
        super().__init__()
        self.mistake = mistake
        self.on_turns = on_turns  # 0-based turn indexes; None: every turn
        self.turns_begun = 0
        self.name = f"wrong-{mistake}"

    def script(self, turn: Turn, refs: RefContext) -> list[Action]:
        index, self.turns_begun = self.turns_begun, self.turns_begun + 1
        if self.on_turns is not None and index not in self.on_turns:
            return super().script(turn, refs)
        expected = turn.expect.actions or []
        reply: Action = {"action": "reply", "text": "Sorry, I am not sure."}
        if self.mistake == "silent":
            return [reply]
        if self.mistake == "wrong_tool":
            return [{"action": _SUBSTITUTE_TOOL.get(e.tool, "view_cart")} for e in expected] + [reply]
        return [self._perturbed(e, refs) for e in expected] + [reply]

    @staticmethod
    def _perturbed(expected: ActionExpectation, refs: RefContext) -> Action:
        action = gold_action(expected, refs)
        for name, matcher in expected.args.items():
            if name in action:
                action[name] = _wrong_value(matcher, action[name], refs)
        return action


def _wrong_value(matcher: Matcher, right: Any, refs: RefContext) -> Any:
    """A value the matcher rejects (usually one the action schema accepts, so the tool really runs)."""
    if isinstance(matcher, Absent):
        return right
    if isinstance(matcher, Ref):
        others = [pid for pid in (*refs.results, *refs.cart) if pid != right]
        return others[0] if others else "p0"
    if isinstance(right, bool):
        return not right
    if isinstance(right, int | float):
        return right + 1 if right < 10 else round(right * 3)
    if isinstance(right, list):
        return right[:1] * len(right)  # same length, one id repeated: no longer the expected set
    return "zzz unrelated"
