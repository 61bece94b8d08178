"""Prompt and reply templates from ``prompts/``: the understand step's messages and the spoken replies.

Both are plain files that product owners edit; the action list inside the prompt is generated from
the tool registry so it can never drift from the decoding schema.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
import yaml
from pydantic.fields import FieldInfo

from prompts import PROMPTS_DIR
from tools.base import TOOLS
from tools.variants import describe, modifier_names

HISTORY_TURNS = 6  # recent messages kept in the prompt: enough for "the second one", cheap enough for 270M


def action_signatures() -> str:
    """One line per action: ``name(required, optional?): description``, from the pydantic models."""
    lines = []
    for spec in TOOLS.values():
        params = [_param(name, info) for name, info in spec.model.model_fields.items() if name != "action"]
        lines.append(f"- {spec.name}({', '.join(params)}): {spec.description}")
    return "\n".join(lines)


def _param(name: str, info: FieldInfo) -> str:
    return name if info.is_required() else f"{name}?"


def _money(value: float | int | None) -> str:
    return f"{float(value or 0):,.2f}"


def _looked_for(applied: dict[str, Any] | None, relaxed: list[dict[str, Any]] | None = None) -> str:
    """What a search looked for, said back from the shop's ``applied`` filters (plus the ``relaxed`` ones):
    "black Nike running shoes in size 10 under $50, without leather"; "products" when nothing was named."""
    wanted = dict(applied or {})
    wanted.update({entry["filter"]: entry["value"] for entry in relaxed or [] if "filter" in entry})
    words = str(wanted.get("query") or "")
    said = f" {words.lower()} "

    def unsaid(value: Any) -> str | None:  # a filter the words already name is not said twice
        return str(value) if value and f" {str(value).lower()} " not in said else None

    head = " ".join(part for part in (unsaid(wanted.get("color")) and str(wanted["color"]).lower(),
                                      unsaid(wanted.get("brand")), words or None,
                                      None if words else wanted.get("category")) if part)
    if words and (category := unsaid(wanted.get("category"))) and category.lower().rstrip("s") not in said:
        head = f"{head} in {category}"
    parts = [head or "products"]
    if wanted.get("size"):
        parts.append(f"in size {wanted['size']}")
    low, high = wanted.get("min_price"), wanted.get("max_price")
    if low is not None and high is not None:
        parts.append(f"between ${_money(low)} and ${_money(high)}")
    elif high is not None:
        parts.append(f"under ${_money(high)}")
    elif low is not None:
        parts.append(f"over ${_money(low)}")
    if wanted.get("in_stock"):
        parts.append("in stock")
    phrase = " ".join(parts)
    if wanted.get("exclude"):
        phrase += ", without " + " or ".join(wanted["exclude"])
    return phrase.replace(".00", "")


def line_label(line: dict[str, Any]) -> str:
    """A cart or order line as spoken: "Latte, Large, Oat milk" (its options and add-ons after the name)."""
    options = line.get("options") or {k: line[k] for k in ("color", "size") if line.get(k)}
    variant = describe(options, modifier_names(line.get("modifiers")))
    return f"{line.get('name', '')}, {variant}" if variant else str(line.get("name", ""))


class Prompts:
    """Loads the templates once per process; ``reload()`` picks up edits."""

    def __init__(self, directory: Path = PROMPTS_DIR) -> None:
        self.directory = directory
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), undefined=jinja2.ChainableUndefined,
                                      autoescape=False)
        self.env.globals["money"] = _money
        self.env.globals["looked_for"] = _looked_for


        self.env.globals["line_label"] = line_label

    def reload(self) -> None:
        self.__dict__.pop("replies", None)
        self.env.cache = {}  # type: ignore[assignment]

    @cached_property
    def replies(self) -> dict[str, jinja2.Template]:
        raw = yaml.safe_load((self.directory / "replies.yaml").read_text(encoding="utf-8"))
        return {key: self.env.from_string(text) for key, text in raw.items()}

    def system(self, shown: list[dict[str, Any]], cart: dict[str, Any] | None) -> str:
        template = self.env.get_template("system.j2")
        return template.render(actions=action_signatures(), shown=shown, cart=cart).strip()

    def messages(self, history: list[dict[str, str]], shown: list[dict[str, Any]],
                 cart: dict[str, Any] | None, results: list[str]) -> list[dict[str, str]]:
        """System prompt, the recent conversation, then this turn's tool results (if any) as context."""
        messages = [{"role": "system", "content": self.system(shown, cart)}, *history[-HISTORY_TURNS:]]
        if results:
            messages.append({"role": "user", "content": "Results so far:\n" + "\n".join(results)
                                                         + "\nChoose the next action, or reply if done."})
        return messages

    def consent_messages(self, question: str, answer: str) -> list[dict[str, str]]:
        """The instruct mode's messages for "is ``answer`` a yes to ``question``?" (``consent.j2``)."""
        system = self.env.get_template("consent.j2").render(question=question).strip()
        return [{"role": "system", "content": system}, {"role": "user", "content": answer}]

    def reply(self, key: str, **data: Any) -> str:
        """Render reply ``key`` (falling back to the part before the dot) as one spoken line."""
        template = self.replies.get(key) or self.replies[key.split(".")[0]]
        return " ".join(template.render(**data).split())
