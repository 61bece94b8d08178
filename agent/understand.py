"""The understand step: conversation in, exactly one typed action out.

This is the only place that knows how actions are put to the model (prompt text, decoding constraint)
and read back, so engines and prompting strategies change here without touching the graph. Two modes:

- ``compact`` (the embedded Gemma 3 270M): a short plain-text prompt (``prompts/understand_compact.j2``)
  with the screen and the last exchange, optional retrieved examples, and a one-line action encoding
  (:mod:`agent.compact.codec`) under a per-turn GBNF grammar. The committed LoRA adapter teaches the
  base model this task; without it the prompt also lists the action codes.
- ``instruct`` (capable models behind vLLM or a hosted API): a descriptive system prompt
  (``prompts/system.j2``) and JSON output under the action schema.

Either way :meth:`Understander.choose` returns a validated :class:`tools.Action` (or ``None``), and
:meth:`Understander.consent` reads an answer to a read-back as yes/no/unclear/other (a one-line grammar, or
a JSON enum), for ``agent.consent.decide_consent`` to weigh against the rules.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from agent.compact import consent_line
from agent.compact.codec import Screen, TurnWords, decode, grammar
from agent.compact.prompt import PromptInput, render, spoken_form
from agent.consent import Consent
from agent.llm import ChatClient
from agent.prompts import Prompts
from agent.variant_choice import settle_variant
from tools import Action, parse_action
from tools.base import action_schema
from tools.vocabulary import CatalogWords

MAX_ACTION_TOKENS = 96  # JSON mode: the longest valid action is well under this; it also bounds a rambling model
MAX_COMPACT_TOKENS = 32  # compact mode: "search wireless headphones; color black; max 50" is ~12 tokens
DEFAULT_FEW_SHOT = 4  # retrieved examples for the base model when no adapter is loaded

Mode = Literal["compact", "instruct"]


@dataclass
class Decision:
    action: Action | None  # None: the output was not a valid action
    raw: str
    seconds: float


@dataclass(frozen=True)
class UnderstandOptions:
    """How the understand step talks to its model.

    ``few_shot``: retrieved examples per prompt (compact mode); ``explain``: list the action codes in the
    prompt (needed by a model that was not fine-tuned on them).
    """

    mode: Mode = "compact"
    few_shot: int = 0
    explain: bool = False

    @classmethod
    def for_client(cls, llm: ChatClient, mode: Mode | None = None, few_shot: int | None = None) -> UnderstandOptions:
        """Defaults from what the client talks to: the embedded model, or the fine-tuned one behind a server
        (vLLM with the adapter), gets the compact mode, with the action codes and retrieved examples when no
        adapter is loaded; other servers get the instruct mode."""
        embedded = bool(getattr(llm, "embedded", False))
        tuned = getattr(llm, "adapter", None) is not None
        mode = mode or ("compact" if embedded or tuned else "instruct")
        if few_shot is None:
            few_shot = 0 if tuned or mode == "instruct" else DEFAULT_FEW_SHOT
        return cls(mode=mode, few_shot=few_shot, explain=not tuned)


@cache
def _decoding_schema() -> dict[str, Any]:
    return action_schema()


CONSENT_SCHEMA: dict[str, Any] = {  # instruct mode: the one word, as JSON
    "type": "object", "properties": {"consent": {"type": "string", "enum": list(consent_line.CONSENTS)}},
    "required": ["consent"], "additionalProperties": False}
MAX_CONSENT_JSON_TOKENS = 12  # {"consent": "unclear"}


class Understander:
    """Asks the LLM for the next action, constrained to valid output, and validates it."""

    def __init__(self, llm: ChatClient, prompts: Prompts, options: UnderstandOptions | None = None,
                 few_shot_index: Any = None, few_shot_cache: Path | None = None) -> None:
        """``few_shot_cache``: where the example index keeps its vectors, so a restart does not re-embed them."""
        self.llm = llm
        self.prompts = prompts
        self.options = options or UnderstandOptions.for_client(llm)
        self._index = few_shot_index  # an agent.compact.fewshot.FewShotIndex, built on first use
        self._few_shot_cache = few_shot_cache
        self._index_lock = asyncio.Lock()
        self.catalog = CatalogWords()  # the shop's words (options and their values); see use_vocabulary

    def use_vocabulary(self, catalog: CatalogWords) -> None:
        """The catalog's current words: search options in the per-turn grammar are the ones it has."""
        self.catalog = catalog

    async def choose(self, history: list[dict[str, str]], shown: list[dict[str, Any]],
                     cart: dict[str, Any] | None, results: list[str]) -> Decision:
        """Raises :class:`agent.llm.LLMError` when the model cannot be reached."""
        decision = await self._choose(history, shown, cart, results)
        if decision.action is not None:
            said = history[-1]["content"] if history and history[-1].get("role") == "user" else ""
            # The variant picked, in the product's own spelling (agent/variant_choice.py).
            decision.action = settle_variant(decision.action, shown, spoken_form(said))
        return decision

    async def _choose(self, history: list[dict[str, str]], shown: list[dict[str, Any]],
                      cart: dict[str, Any] | None, results: list[str]) -> Decision:
        if self.options.mode == "compact":
            return await self._choose_compact(history, shown, cart, results)
        messages = self.prompts.messages(history, shown, cart, results)
        completion = await self.llm.complete(messages, schema=_decoding_schema(), max_tokens=MAX_ACTION_TOKENS)
        try:
            action = parse_action(completion.content)
        except ValueError:
            action = None  # cannot happen under constrained decoding; a remote server may not enforce it
        return Decision(action, completion.content, completion.seconds)

    async def _choose_compact(self, history: list[dict[str, str]], shown: list[dict[str, Any]],
                              cart: dict[str, Any] | None, results: list[str]) -> Decision:
        started = time.perf_counter()
        if results:
            # The compact prompt has no place for tool results: the small model runs one tool per turn,
            # and a plain reply lets the graph speak that tool's result.
            return Decision(parse_action({"action": "reply", "text": "Done."}), "", 0.0)
        said = history[-1]["content"] if history and history[-1].get("role") == "user" else ""
        utterance = spoken_form(said)
        screen = Screen.of(shown, cart)
        examples = []
        if self.options.few_shot > 0:
            index = await self._few_shot_index()
            examples = await asyncio.to_thread(index.nearest, utterance, self.options.few_shot)
        prompt = render(PromptInput(utterance, screen.shown, screen.cart_lines, history[:-1], examples),
                        explain=self.options.explain)
        # A search's brand and colour may only be words the customer said, now or in their previous message.
        before = tuple(spoken_form(m.get("content", "")) for m in history[:-1] if m.get("role") == "user")[-1:]
        # An order number is one the conversation holds: said, or an order a reply named.
        seen = tuple(spoken_form(m.get("content", "")) for m in history[:-1] if m.get("role") == "user")
        replies = tuple(m.get("content", "") for m in history[:-1] if m.get("role") == "assistant")
        words = TurnWords.of(screen, utterance, self.catalog.options, before, seen, replies)
        turn_grammar = grammar(len(screen.shown), len(screen.cart_lines), words)
        completion = await self.llm.complete_raw(prompt, grammar=turn_grammar, max_tokens=MAX_COMPACT_TOKENS,
                                                 stop=["\n"])
        try:
            action = decode(completion.content, screen, utterance or said, catalog=self.catalog.options)
        except ValueError:
            action = None  # only when the server ignored the grammar (a remote server may)
        return Decision(action, completion.content, time.perf_counter() - started)

    async def consent(self, question: str, answer: str) -> Consent | None:
        """How the model reads ``answer`` to the read-back ``question``; ``None`` when its output is not one of
        the four words (a server that ignored the grammar). Raises :class:`agent.llm.LLMError` when the model
        cannot be reached or times out.

        Compact mode renders the same prompt as a training example (``training/consent_answers.py``): the
        question as the assistant's last message, the answer as the utterance, no screen."""
        if self.options.mode == "compact":
            prompt = render(PromptInput(spoken_form(answer), history=[{"role": "assistant", "content": question}]),
                            explain=self.options.explain)
            completion = await self.llm.complete_raw(prompt, grammar=consent_line.GRAMMAR,
                                                     max_tokens=consent_line.MAX_TOKENS, stop=["\n"])
            try:
                return consent_line.parse_consent_line(completion.content)
            except ValueError:
                return None
        completion = await self.llm.complete(self.prompts.consent_messages(question, answer), schema=CONSENT_SCHEMA,
                                             max_tokens=MAX_CONSENT_JSON_TOKENS)
        try:
            said = json.loads(completion.content).get("consent")
        except (ValueError, AttributeError):
            return None
        return said if said in consent_line.CONSENTS else None

    async def _few_shot_index(self) -> Any:
        async with self._index_lock:
            if self._index is None:
                from agent.compact.fewshot import FewShotIndex

                self._index = await asyncio.to_thread(FewShotIndex.build, self._few_shot_cache)
            return self._index
