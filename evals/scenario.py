"""Scenario files: the models of ../shared/specs/scenario-format.md and a loader that locates mistakes.

Product owners write these files by hand, so every problem is reported with its file, line, column and
field and with what was expected there (``suites/cart.yaml:14:11: turns[1].expect.actions[0].args.qty:
unknown argument 'qty' of add_to_cart (did you mean 'quantity'?) ...``). All problems of all files are
collected before raising, so one run shows every mistake.

A file holds one scenario, or several separated by ``---`` (YAML documents).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from evals.matchers import Fields, ListOf, Matcher, MatcherSyntaxError, parse_matcher

CART_LINE_FIELDS = ("product_id", "name", "unit_price", "quantity", "color", "size", "line_total", "stock")
SUITE_SUFFIX = ".yaml"


class LocatedValueError(ValueError):
    """A validation problem that belongs to a key below the value being validated (``subpath``)."""

    def __init__(self, message: str, subpath: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.subpath = subpath


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown(
    kind: str, key: str, allowed: Iterable[str], subpath: tuple[str | int, ...], owner: str = ""
) -> LocatedValueError:
    allowed = list(allowed)
    return LocatedValueError(
        f"unknown {kind} '{key}'{owner}{_did_you_mean(key, allowed)}; expected one of: {', '.join(allowed)}",
        subpath,
    )


@cache
def action_arguments() -> Mapping[str, tuple[str, ...]]:
    """Action name -> argument names, from the tool registry (the product's single source of truth)."""
    from tools import TOOLS

    return {name: tuple(f for f in spec.model.model_fields if f != "action") for name, spec in TOOLS.items()}


def _matcher(raw: Any) -> Matcher:
    try:
        return parse_matcher(raw)
    except MatcherSyntaxError as exc:
        raise ValueError(str(exc)) from None


MatcherField = Annotated[Matcher, PlainValidator(_matcher)]


class StrictModel(BaseModel):
    """Rejects unknown keys naming the allowed ones: a typo must not silently drop an expectation."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    raise _unknown("field", str(key), cls.model_fields, (key,))
        return data


class ActionExpectation(StrictModel):
    """One expected action: its tool and the arguments worth checking (unlisted ones are not checked)."""

    tool: str
    args: dict[str, MatcherField] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_tool_and_args(self) -> ActionExpectation:
        catalog = action_arguments()
        if self.tool == "reply":
            raise LocatedValueError(
                "a plain reply is never listed in actions: write `actions: []` for 'only a reply'", ("tool",)
            )
        if self.tool not in catalog:
            raise _unknown("action", self.tool, [n for n in catalog if n != "reply"], ("tool",))
        for name, matcher in self.args.items():
            if name not in catalog[self.tool]:
                allowed = catalog[self.tool] or ("(none: this action takes no arguments)",)
                raise _unknown("argument", name, allowed, ("args", name), owner=f" of {self.tool}")
            _known_fields(matcher, record_fields(self.tool, name), f"{self.tool}.{name}", ("args", name))
        return self


@cache
def record_fields(tool: str, argument: str) -> tuple[str, ...]:
    """The fields of the objects a list argument holds (``return_items.items``: name, line, ...), else none."""
    from tools import TOOLS

    def fields_in(annotation: Any) -> tuple[str, ...]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return tuple(annotation.model_fields)
        return next((found for inner in get_args(annotation) if (found := fields_in(inner))), ())

    return fields_in(TOOLS[tool].model.model_fields[argument].annotation)


def _known_fields(matcher: Matcher, allowed: tuple[str, ...], owner: str, subpath: tuple[str | int, ...]) -> None:
    """A mapping matcher only where the argument holds objects, naming only their fields."""
    if isinstance(matcher, ListOf):
        for index, item in enumerate(matcher.items):
            _known_fields(item, allowed, owner, (*subpath, index))
    elif isinstance(matcher, Fields):
        if not allowed:
            raise LocatedValueError(f"{owner} holds no objects, so {matcher.describe()} can't match it", subpath)
        for name, _ in matcher.fields:
            if name not in allowed:
                raise _unknown("field", name, allowed, (*subpath, name), owner=f" of an item of {owner}")


class TurnExpectations(StrictModel):
    """What one turn must show; every listed expectation is one pass/fail line in the report."""

    actions: list[ActionExpectation] | None = None
    reply_contains_any: list[str] | None = Field(default=None, min_length=1)
    reply_excludes: list[str] | None = Field(default=None, min_length=1)


class Turn(StrictModel):
    """One customer turn: typed text (``say``), synthesised speech (``speak``) or a recorded clip (``audio``).

    An ``audio`` turn may also carry ``say``: the words spoken in the clip, used only to compute WER.
    """

    say: str | None = Field(default=None, min_length=1)
    speak: str | None = Field(default=None, min_length=1)
    audio: Path | None = None
    expect: TurnExpectations = Field(default_factory=TurnExpectations)

    @field_validator("audio")
    @classmethod
    def _audio_exists(cls, audio: Path | None, info: ValidationInfo) -> Path | None:
        if audio is None:
            return None
        base = (info.context or {}).get("base_dir")
        path = audio if audio.is_absolute() or base is None else Path(base) / audio
        if base is not None and not path.is_file():
            raise ValueError(f"audio file not found: {path} (paths are relative to the scenario file)")
        return path

    @model_validator(mode="after")
    def _one_input(self) -> Turn:
        given = [k for k in ("say", "speak", "audio") if getattr(self, k) is not None]
        if given in (["say"], ["speak"], ["audio"], ["say", "audio"]):
            return self
        raise ValueError(
            f"a turn needs exactly one of say / speak / audio (audio may add say as its reference text), "
            f"got {', '.join(given) or 'none'}"
        )

    @property
    def kind(self) -> str:
        return "audio" if self.audio else "speak" if self.speak else "say"

    @property
    def text(self) -> str | None:
        """The words the customer says: the input of a text turn, the reference of a voice turn."""
        return self.speak or self.say


class CartLineExpectation(StrictModel):
    """A cart line the final cart must contain (fields of the shop API's cart line)."""

    product_id: MatcherField | None = None
    name: MatcherField | None = None
    unit_price: MatcherField | None = None
    quantity: MatcherField | None = None
    color: MatcherField | None = None
    size: MatcherField | None = None
    line_total: MatcherField | None = None
    stock: MatcherField | None = None

    def matchers(self) -> dict[str, Matcher]:
        return {name: m for name in CART_LINE_FIELDS if (m := getattr(self, name)) is not None}


class FieldsExpectation(StrictModel):
    """Base of the final-state records: the listed fields' matchers (unlisted fields are not checked)."""

    def matchers(self) -> dict[str, Matcher]:
        return {name: m for name in type(self).model_fields if isinstance(m := getattr(self, name), Matcher)}


class OrderLineExpectation(FieldsExpectation):
    """A line an order must have: the shop's order line, plus ``exchanged_to`` (the new variant's option values,
    "Grey, 8", once an exchange is requested)."""

    name: MatcherField | None = None
    product_id: MatcherField | None = None
    quantity: MatcherField | None = None
    unit_price: MatcherField | None = None
    color: MatcherField | None = None
    size: MatcherField | None = None
    returned_quantity: MatcherField | None = None
    exchanged_to: MatcherField | None = None


class OrderExpectation(FieldsExpectation):
    """One of the customer's orders after the last turn: ``payment`` is its payment method as spoken ("PayPal",
    "Visa ending 4242"), ``address`` its shipping address as one text (label, street, city, postal code)."""

    id: MatcherField | None = None
    status: MatcherField | None = None
    total: MatcherField | None = None
    cancel_reason: MatcherField | None = None
    payment: MatcherField | None = None
    address: MatcherField | None = None
    lines: list[OrderLineExpectation] | None = None  # each matched by its own line; other lines allowed


class RefundExpectation(FieldsExpectation):
    """A refund recorded during the scenario: ``to`` is where it goes, as spoken ("Visa ending 4242")."""

    order_id: MatcherField | None = None
    amount: MatcherField | None = None
    state: MatcherField | None = None
    reason: MatcherField | None = None
    to: MatcherField | None = None


class FinalExpectations(StrictModel):
    """Shop state for the scenario's customer after the last turn."""

    cart: list[CartLineExpectation] | None = None
    cart_size: int | None = Field(default=None, ge=0)
    orders_placed: int | None = Field(default=None, ge=0)
    orders: list[OrderExpectation] | None = None  # each matched by its own order; other orders allowed
    refunds: list[RefundExpectation] | None = None  # refunds recorded during the scenario, one each
    refunds_made: int | None = Field(default=None, ge=0)  # exact number of refunds recorded during the scenario


@dataclass(frozen=True)
class Source:
    """Where a scenario was written: shown in reports and error messages."""

    file: str
    line: int


class Scenario(StrictModel):
    """One conversation to replay, with what each turn and the final shop state must show."""

    id: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    description: str = ""
    user: str = "demo"
    tags: list[str] = Field(default_factory=list)
    turns: list[Turn] = Field(min_length=1)
    final: FinalExpectations | None = None

    _source: Source = PrivateAttr(default=Source("<memory>", 0))

    @property
    def source(self) -> Source:
        return self._source


@dataclass(frozen=True)
class Problem:
    """One located mistake in a scenario file."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """Scenario files that cannot be used; ``problems`` holds each located mistake."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid scenario files ({count}):\n" + "\n".join(f"  {p}" for p in problems))


def _field_path(loc: Iterable[str | int]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _locate(node: yaml.Node, loc: tuple[str | int, ...]) -> tuple[yaml.Node, tuple[str | int, ...]]:
    """The deepest YAML node along ``loc`` and the part of ``loc`` that led there.

    For a mapping key that is the last element, the key node itself is returned so that an unknown
    field points at its own line. Parts that name no node (pydantic's union labels) are skipped.
    """
    found: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if pair is None:
                continue
            node = pair[0] if i == len(loc) - 1 else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            continue
        found.append(part)
    return node, tuple(found)


def _message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, plus what the file said there when that helps."""
    if error["type"] == "missing":
        return "missing required field"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    given = error.get("input")
    if error["type"] != "value_error" and not isinstance(given, dict | list):
        message += f", got {given!r}"
    return message


def _problems(error: ValidationError, file: str, root: yaml.Node) -> Iterator[Problem]:
    for item in error.errors():
        loc = tuple(item["loc"])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedValueError):
            loc += cause.subpath
        node, _ = _locate(root, loc)
        mark = node.start_mark
        yield Problem(file, mark.line + 1, mark.column + 1, _field_path(loc), _message(item))


def _duplicate_keys(node: yaml.Node, file: str) -> Iterator[Problem]:
    """YAML silently keeps the last of two equal keys; a hand-written file means a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    mark = key.start_mark
                    yield Problem(file, mark.line + 1, mark.column + 1, key.value, "key given twice")
                seen.add(key.value)
            yield from _duplicate_keys(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item, file)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_file(path: Path) -> tuple[list[Scenario], list[Problem]]:
    """Scenarios of one file and the problems found in it (both may be non-empty)."""
    file = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(file, 1, 1, "", f"cannot read the file: {exc}")]
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            problems.extend(_duplicate_keys(node, file))
            data = loader.construct_document(node)
            if not isinstance(data, dict):
                mark = node.start_mark
                problems.append(Problem(file, mark.line + 1, mark.column + 1, "",
                                        "expected a scenario (a mapping with id, turns, ...)"))
                continue
            try:
                scenario = Scenario.model_validate(data, context={"base_dir": path.parent})
            except ValidationError as exc:
                problems.extend(_problems(exc, file, node))
                continue
            scenario._source = Source(file, node.start_mark.line + 1)
            scenarios.append(scenario)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(file, line, column, "", f"not valid YAML: {exc.problem or exc}"))
    finally:
        loader.dispose()
    if not scenarios and not problems:
        problems.append(Problem(file, 1, 1, "", "no scenario in this file"))
    return scenarios, problems


def suite_files(paths: Iterable[Path]) -> list[Path]:
    """Every ``*.yaml`` under the given directories, plus files given directly, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob(f"*{SUITE_SUFFIX}")))
        else:
            files.append(path)
    return files


def load_suites(paths: Iterable[Path]) -> list[Scenario]:
    """Load and validate every scenario under ``paths``; raise :class:`ScenarioError` listing all problems."""
    paths = list(paths)
    problems: list[Problem] = []
    missing = [p for p in paths if not p.exists()]
    problems += [Problem(_display(p), 0, 0, "", "no such file or directory") for p in missing]
    files = suite_files(p for p in paths if p.exists())
    if not files and not missing:
        problems.append(Problem(", ".join(map(str, paths)), 0, 0, "", f"no {SUITE_SUFFIX} files found"))
    scenarios: list[Scenario] = []
    first_seen: dict[str, Source] = {}
    for file in files:
        loaded, found = load_file(file)
        problems += found
        for scenario in loaded:
            if scenario.id in first_seen:
                src = first_seen[scenario.id]
                problems.append(Problem(scenario.source.file, scenario.source.line, 1, "id",
                                        f"duplicate scenario id '{scenario.id}' (first in {src.file}:{src.line})"))
                continue
            first_seen[scenario.id] = scenario.source
            scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios
