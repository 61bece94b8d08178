"""The embedded model's compact prompt and the spoken-text normalisation both training and serving use.

The same function renders the prompt for training examples and for live turns, so the fine-tuned model
sees at run time exactly the layout it was trained on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from text_to_num import alpha2digit

from prompts import PROMPTS_DIR

TEMPLATE = "understand_compact.j2"
BOT_WORDS = 8  # of the assistant's last message: enough for "Which order number is it?"; the products are listed anyway
PRIOR_MESSAGES = 2  # the customer's previous message and the assistant's answer: enough for "in red then"
NAME_WORDS = 8
MAX_COLORS = 4

_DOLLARS = re.compile(r"\$\s*(\d+(?:[.,]\d+)?)")
_NOT_SPOKEN = re.compile(r"[^a-z0-9' .#]+")
_LONE_DOTS = re.compile(r"(?<!\d)\.|\.(?!\d)")


def spoken_form(text: str) -> str:
    """Lower case, no punctuation, numbers as digits: typed text and Whisper transcripts look alike.

    ``"Find headphones under fifty dollars!"`` and ``"find headphones under $50"`` both become
    ``"find headphones under 50 dollars"``. Number words become digits (text2num) because a 270M model
    copies digits far more reliably than it converts "a hundred and fifty" itself; "one" and "two" stay
    words (text2num's default), as in "the second one".
    """
    text = _DOLLARS.sub(lambda m: f"{m.group(1).replace(',', '')} dollars", text.lower())
    text = text.replace("-", " ").replace("’", "'")
    text = _LONE_DOTS.sub(" ", _NOT_SPOKEN.sub(" ", text)).replace("#", " ")
    text = " ".join(text.split())
    return " ".join(alpha2digit(text, "en").split()) if text else text


@dataclass(frozen=True)
class Example:
    """A retrieved (utterance, compact line) pair shown to the model before the real question."""

    utterance: str
    line: str


@dataclass
class PromptInput:
    """Everything the compact prompt shows: the screen, recent turns and the customer's words."""

    utterance: str
    shown: list[dict[str, Any]] = field(default_factory=list)
    cart_lines: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)  # earlier messages, oldest first
    examples: list[Example] = field(default_factory=list)


def _label(product: dict[str, Any]) -> str:
    name = " ".join(str(product.get("name", "")).split()[:NAME_WORDS])
    brand = str(product.get("brand") or "")
    return name if not brand or name.lower().startswith(brand.lower()) else f"{brand} {name}"


def _product_line(product: dict[str, Any]) -> dict[str, Any]:
    colors = [str(c).lower() for c in (product.get("colors") or [])[:MAX_COLORS]]
    return {"label": _label(product), "price": round(float(product.get("price") or 0)), "colors": "/".join(colors)}


def _cart_line(line: dict[str, Any]) -> dict[str, Any]:
    return {"name": " ".join(str(line.get("name", "")).split()[:NAME_WORDS]), "quantity": line.get("quantity", 1)}


def _history_lines(history: list[dict[str, str]]) -> list[dict[str, str]]:
    lines = []
    for message in history[-PRIOR_MESSAGES:]:
        if message.get("role") == "user":
            lines.append({"role": "user", "text": spoken_form(message.get("content", ""))})
        elif message.get("role") == "assistant":
            words = message.get("content", "").split()
            lines.append({"role": "bot", "text": " ".join(words[:BOT_WORDS])})
    return lines


@cache
def _template(directory: Path = PROMPTS_DIR) -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), autoescape=False,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE)


def render(data: PromptInput, *, explain: bool) -> str:
    """The prompt text; ``explain`` adds the list of action codes (for a model that was not fine-tuned)."""
    return _template().render(
        explain=explain,
        cart_lines=[_cart_line(line) for line in data.cart_lines],
        shown=[_product_line(p) for p in data.shown],
        examples=data.examples,
        history=_history_lines(data.history),
        utterance=data.utterance,
    )
