"""The compact action encoding the embedded model writes: one short line per action.

Why: every generated token costs ~30-50 ms on one CPU core, and a 270M model copies short, regular
patterns far more reliably than nested JSON. ``add 2; qty 3`` is 6 tokens; the same action as JSON is ~25.
Products are named by their position in the prompt (``2`` = second product shown, ``c1`` = first cart
line), which the model reads off its context instead of copying ids. Replies, questions and hand-off
reasons are short codes that map to editable texts in ``prompts/understand_codes.yaml``.

The encoding is internal to the small model: :func:`decode` turns a line into a validated
:class:`tools.Action` (the names and arguments of ``tools/``), and :func:`grammar` gives the GBNF grammar
that constrains decoding for one turn, with product references limited to what is actually on screen, so
every line the engine can produce decodes to a valid action.

Line formats (fields in this order, optional ones in brackets)::

    search <words>[; brand <words>][; color <words>][; size <s>][; min <n>][; max <n>][; sort <order>][; n <k>]
    get <ref>                 compare <ref> <ref>[ <ref>[ <ref>]]
    recommend[ <words> | like <ref>]
    add <ref>[; qty <k>][; color <words>][; size <s>]
    setqty <ref> <k>          remove <ref>         cart         checkout
    status[ <order>]          orders               cancel <order>
    faq                       (the question is the customer's own words)
    reply <code>              clarify <code>       handoff[ <code>]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from prompts import PROMPTS_DIR
from tools import Action, parse_action

CODES_FILE = PROMPTS_DIR / "understand_codes.yaml"
REPLY_CODES = ("hello", "thanks", "bye", "help", "offtopic", "ack", "abuse")
CLARIFY_CODES = ("what", "product", "order", "quantity")
HANDOFF_CODES = ("person", "complaint")
SORT_ORDERS = ("price_asc", "price_desc", "rating")
MAX_REFS = 20  # a search shows at most 20 products (tools.catalog limit)
LETTER_SIZES = {"xs", "s", "m", "l", "xl", "xxl"}


@dataclass(frozen=True)
class Screen:
    """What the customer can refer to this turn: products shown (in spoken order) and cart lines."""

    shown: list[dict[str, Any]] = field(default_factory=list)
    cart_lines: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, shown: list[dict[str, Any]] | None, cart: dict[str, Any] | None) -> Screen:
        return cls(list(shown or [])[:MAX_REFS], list((cart or {}).get("lines") or [])[:MAX_REFS])


@dataclass(frozen=True)
class CannedTexts:
    """What the reply/clarify/handoff codes say to the customer; product owners edit the YAML file."""

    reply: dict[str, str]
    clarify: dict[str, str]
    handoff: dict[str, str | None]

    @classmethod
    def load(cls, path: Path = CODES_FILE) -> CannedTexts:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = cls(reply=raw["reply"], clarify=raw["clarify"], handoff=raw["handoff"])
        missing = ([f"reply.{c}" for c in REPLY_CODES if c not in texts.reply]
                   + [f"clarify.{c}" for c in CLARIFY_CODES if c not in texts.clarify]
                   + [f"handoff.{c}" for c in HANDOFF_CODES if c not in texts.handoff])
        if missing:
            raise ValueError(f"{path} lacks texts for: {', '.join(missing)}")
        return texts


@cache
def default_texts() -> CannedTexts:
    return CannedTexts.load()


# ── grammar ──────────────────────────────────────────────────────────────────────────────────────────

_COMMON_RULES = r"""
words ::= [a-z0-9] [a-z0-9' .&+-]{0,47}
size ::= [a-z0-9] [a-z0-9. ]{0,7}
num ::= [0-9]{1,6} ("." [0-9]{1,2})?
count ::= [1-9] [0-9]?
limit ::= [1-9] | "1" [0-9] | "20"
count0 ::= [0-9] [0-9]?
order ::= [0-9]{1,12}
search ::= "search " words searchfacets ("; size " size)? ("; min " num)? ("; max " num)? ("; sort " sortorder)? ("; n " limit)?
status ::= "status" (" " order)?
cancel ::= "cancel " order
"""


def _alternatives(options: list[str]) -> str:
    return " | ".join(f'"{option}"' for option in options)


MAX_SAID_WORDS = 3  # a brand or colour is at most this many words ("rose gold", "harbor and pine")
# A said phrase never starts or ends with these: "the nike", "black for" are no brand or colour.
_NOT_A_FACET_EDGE = frozenset({
    "a", "an", "the", "i", "me", "my", "you", "it", "for", "in", "on", "with", "without", "and", "or", "to", "of",
    "some", "any", "want", "need", "show", "find", "get", "please", "under", "over", "no", "not", "is", "are",
    "that", "this", "one", "ones", "like", "but", "than", "from", "dollars", "bucks",
})
# What follows these was ruled out ("without glass beads", "anything but black"): never a brand or colour.
_RULES_OUT = frozenset({"no", "not", "without", "except", "excluding", "but", "than"})
_GRAMMAR_WORD = re.compile(r"^[a-z0-9][a-z0-9' .&+-]{0,47}$")


def said_phrases(*texts: str) -> tuple[str, ...]:
    """Every run of 1-3 words of the customer's (spoken-form) words that could name a brand or colour.

    The per-turn grammar admits only these as a search's ``brand`` and ``color``: a filter value must be
    something the customer said (issue 12: "brand: Water Bottle" for "a water bottle" is still possible,
    and the shop then searches those words; an invented brand is not), and not right after a word that
    rules it out ("anything but black" offers no "black"; the shop excludes it from the customer's words).
    """
    phrases: dict[str, None] = {}
    for text in texts:
        words = text.split()
        for start in range(len(words)):
            for length in range(1, MAX_SAID_WORDS + 1):
                run = words[start : start + length]
                if len(run) < length or run[0] in _NOT_A_FACET_EDGE or run[-1] in _NOT_A_FACET_EDGE:
                    continue
                if start and words[start - 1] in _RULES_OUT:
                    continue
                phrase = " ".join(run)
                if _GRAMMAR_WORD.match(phrase) and '"' not in phrase:
                    phrases[phrase] = None
    return tuple(sorted(phrases, key=len, reverse=True))  # longest first, as for references


def _search_facets(said: tuple[str, ...]) -> str:
    if not said:
        return "searchfacets ::= \"\""
    return f'searchfacets ::= ("; brand " said)? ("; color " said)?\nsaid ::= {_alternatives(list(said))}'


@lru_cache(maxsize=256)
def grammar(shown_count: int, cart_count: int, said: tuple[str, ...] | None = None) -> str:
    """GBNF for one turn: every string it accepts decodes to a valid action on this screen.

    ``said``: the phrases a search's brand and colour may take (:func:`said_phrases` of the customer's
    words); None admits any words (a caller that does not know the utterance).
    """
    shown_count, cart_count = min(shown_count, MAX_REFS), min(cart_count, MAX_REFS)
    refs = [str(i) for i in range(1, shown_count + 1)] + [f"c{i}" for i in range(1, cart_count + 1)]
    # Longer alternatives first keeps "12" from being read as "1" followed by junk in the decoder's regexes.
    refs.sort(key=len, reverse=True)
    actions = ["search", '"recommend" (" " words)?', '"cart"', '"checkout"', "status", '"orders"', "cancel", '"faq"',
               f'"reply " ({_alternatives(list(REPLY_CODES))})', f'"clarify " ({_alternatives(list(CLARIFY_CODES))})',
               f'"handoff" (" " ({_alternatives(list(HANDOFF_CODES))}))?']
    facets = ('searchfacets ::= ("; brand " words)? ("; color " words)?' if said is None
              else _search_facets(said))
    rules = [_COMMON_RULES.strip(), facets, f"sortorder ::= {_alternatives(list(SORT_ORDERS))}"]
    if refs:
        rules.append(f"ref ::= {_alternatives(refs)}")
        actions[1] = '"recommend" (" like " ref | " " words)?'
        actions += ['"get " ref', '"add " ref ("; qty " count)? ("; color " words)? ("; size " size)?',
                    '"setqty " ref " " count0', '"remove " ref']
        if len(refs) >= 2:
            actions.append('"compare " ref (" " ref){1,3}')
    rules.insert(0, "act ::= " + " | ".join(actions))
    rules.insert(0, r'root ::= " " act "\n"')
    return "\n".join(rules) + "\n"


# ── decoding ─────────────────────────────────────────────────────────────────────────────────────────

_FIELD = re.compile(r"^(brand|color|size|min|max|sort|n|qty) (.+)$")


def _fields(parts: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in parts:
        match = _FIELD.match(part.strip())
        if match is None:
            raise ValueError(f"unknown field {part.strip()!r}")
        fields[match.group(1)] = match.group(2).strip()
    return fields


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _product(ref: str, screen: Screen) -> dict[str, Any]:
    """The product card or cart line a reference points at."""
    if ref.startswith("c"):
        lines, index, where = screen.cart_lines, int(ref[1:]), "cart lines"
    else:
        lines, index, where = screen.shown, int(ref), "products shown"
    if not 1 <= index <= len(lines):
        raise ValueError(f"reference {ref} is out of range: {len(lines)} {where}")
    return lines[index - 1]


def _is_ref(text: str, screen: Screen) -> bool:
    """Whether ``text`` is one reference to something on this screen ("2", "c1")."""
    try:
        _product(text, screen)
    except ValueError:
        return False
    return True


def _product_id(ref: str, screen: Screen) -> str:
    item = _product(ref, screen)
    return str(item.get("product_id") or item["id"])


def _title(text: str) -> str:
    return " ".join(word.capitalize() for word in text.split())


def _pick_variant(said: str, offered: list[str] | None, letter_sizes: bool = False) -> str:
    """The product's own spelling of a colour/size the customer said ("navy" → "Navy"), else a tidy form."""
    for option in offered or []:
        if option.casefold().replace(" ", "") == said.casefold().replace(" ", ""):
            return option
    if letter_sizes and said.lower() in LETTER_SIZES:
        return said.upper()
    return _title(said) if not letter_sizes else said


def _variant_source(ref: str, screen: Screen) -> dict[str, Any]:
    item = _product(ref, screen)
    if "colors" in item or "sizes" in item:
        return item
    product_id = item.get("product_id")  # a cart line: look for the same product among those shown
    return next((p for p in screen.shown if p.get("id") == product_id), item)


def decode(line: str, screen: Screen, utterance: str, texts: CannedTexts | None = None) -> Action:
    """The validated action a compact line stands for; raises ``ValueError`` saying what is wrong."""
    texts = texts or default_texts()
    line = " ".join(line.strip().split())
    verb, _, rest = line.partition(" ")
    payload: dict[str, Any]
    if verb == "search":
        query, *parts = rest.split(";")
        fields = _fields(parts)
        payload = {"action": "search_products", "query": query.strip()}
        for key, name in (("brand", "brand"), ("color", "color"), ("size", "size")):
            if key in fields:
                payload[name] = _title(fields[key]) if key != "size" else _pick_variant(fields[key], None, True)
        for key, name in (("min", "min_price"), ("max", "max_price"), ("sort", "sort"), ("n", "limit")):
            if key in fields:
                payload[name] = fields[key] if key == "sort" else _number(fields[key])
    elif verb == "get":
        payload = {"action": "get_product", "product_id": _product_id(rest, screen)}
    elif verb == "compare":
        payload = {"action": "compare_products", "product_ids": [_product_id(r, screen) for r in rest.split()]}
    elif verb == "recommend":
        payload = {"action": "recommend"}
        liked = rest.removeprefix("like ").strip() if rest.startswith("like ") else None
        if liked is not None and _is_ref(liked, screen):
            payload["product_id"] = _product_id(liked, screen)
        elif rest:  # the grammar's free words may also begin with "like" ("like 200"): then they are words
            payload["query"] = rest
    elif verb == "add":
        ref, *parts = rest.split(";")
        ref = ref.strip()
        fields = _fields(parts)
        source = _variant_source(ref, screen)
        payload = {"action": "add_to_cart", "product_id": _product_id(ref, screen)}
        if "qty" in fields:
            payload["quantity"] = int(fields["qty"])
        if "color" in fields:
            payload["color"] = _pick_variant(fields["color"], source.get("colors"))
        if "size" in fields:
            payload["size"] = _pick_variant(fields["size"], source.get("sizes"), letter_sizes=True)
    elif verb == "setqty":
        ref, _, quantity = rest.partition(" ")
        payload = {"action": "update_cart_item", "product_id": _product_id(ref, screen), "quantity": int(quantity)}
    elif verb == "remove":
        payload = {"action": "remove_from_cart", "product_id": _product_id(rest, screen)}
    elif verb in ("cart", "checkout", "orders") and not rest:
        payload = {"action": {"cart": "view_cart", "checkout": "checkout", "orders": "list_orders"}[verb]}
    elif verb == "status":
        payload = {"action": "order_status", **({"order_id": rest} if rest else {})}
    elif verb == "cancel":
        payload = {"action": "cancel_order", "order_id": rest}
    elif verb == "faq" and not rest:
        payload = {"action": "search_faq", "question": utterance.strip()[:300] or "help"}
    elif verb == "reply" and rest in texts.reply:
        payload = {"action": "reply", "text": texts.reply[rest]}
    elif verb == "clarify" and rest in texts.clarify:
        payload = {"action": "clarify", "question": texts.clarify[rest]}
    elif verb == "handoff" and (not rest or rest in texts.handoff):
        reason = texts.handoff.get(rest) if rest else None
        payload = {"action": "handoff", **({"reason": reason} if reason else {})}
    else:
        raise ValueError(f"not a compact action: {line!r}")
    return parse_action(payload)
