"""The scenario contract's value matchers (see ../shared/specs/scenario-format.md, "Matchers").

A matcher is parsed once from the YAML value a product owner wrote and then checks actual values:
``check`` returns ``None`` when the value matches and otherwise a sentence saying what was expected and
what came instead, because that sentence is what a report shows next to a failed expectation.
``example`` gives a value that satisfies the matcher; the gold-replay test LLM uses it to act out a
scenario's expected actions.
"""

from __future__ import annotations

import difflib
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, TypeVar

E = TypeVar("E")
A = TypeVar("A")

MISSING: Final = object()  # an argument the action did not give (distinct from an explicit null)

REF_PATTERN: Final = re.compile(r"^\s*(results|cart)\s*\[\s*(\d+)\s*\]\s*$")
MATCHER_KEYS: Final = ("contains", "approx", "any", "absent", "one_of", "ref")


class MatcherSyntaxError(ValueError):
    """A YAML value that is not a valid matcher; the message says what was expected."""


@dataclass(frozen=True)
class RefContext:
    """What ``{ref: ...}`` resolves against: products shown in the previous turn, cart lines before it."""

    results: Sequence[str] = ()
    cart: Sequence[str] = ()

    def resolve(self, source: str, index: int) -> str | None:
        ids = self.results if source == "results" else self.cart
        return ids[index] if 0 <= index < len(ids) else None


class NoExample(ValueError):
    """The matcher accepts values it cannot invent (``any``) or forbids the value (``absent``)."""


class Matcher(ABC):
    """One expected value. Subclasses are immutable and compare by value (handy in tests)."""

    @abstractmethod
    def check(self, actual: Any, refs: RefContext) -> str | None:
        """``None`` when ``actual`` (or :data:`MISSING`) matches, else why not."""

    @abstractmethod
    def describe(self) -> str:
        """Short human wording of the expectation, for reports."""

    @abstractmethod
    def example(self, refs: RefContext) -> Any:
        """A value that matches; raises :class:`NoExample` when there is none to give."""


def _normalise(value: Any) -> tuple[str, Any]:
    """Literal comparison rule of the contract: strings case-insensitive and trimmed, numbers exact.

    Tagged with a kind so that ``True`` never equals ``1`` (Python's ``True == 1`` would let it).
    """
    if isinstance(value, str):
        return "text", value.strip().casefold()
    if isinstance(value, bool) or value is None:
        return "flag", value
    if isinstance(value, int | float):
        return "number", float(value)
    return "other", repr(value)


def _show(value: Any) -> str:
    return "nothing" if value is MISSING else repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Literal(Matcher):
    """A plain YAML value: equal after normalisation."""

    value: Any

    def check(self, actual: Any, refs: RefContext) -> str | None:
        if actual is not MISSING and _normalise(actual) == _normalise(self.value):
            return None
        return f"expected {self.value!r}, got {_show(actual)}"

    def describe(self) -> str:
        return repr(self.value)

    def example(self, refs: RefContext) -> Any:
        return self.value


@dataclass(frozen=True)
class Contains(Matcher):
    """``{contains: x}``: a string containing x, or a list with an element that does (case-insensitive)."""

    text: str

    def check(self, actual: Any, refs: RefContext) -> str | None:
        needle = self.text.casefold()
        if isinstance(actual, str) and needle in actual.casefold():
            return None
        if isinstance(actual, list) and any(isinstance(v, str) and needle in v.casefold() for v in actual):
            return None
        return f"expected something containing {self.text!r}, got {_show(actual)}"

    def describe(self) -> str:
        return f"contains {self.text!r}"

    def example(self, refs: RefContext) -> Any:
        return self.text


@dataclass(frozen=True)
class Approx(Matcher):
    """``{approx: v, tol: t}``: a number within relative tolerance t of v (default 1 %)."""

    DEFAULT_TOLERANCE: ClassVar[float] = 0.01
    value: float
    tol: float = DEFAULT_TOLERANCE

    def check(self, actual: Any, refs: RefContext) -> str | None:
        if _is_number(actual) and math.isclose(actual, self.value, rel_tol=self.tol, abs_tol=0.0):
            return None
        return f"expected about {self.value:g} (±{self.tol:.0%}), got {_show(actual)}"

    def describe(self) -> str:
        return f"≈ {self.value:g} (±{self.tol:.0%})"

    def example(self, refs: RefContext) -> Any:
        return int(self.value) if float(self.value).is_integer() else self.value


@dataclass(frozen=True)
class AnyValue(Matcher):
    """``{any: true}``: the argument is given, whatever its value."""

    def check(self, actual: Any, refs: RefContext) -> str | None:
        return None if actual is not MISSING and actual is not None else "expected a value, got nothing"

    def describe(self) -> str:
        return "any value"

    def example(self, refs: RefContext) -> Any:
        raise NoExample("{any: true} accepts any value but names none")


@dataclass(frozen=True)
class Absent(Matcher):
    """``{absent: true}``: the argument must not be given."""

    def check(self, actual: Any, refs: RefContext) -> str | None:
        return None if actual is MISSING or actual is None else f"expected no value, got {actual!r}"

    def describe(self) -> str:
        return "absent"

    def example(self, refs: RefContext) -> Any:
        raise NoExample("{absent: true} means the argument is not given")


@dataclass(frozen=True)
class OneOf(Matcher):
    """``{one_of: [a, b]}``: equal (after normalisation) to one of the literals."""

    values: tuple[Any, ...]

    def check(self, actual: Any, refs: RefContext) -> str | None:
        if actual is not MISSING and _normalise(actual) in {_normalise(v) for v in self.values}:
            return None
        return f"expected one of {list(self.values)!r}, got {_show(actual)}"

    def describe(self) -> str:
        return f"one of {list(self.values)!r}"

    def example(self, refs: RefContext) -> Any:
        return self.values[0]


@dataclass(frozen=True)
class Ref(Matcher):
    """``{ref: "results[i]"}`` / ``{ref: "cart[i]"}``: the id of a product the customer could see."""

    source: str  # "results" or "cart"
    index: int

    def check(self, actual: Any, refs: RefContext) -> str | None:
        wanted = refs.resolve(self.source, self.index)
        if wanted is None:
            shown = len(refs.results if self.source == "results" else refs.cart)
            where = "products shown in the previous turn" if self.source == "results" else "cart lines"
            return f"{self.describe()} does not exist: there were {shown} {where}"
        if actual is not MISSING and _normalise(actual) == _normalise(wanted):
            return None
        return f"expected {self.describe()} = {wanted!r}, got {_show(actual)}"

    def describe(self) -> str:
        return f"{self.source}[{self.index}]"

    def example(self, refs: RefContext) -> Any:
        wanted = refs.resolve(self.source, self.index)
        if wanted is None:
            raise NoExample(f"{self.describe()} does not exist in this run")
        return wanted


@dataclass(frozen=True)
class ListOf(Matcher):
    """A YAML list: a list of the same length whose elements match one-to-one, in any order."""

    items: tuple[Matcher, ...] = field(default_factory=tuple)

    def check(self, actual: Any, refs: RefContext) -> str | None:
        if not isinstance(actual, list):
            return f"expected a list of {len(self.items)}, got {_show(actual)}"
        if len(actual) != len(self.items):
            return f"expected {len(self.items)} values {self.describe()}, got {len(actual)}: {actual!r}"
        if assign(self.items, actual, lambda m, v: m.check(v, refs) is None) is None:
            return f"expected {self.describe()}, got {actual!r}"
        return None

    def describe(self) -> str:
        return "[" + ", ".join(m.describe() for m in self.items) + "]"

    def example(self, refs: RefContext) -> Any:
        return [m.example(refs) for m in self.items]


@dataclass(frozen=True)
class Fields(Matcher):
    """A YAML mapping of field names to matchers: a mapping whose listed fields match (the others are not
    checked), e.g. an item of ``return_items``: ``{name: {contains: running shoe}}``."""

    fields: tuple[tuple[str, Matcher], ...] = field(default_factory=tuple)

    def check(self, actual: Any, refs: RefContext) -> str | None:
        if not isinstance(actual, dict):
            return f"expected a mapping {self.describe()}, got {_show(actual)}"
        failures = [f"{name}: {reason}" for name, matcher in self.fields
                    if (reason := matcher.check(actual.get(name, MISSING), refs)) is not None]
        return None if not failures else "; ".join(failures)

    def describe(self) -> str:
        return "{" + ", ".join(f"{name} {m.describe()}" for name, m in self.fields) + "}"

    def example(self, refs: RefContext) -> Any:
        example = {}
        for name, matcher in self.fields:
            try:
                example[name] = matcher.example(refs)
            except NoExample:
                continue  # an absent field is left out
        return example


def assign(expected: Sequence[E], actual: Sequence[A], fits: Callable[[E, A], bool]) -> list[int] | None:
    """Give each expected item a distinct actual item it fits (index list), or ``None`` if impossible.

    Augmenting-path bipartite matching: a greedy pick could take the one line a later expectation needs.
    """
    owner: dict[int, int] = {}  # actual index -> expected index

    def place(e: int, seen: set[int]) -> bool:
        for a in range(len(actual)):
            if a not in seen and fits(expected[e], actual[a]):
                seen.add(a)
                if a not in owner or place(owner[a], seen):
                    owner[a] = e
                    return True
        return False

    if not all(place(e, set()) for e in range(len(expected))):
        return None
    chosen = [0] * len(expected)
    for a, e in owner.items():
        chosen[e] = a
    return chosen


def parse_matcher(raw: Any) -> Matcher:
    """Turn a YAML value into a matcher; raises :class:`MatcherSyntaxError` saying what was expected."""
    if isinstance(raw, Matcher):
        return raw
    if isinstance(raw, list):
        return ListOf(tuple(parse_matcher(item) for item in raw))
    if not isinstance(raw, dict):
        return Literal(raw)
    keys = set(raw)
    kind = [k for k in MATCHER_KEYS if k in keys]
    if not kind and "tol" not in keys and raw:
        return _fields(raw)
    extra = keys - set(MATCHER_KEYS) - {"tol"}
    if len(kind) != 1 or extra or ("tol" in keys and kind != ["approx"]):
        raise MatcherSyntaxError(
            f"{raw!r} is not a matcher: expected a plain value or one of "
            "{contains: text}, {approx: number, tol: fraction}, {any: true}, {absent: true}, "
            "{one_of: [values]}, {ref: \"results[i]\" or \"cart[i]\"}"
        )
    key = kind[0]
    value = raw[key]
    if key == "contains":
        if not isinstance(value, str) or not value.strip():
            raise MatcherSyntaxError(f"contains: expected a non-empty text, got {value!r}")
        return Contains(value)
    if key == "approx":
        tol = raw.get("tol", Approx.DEFAULT_TOLERANCE)
        if not _is_number(value):
            raise MatcherSyntaxError(f"approx: expected a number, got {value!r}")
        if not _is_number(tol) or not 0 <= tol < 1:
            raise MatcherSyntaxError(f"tol: expected a fraction between 0 and 1 (0.01 = 1 %), got {tol!r}")
        return Approx(float(value), float(tol))
    if key in ("any", "absent"):
        if value is not True:
            raise MatcherSyntaxError(f"{key}: expected true, got {value!r}")
        return AnyValue() if key == "any" else Absent()
    if key == "one_of":
        if not isinstance(value, list) or not value or any(isinstance(v, dict | list) for v in value):
            raise MatcherSyntaxError(f"one_of: expected a non-empty list of plain values, got {value!r}")
        return OneOf(tuple(value))
    match = REF_PATTERN.match(value) if isinstance(value, str) else None
    if match is None:
        raise MatcherSyntaxError(f'ref: expected "results[i]" or "cart[i]" with i a 0-based index, got {value!r}')
    return Ref(match.group(1), int(match.group(2)))


def _fields(raw: dict[Any, Any]) -> Fields:
    """A mapping of fields; a key one typo away from a matcher's ("contain") is that mistake, not a field."""
    for key in raw:
        close = difflib.get_close_matches(str(key), MATCHER_KEYS, n=1, cutoff=0.75)
        if close:
            raise MatcherSyntaxError(f"{raw!r} is not a matcher: did you mean {close[0]!r}?")
    return Fields(tuple((str(name), parse_matcher(value)) for name, value in raw.items()))
