"""Understanding test sets and their scoring: exact action, tool, arguments, invalid outputs, search words.

Two kinds of cases are scored the same way: hand-written sets (``evals/understanding/dev.yaml`` and, for
the café catalog, ``cafe.yaml``; gold written with the scenario contract's matchers) and generated held-out
examples (gold = the action their compact line decodes to). Definitions:

- tool accuracy: the chosen action's name is the gold one;
- exact action: right tool, every expected argument matches, and no other argument was given unless the
  case allows it (``optional``); free texts (reply/clarify/handoff wording, the FAQ question) and
  ``search_products.category``
  are not judged, and an argument left at its default (``quantity: 1``) counts as not given;
- argument accuracy: over cases with the right tool, matched expected arguments / (expected arguments +
  unexpected ones);
- invalid output: the model's output was not a valid action at all;
- variant options right: over add_to_cart cases whose gold names options, the right product with every
  option right and none extra (other arguments, such as the quantity, do not matter here).

Variant options are judged one option at a time: gold ``options: {Size: Large, Milk: Oat}`` is two
arguments, option names compare case-insensitively, and ``color``/``size`` (gold or model) are the
contract's shorthands for the options Color/Size, so ``color: white`` and ``options: {Color: White}`` are
the same argument. ``exclude`` and ``modifiers`` are lists matched as the scenario format matches lists:
same length, one-to-one in any order, ``{contains: x}`` elements accepted as substrings. A gold value that is
a mapping but no matcher (an order item ``{name: {contains: shoe}, size: L}``, a new address) is a
:class:`Fields` matcher, so ``items`` is a list of them: each expected item matches one item of the action
and no item names a field its gold does not (the after-purchase set, ``after_purchase.yaml``, issue 14).

Support sets (``support.yaml``, issue 13) also state per case the hand-off reason kinds that fit (``reason``)
and the detail a clarify must ask for (``asks``); a case that states one is exact only when the model's
hand-off or question fits it (:func:`handoff_kind`, :func:`clarify_detail` read the kind and the detail back
from the action's text). Figures over every set:

- spurious hand-offs: hand-offs chosen where the gold is no hand-off (neither a person asked for nor a
  complaint), over the cases whose gold is no hand-off;
- clarify fit: over the clarify questions the model asked, those on a case whose gold is a clarify and that
  ask for its missing detail (when the case states one);
- hand-off reason fit: over the cases where gold and model both hand off and the case states kinds, the
  model's kind is one of them.

The shopping-query set (``shopping_queries.yaml``) is scored on what a search keeps of the shopper's words
(:func:`search_query_score`): see that function for the word rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from rapidfuzz import fuzz
from text_to_num import alpha2digit

from agent.compact.codec import CLARIFY_CODES, CannedTexts, default_texts
from evals.matchers import (MATCHER_KEYS, MISSING, AnyValue, Absent, Contains, ListOf, Literal, Matcher, OneOf,
                            RefContext, parse_matcher)
from shop.search.query import singular
from tools import TOOLS, Action

DEV_DIR = Path(__file__).resolve().parents[1] / "evals" / "understanding"
# Free texts: the wording of answers, and the FAQ question (the customer's own words in the compact mode).
UNJUDGED = {("reply", "text"), ("clarify", "question"), ("handoff", "reason"), ("search_faq", "question"),
            ("search_products", "category")}
NO_REFS = RefContext()
OPTION = "option:"  # prefix of a per-option argument: "option:size" is the option Size (or the size shorthand)
SHORTHAND_OPTIONS = ("color", "size")  # contract arguments that stand for the options of those names
# Hand-off reason kinds of issue 13 a support case may name, and the words that give a free-text reason's kind
# away (checked in this order: the specific ones first); the model's codes map by name (see handoff_kind).
HANDOFF_KINDS = ("person", "complaint", "billing", "delivery", "other")
_KIND_CUES = (("billing", ("bill", "charge", "payment", "refund")),
              ("delivery", ("deliver", "package", "parcel", "courier", "shipping")),
              ("complaint", ("complain",)), ("person", ("person", "human", "agent", "someone")))
# The words that tell what a free-text clarify question asks for (the model's codes are CLARIFY_CODES).
_DETAIL_CUES = (("order", ("order",)), ("quantity", ("how many",)),
                ("product", ("which product", "which one", "which of")),
                ("what", ("looking for", "what would you like", "what can i find")))


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
    source: str = ""  # "dev:<n>", "cafe:<n>" or the generator template id
    split: str | None = None  # dev / heldout for hand-written sets that carry one
    reason: tuple[str, ...] = ()  # hand-off reason kinds that fit (HANDOFF_KINDS); empty: not judged
    asks: str | None = None  # the detail a clarify must ask for (CLARIFY_CODES); None: not judged

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
    variant_pick: bool | None = None  # a variant choice: right product and right options (None: not one)
    spurious_handoff: bool | None = None  # a hand-off chosen where the gold is none (None: the gold is one)
    clarify_fit: bool | None = None  # the model's clarify fits the case (None: the model did not clarify)
    reason_fit: bool | None = None  # gold and model hand off: the kind fits (None: not judged)


def load_dev_set(directory: Path = DEV_DIR) -> list[Case]:
    """The hand-written dev set (seeded shop) with its screens resolved."""
    return load_set(directory / "dev.yaml", directory / "contexts.yaml")


def load_set(cases_path: Path, contexts_path: Path, split: str | None = None) -> list[Case]:
    """A hand-written set (dev.yaml, cafe.yaml, ...) with its screens resolved; only ``split`` when given."""
    contexts = yaml.safe_load(contexts_path.read_text(encoding="utf-8"))
    raw = yaml.safe_load(cases_path.read_text(encoding="utf-8"))["cases"]
    label = cases_path.stem
    cases = []
    for number, item in enumerate(raw, 1):
        if split is not None and item.get("split") != split:
            continue
        names = item.get("context") or []
        names = [names] if isinstance(names, str) else names
        screen: dict[str, Any] = {}
        for name in names:
            if name not in contexts:
                raise ValueError(f"{label} case {number} names unknown context {name!r}")
            screen.update(contexts[name])
        expect = dict(item["expect"])
        tool = expect.pop("action")
        if tool not in TOOLS:
            raise ValueError(f"{label} case {number}: unknown action {tool!r}")
        reason = item.get("reason") or []
        reason = (reason,) if isinstance(reason, str) else tuple(reason)
        asks = item.get("asks")
        if set(reason) - set(HANDOFF_KINDS) or (reason and tool != "handoff"):
            raise ValueError(f"{label} case {number}: reason {reason!r} needs a handoff and kinds of {HANDOFF_KINDS}")
        if asks is not None and (asks not in CLARIFY_CODES or tool != "clarify"):
            raise ValueError(f"{label} case {number}: asks {asks!r} needs a clarify and one of {CLARIFY_CODES}")
        cases.append(Case(
            utterance=item["say"], tool=tool, args=_gold_matchers(expect),
            optional=_gold_matchers(item.get("optional") or {}),
            shown=screen.get("shown", []), cart={"lines": screen["cart"]} if "cart" in screen else None,
            history=screen.get("history", []), source=f"{label}:{number}", split=item.get("split"),
            reason=reason, asks=asks))
    return cases


def _gold_matchers(raw: dict[str, Any]) -> dict[str, Matcher]:
    """Gold arguments as matchers, ``options`` and the color/size shorthands spread into one per option."""
    return {name: _gold_matcher(value) for name, value in _per_option(raw).items()}


def _gold_matcher(raw: Any) -> Matcher:
    """A scenario-format matcher, except that a mapping that is no matcher is a :class:`Fields` (in lists too)."""
    if isinstance(raw, list):
        return ListOf(tuple(_gold_matcher(value) for value in raw))
    if isinstance(raw, dict) and not set(raw) & {*MATCHER_KEYS, "tol"}:
        return Fields(tuple((name, _gold_matcher(value)) for name, value in _per_option(raw).items()))
    return parse_matcher(raw)


@dataclass(frozen=True)
class Fields(Matcher):
    """A mapping whose named fields match (variant options one per option, as arguments are) and that gives
    no other field. A text matches when it holds each field's expected words: the compact encoding writes a
    new address as the customer said it."""

    fields: tuple[tuple[str, Matcher], ...]
    UNSAID: ClassVar[frozenset[str]] = frozenset({"country"})  # a code the customer does not say: not in a text

    def check(self, actual: Any, refs: RefContext) -> str | None:
        if isinstance(actual, str):
            said = " ".join(actual.split()).casefold()
            missing = [name for name, matcher in self.fields if name not in self.UNSAID
                       and (texts := _texts(matcher)) is not None and not any(t in said for t in texts)]
            return f"expected {self.describe()}, got {actual!r}" if missing else None
        if not isinstance(actual, dict):
            return f"expected {self.describe()}, got {actual!r}"
        given = _per_option({name: value for name, value in actual.items() if value is not None})
        wrong = [name for name, matcher in self.fields if not gold_matches(matcher, given.get(name, MISSING))]
        extra = sorted(set(given) - {name for name, _ in self.fields})
        return f"expected {self.describe()}, got {actual!r}" if wrong or extra else None

    def describe(self) -> str:
        return "{" + ", ".join(f"{name}: {matcher.describe()}" for name, matcher in self.fields) + "}"

    def example(self, refs: RefContext) -> Any:
        made: dict[str, Any] = {}
        for name, matcher in self.fields:
            if isinstance(matcher, Absent):
                continue
            option = name.removeprefix(OPTION)
            if name == option:
                made[name] = matcher.example(refs)
            elif option in SHORTHAND_OPTIONS:
                made[option] = matcher.example(refs)
            else:
                made.setdefault("options", {})[option] = matcher.example(refs)
        return made


def _texts(matcher: Matcher) -> list[str] | None:
    """The words a matcher wants to find in a text, any one of them; None: it wants none in particular."""
    if isinstance(matcher, Contains):
        return [matcher.text.casefold()]
    if isinstance(matcher, Literal):
        return [" ".join(str(matcher.value).split()).casefold()]
    if isinstance(matcher, OneOf):
        return [" ".join(str(v).split()).casefold() for v in matcher.values]
    if isinstance(matcher, AnyValue | Absent):
        return None
    return []  # nothing else can be found in a text


def _per_option(arguments: dict[str, Any]) -> dict[str, Any]:
    """``{options: {Size: L}, color: red}`` -> ``{option:size: L, option:color: red}``; other arguments as they are."""
    spread: dict[str, Any] = {}
    for name, value in arguments.items():
        if name == "options" and isinstance(value, dict):
            spread.update({OPTION + str(option).strip().casefold(): v for option, v in value.items()})
        elif name in SHORTHAND_OPTIONS:
            spread[OPTION + name] = value
        else:
            spread[name] = value
    return spread


def case_from_example(example: Any) -> Case:
    """A generated :class:`training.taskdata.TaskExample` as a case (its decoded action is the gold)."""
    gold = example.action()
    args = {k: Literal(v) for k, v in _given_args(gold).items() if (gold.action, k) not in UNJUDGED}
    return Case(utterance=example.utterance, tool=gold.action, args=args, shown=example.shown,
                cart={"lines": example.cart_lines} if example.cart_lines else None,
                history=example.history, source=example.template)


def _given_args(action: Action) -> dict[str, Any]:
    """Arguments the action sets to something other than its default, one per variant option."""
    fields = type(action).model_fields
    return _per_option({k: v for k, v in action.args().items() if v != fields[k].default})


def gold_matches(matcher: Matcher, value: Any) -> bool:
    """Whether ``value`` satisfies one gold argument (a list literal: the same values in order, any case)."""
    if isinstance(matcher, Literal) and isinstance(matcher.value, list) and isinstance(value, list):
        return [str(v).casefold() for v in matcher.value] == [str(v).casefold() for v in value]
    return matcher.check(value, NO_REFS) is None


def is_variant_choice(case: Case) -> bool:
    """An add_to_cart whose gold names the variant's options (``options``, or the color/size shorthands)."""
    return case.tool == "add_to_cart" and any(name.startswith(OPTION) for name in case.args)


def handoff_kind(reason: str | None, texts: CannedTexts | None = None) -> str:
    """The kind of a hand-off, read from its reason text: the code whose canned text it is (no text: the code
    without one, ``person``), a code named like a kind counting as that kind; a text that is no code's (the
    server mode writes its own) by its words (:data:`_KIND_CUES`); else ``other``."""
    texts = texts or default_texts()
    said = " ".join((reason or "").split()).casefold()
    code = next((code for code, text in texts.handoff.items() if " ".join((text or "").split()).casefold() == said),
                None)
    if code in HANDOFF_KINDS:
        return code
    words = f"{code or ''} {said}"
    return next((kind for kind, cues in _KIND_CUES if any(cue in words for cue in cues)), "other")


def clarify_detail(question: str, texts: CannedTexts | None = None) -> str | None:
    """What a clarify question asks for: the code whose canned text it is, else by its words
    (:data:`_DETAIL_CUES`); None when neither tells."""
    texts = texts or default_texts()
    said = " ".join(question.split()).casefold()
    code = next((code for code, text in texts.clarify.items() if " ".join(text.split()).casefold() == said), None)
    if code is not None:
        return code
    return next((detail for detail, cues in _DETAIL_CUES if any(cue in said for cue in cues)), None)


def _support_judgments(case: Case, action: Action | None) -> dict[str, bool | None]:
    """The Score fields on hand-offs and clarify questions (see the module's figures)."""
    chosen = action.action if action is not None else None
    judged: dict[str, bool | None] = {"spurious_handoff": None if case.tool == "handoff" else chosen == "handoff"}
    if chosen == "clarify":
        judged["clarify_fit"] = case.tool == "clarify" and (
            case.asks is None or clarify_detail(action.question) == case.asks)  # type: ignore[union-attr]
    if chosen == "handoff" and case.tool == "handoff" and case.reason:
        judged["reason_fit"] = handoff_kind(action.reason) in case.reason  # type: ignore[union-attr]
    return judged


def score(case: Case, action: Action | None) -> Score:
    """Also judges a variant choice (:func:`is_variant_choice`) on the understanding level: the right product
    and every option right, none extra; whether the shop resolves it to the gold variant is not checked here.
    A case that states a hand-off reason or a clarify detail is exact only when the model's fits it."""
    variant = False if is_variant_choice(case) else None
    judged = _support_judgments(case, action)
    if action is None:
        return Score(False, False, 0, len(case.args), True, ["no valid action"], variant, **judged)
    if action.action != case.tool:
        return Score(False, False, 0, len(case.args), False, [f"chose {action.action}, expected {case.tool}"],
                     variant, **judged)
    given = _given_args(action)
    problems, matched, wrong = [], 0, set()
    for name, matcher in case.args.items():
        if gold_matches(matcher, given.get(name, MISSING)):
            matched += 1
        else:
            wrong.add(name)
            problems.append(f"{name}: {matcher.describe()} ≠ {given.get(name, 'nothing')!r}")
    extra = 0
    for name, value in given.items():
        if name in case.args or (action.action, name) in UNJUDGED:
            continue
        if name in case.optional and gold_matches(case.optional[name], value):
            continue
        extra += 1
        wrong.add(name)
        problems.append(f"unexpected {name}={value!r}")
    if variant is not None:
        variant = not any(name == "product_id" or name.startswith(OPTION) for name in wrong)
    if judged.get("reason_fit") is False:
        problems.append(f"hand-off reason {handoff_kind(action.reason)!r}, "  # type: ignore[attr-defined]
                        f"expected {' or '.join(case.reason)}")
    if judged.get("clarify_fit") is False:
        problems.append(f"asks for {clarify_detail(action.question)!r}, "  # type: ignore[attr-defined]
                        f"expected {case.asks}")
    return Score(True, not problems, matched, len(case.args) + extra, False, problems, variant, **judged)


@dataclass
class Totals:
    cases: int = 0
    tool_ok: int = 0
    exact: int = 0
    args_matched: int = 0
    args_total: int = 0
    invalid: int = 0
    variant_choices: int = 0
    variant_picks: int = 0
    not_handoffs: int = 0  # cases whose gold is no hand-off
    spurious_handoffs: int = 0
    clarify_asked: int = 0
    clarify_fit: int = 0
    reasons_judged: int = 0
    reasons_fit: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, result: Score, seconds: float) -> None:
        self.cases += 1
        self.tool_ok += result.tool_ok
        self.exact += result.exact
        self.invalid += result.invalid
        if result.variant_pick is not None:
            self.variant_choices += 1
            self.variant_picks += result.variant_pick
        if result.spurious_handoff is not None:
            self.not_handoffs += 1
            self.spurious_handoffs += result.spurious_handoff
        if result.clarify_fit is not None:
            self.clarify_asked += 1
            self.clarify_fit += result.clarify_fit
        if result.reason_fit is not None:
            self.reasons_judged += 1
            self.reasons_fit += result.reason_fit
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
                "variant_choices": self.variant_choices,
                "variant_options": self.variant_picks / self.variant_choices if self.variant_choices else None,
                "spurious_handoffs": self.spurious_handoffs / self.not_handoffs if self.not_handoffs else None,
                "clarify_asked": self.clarify_asked,
                "clarify_fit": self.clarify_fit / self.clarify_asked if self.clarify_asked else None,
                "handoff_reason_fit": self.reasons_fit / self.reasons_judged if self.reasons_judged else None,
                "p50_s": percentile(self.latencies, 50) if self.latencies else None,
                "p95_s": percentile(self.latencies, 95) if self.latencies else None}


def summarize(results: Sequence[tuple[Score, float]]) -> dict[str, float | int | None]:
    totals = Totals()
    for result, seconds in results:
        totals.add(result, seconds)
    return totals.figures()


# ── the shopping-query set: what a search keeps of the shopper's words ──────────────────────────────
QUERIES_PATH = DEV_DIR / "shopping_queries.yaml"
# Search parameters that carry no shopper's words: "said" is the verbatim text itself (grounding evidence),
# prices are not content words. Every other parameter keeps words; all but the query words and the
# exclusions are positive filters (brand, color, size, category, options, and any the tool adds later).
NOT_WORDS = frozenset({"said", "limit", "offset", "sort", "in_stock", "min_price", "max_price"})
QUERY_WORDS = frozenset({"q", "query"})
TYPO_SIMILARITY = 80  # rapidfuzz ratio at which a word of ≥ 4 letters counts as a spelling of another
TOKEN = re.compile(r"[a-z]+|\d+(?:[.,/]\d+)*")  # letters and numbers apart: "256gb" -> 256 gb, "1/2" stays


@dataclass
class ShoppingQuery:
    """One hand-written search-log query for the seeded shop (shopping_queries.yaml's header explains the labels)."""

    text: str
    content_words: list[str]
    negated: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    split: str | None = None
    source: str = ""


@dataclass
class QueryScore:
    searched: bool  # the chosen action was search_products
    missing: list[str]  # content words found nowhere in what the search was sent
    negated_as_filters: list[str]  # negated words that became a positive filter value
    found: bool  # our search returned ≥ 1 product
    verbatim_found: bool  # the verbatim query as a plain search returned ≥ 1 product


def load_shopping_queries(path: Path = QUERIES_PATH, split: str | None = None) -> list[ShoppingQuery]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    return [ShoppingQuery(text=item["q"], content_words=[str(w) for w in item["content_words"]],
                          negated=[str(w) for w in item.get("negated") or []], filters=item.get("filters") or {},
                          split=item.get("split"), source=f"{path.stem}:{number}")
            for number, item in enumerate(raw, 1) if split is None or item.get("split") == split]


def word_tokens(text: str) -> list[str]:
    """Lower-case tokens, letters and digits apart, plurals stripped (``shop.search.query.singular``):
    "Running Shoes" -> running shoe, "16oz" and "16 oz" -> 16 oz, "wh-1000xm5" -> wh 1000 xm 5."""
    return [singular(token) for token in TOKEN.findall(text.replace("’", "'").casefold().replace("'", ""))]


def _word_values(sent: dict[str, Any], skip: frozenset[str]) -> list[str]:
    """Every text value of ``sent`` but those under ``skip`` (lists and option mappings flattened)."""
    values: list[str] = []
    for place, value in sent.items():
        if place in skip:
            continue
        if isinstance(value, dict):
            values.extend(str(v) for v in value.values())
        elif isinstance(value, list):
            values.extend(str(v) for v in value)
        elif value is not None:
            values.append(str(value))
    return values


def _token_kept(token: str, kept: set[str]) -> bool:
    if token in kept:
        return True
    # a spelling correction of a typo ("hedphones" -> "headphone") keeps the word; digits must be exact
    return len(token) >= 4 and token.isalpha() and any(
        fuzz.ratio(token, other) >= TYPO_SIMILARITY for other in kept if other.isalpha())


def word_kept(word: str, kept_text: list[str]) -> bool:
    """A content word (or phrase) is kept when each of its tokens is among the tokens of the kept texts,
    up to a plural or a spelling slip; "north face" needs both tokens, "32x32" needs 32, x and 32. A phrase
    written as one word ("ear buds" -> "earbuds", "tshirt" -> "t shirt") is the same word respelled, and a
    number word is kept as its digits ("eight" -> 8), as the compact prompt writes it (text2num)."""
    tokens = [word_tokens(text) for text in kept_text]
    kept = {token for text in tokens for token in text}
    return any(_form_kept(word_tokens(form), kept, tokens) for form in {word, alpha2digit(word, "en")})


def _form_kept(wanted: list[str], kept: set[str], tokens: list[list[str]]) -> bool:
    if all(_token_kept(token, kept) for token in wanted):
        return True
    joined = singular("".join(wanted))
    return any(joined == singular("".join(text[i:j])) for text in tokens
               for i in range(len(text)) for j in range(i + 1, len(text) + 1))


def search_query_score(query: ShoppingQuery, sent: dict[str, Any] | None, applied: dict[str, Any] | None,
                       found: int, verbatim_found: int) -> QueryScore:
    """Score one query: ``sent`` = the parameters the search tool sent to the shop (``None`` when the model
    chose another action), ``applied`` = the filters the shop reports having applied (``None`` when it does
    not report them: then the positive filters sent are taken as applied), ``found``/``verbatim_found`` =
    products returned by our search and by the verbatim text as a plain search."""
    if sent is None:
        return QueryScore(False, list(query.content_words), [], found > 0, verbatim_found > 0)
    kept_text = _word_values(sent, NOT_WORDS)
    missing = [word for word in query.content_words if not word_kept(word, kept_text)]
    positive = _word_values(applied if applied is not None else sent, NOT_WORDS | QUERY_WORDS | {"exclude"})
    wrong = [word for word in query.negated if any(word_kept(word, [value]) for value in positive)]
    return QueryScore(True, missing, wrong, found > 0, verbatim_found > 0)


@dataclass
class QueryTotals:
    queries: int = 0
    searched: int = 0
    all_kept: int = 0
    negated_violations: int = 0  # negated words turned into a positive filter (over all queries)
    verbatim_found: int = 0
    found_when_verbatim: int = 0
    understand_s: list[float] = field(default_factory=list)
    search_s: list[float] = field(default_factory=list)

    def add(self, result: QueryScore, understand_s: float, search_s: float | None) -> None:
        self.queries += 1
        self.searched += result.searched
        self.all_kept += not result.missing
        self.negated_violations += len(result.negated_as_filters)
        self.verbatim_found += result.verbatim_found
        self.found_when_verbatim += result.verbatim_found and result.found
        self.understand_s.append(understand_s)
        if search_s is not None:
            self.search_s.append(search_s)

    def figures(self) -> dict[str, float | int | None]:
        from evals.metrics import percentile

        n = max(1, self.queries)
        return {"queries": self.queries, "search_chosen": self.searched / n, "all_words_kept": self.all_kept / n,
                "negated_as_filters": self.negated_violations,
                "found_when_verbatim": (self.found_when_verbatim / self.verbatim_found
                                        if self.verbatim_found else None),
                "verbatim_found": self.verbatim_found,
                "understand_p50_s": percentile(self.understand_s, 50) if self.understand_s else None,
                "understand_p95_s": percentile(self.understand_s, 95) if self.understand_s else None,
                "search_p50_s": percentile(self.search_s, 50) if self.search_s else None,
                "search_p95_s": percentile(self.search_s, 95) if self.search_s else None}
