"""Understanding test sets and their scoring: exact action, tool, arguments, invalid outputs.

Two kinds of cases are scored the same way: the hand-written dev set (``evals/understanding/dev.yaml``,
gold written with the scenario contract's matchers) and generated held-out examples (gold = the action
their compact line decodes to). Definitions:

- tool accuracy: the chosen action's name is the gold one;
- exact action: right tool, every expected argument matches, and no other argument was given unless the
  case allows it (``optional``); free texts (reply/clarify/handoff wording, the FAQ question) and
  ``search_products.category``
  are not judged, and an argument left at its default (``quantity: 1``) counts as not given;
- argument accuracy: over cases with the right tool, matched expected arguments / (expected arguments +
  unexpected ones);
- invalid output: the model's output was not a valid action at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.matchers import MISSING, Literal, Matcher, RefContext, parse_matcher
from tools import TOOLS, Action

DEV_DIR = Path(__file__).resolve().parents[1] / "evals" / "understanding"
# Free texts: the wording of answers, and the FAQ question (the customer's own words in the compact mode).
UNJUDGED = {("reply", "text"), ("clarify", "question"), ("handoff", "reason"), ("search_faq", "question"),
            ("search_products", "category")}
NO_REFS = RefContext()


@dataclass
class Case:
    """One utterance on one screen with its gold action."""

    utterance: str
    tool: str
    args: dict[str, Matcher]
    optional: dict[str, Matcher] = field(default_factory=dict)
    shown: list[dict[str, Any]] = field(default_factory=list)
    cart: dict[str, Any] | None = None
    history: list[dict[str, str]] = field(default_factory=list)  # earlier messages; the utterance comes after
    source: str = ""  # "dev:<n>" or the generator template id

    def messages(self) -> list[dict[str, str]]:
        return [*self.history, {"role": "user", "content": self.utterance}]


@dataclass
class Score:
    tool_ok: bool
    exact: bool
    args_matched: int
    args_total: int
    invalid: bool
    problems: list[str]


def load_dev_set(directory: Path = DEV_DIR) -> list[Case]:
    """The hand-written cases with their screens resolved."""
    contexts = yaml.safe_load((directory / "contexts.yaml").read_text(encoding="utf-8"))
    raw = yaml.safe_load((directory / "dev.yaml").read_text(encoding="utf-8"))["cases"]
    cases = []
    for number, item in enumerate(raw, 1):
        names = item.get("context") or []
        names = [names] if isinstance(names, str) else names
        screen: dict[str, Any] = {}
        for name in names:
            if name not in contexts:
                raise ValueError(f"dev case {number} names unknown context {name!r}")
            screen.update(contexts[name])
        expect = dict(item["expect"])
        tool = expect.pop("action")
        if tool not in TOOLS:
            raise ValueError(f"dev case {number}: unknown action {tool!r}")
        cases.append(Case(
            utterance=item["say"], tool=tool, args={k: parse_matcher(v) for k, v in expect.items()},
            optional={k: parse_matcher(v) for k, v in (item.get("optional") or {}).items()},
            shown=screen.get("shown", []), cart={"lines": screen["cart"]} if "cart" in screen else None,
            history=screen.get("history", []), source=f"dev:{number}"))
    return cases


def case_from_example(example: Any) -> Case:
    """A generated :class:`training.taskdata.TaskExample` as a case (its decoded action is the gold)."""
    gold = example.action()
    args = {k: Literal(v) for k, v in _given_args(gold).items() if (gold.action, k) not in UNJUDGED}
    return Case(utterance=example.utterance, tool=gold.action, args=args, shown=example.shown,
                cart={"lines": example.cart_lines} if example.cart_lines else None,
                history=example.history, source=example.template)


def _given_args(action: Action) -> dict[str, Any]:
    """Arguments the action sets to something other than its default."""
    fields = type(action).model_fields
    return {k: v for k, v in action.args().items() if v != fields[k].default}


def _matches(matcher: Matcher, value: Any) -> bool:
    if isinstance(matcher, Literal) and isinstance(matcher.value, list) and isinstance(value, list):
        return [str(v).casefold() for v in matcher.value] == [str(v).casefold() for v in value]
    return matcher.check(value, NO_REFS) is None


def score(case: Case, action: Action | None) -> Score:
    if action is None:
        return Score(False, False, 0, len(case.args), True, ["no valid action"])
    if action.action != case.tool:
        return Score(False, False, 0, len(case.args), False, [f"chose {action.action}, expected {case.tool}"])
    given = _given_args(action)
    problems, matched = [], 0
    for name, matcher in case.args.items():
        if _matches(matcher, given.get(name, MISSING)):
            matched += 1
        else:
            problems.append(f"{name}: {matcher.describe()} ≠ {given.get(name, 'nothing')!r}")
    extra = 0
    for name, value in given.items():
        if name in case.args or (action.action, name) in UNJUDGED:
            continue
        if name in case.optional and _matches(case.optional[name], value):
            continue
        extra += 1
        problems.append(f"unexpected {name}={value!r}")
    return Score(True, not problems, matched, len(case.args) + extra, False, problems)


@dataclass
class Totals:
    cases: int = 0
    tool_ok: int = 0
    exact: int = 0
    args_matched: int = 0
    args_total: int = 0
    invalid: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, result: Score, seconds: float) -> None:
        self.cases += 1
        self.tool_ok += result.tool_ok
        self.exact += result.exact
        self.invalid += result.invalid
        if result.tool_ok:
            self.args_matched += result.args_matched
            self.args_total += result.args_total
        self.latencies.append(seconds)

    def figures(self) -> dict[str, float | int | None]:
        from evals.metrics import percentile

        n = max(1, self.cases)
        return {"cases": self.cases, "exact": self.exact / n, "tool": self.tool_ok / n,
                "args": self.args_matched / self.args_total if self.args_total else None,
                "invalid": self.invalid / n,
                "p50_s": percentile(self.latencies, 50) if self.latencies else None,
                "p95_s": percentile(self.latencies, 95) if self.latencies else None}


def summarize(results: Sequence[tuple[Score, float]]) -> dict[str, float | int | None]:
    totals = Totals()
    for result, seconds in results:
        totals.add(result, seconds)
    return totals.figures()
