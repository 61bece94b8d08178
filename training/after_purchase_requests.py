"""After-purchase requests for the task data (issue 14): returns, exchanges, changes to a pending order,
addresses, payment methods, refund status and cancelling with a reason.

Each intent maps a request to its compact line (:mod:`agent.compact.codec`):

- an item is the customer's own words for it ("the running shoes" → ``item running shoes``) or its position
  ("the second item" → ``item 2``); "both", "everything", "the whole order" name no item (every item);
- an order number said goes into the line in digits; "my last order", "the one from last week", "this
  morning" name none (the tool takes the latest order the action fits, and the read-back says which);
- a new size is the ``size`` field as for ``add`` ("large" → ``l``), a colour or another option the words said;
- payment methods: "gift card", "paypal", "original", a card's last four digits or its brand as said;
- "i ordered it by mistake" / "i don't need it anymore" give ``cancel``'s reason;
- contrasts that keep the older intents: "where is my order" stays ``status``, a question about the return
  policy stays ``faq``, "cancel order 12" stays a plain ``cancel``; "where's my refund" is ``refund``.

The words a line copies (item, label, colour, option) are phrases of the customer's message or of their
previous one (a correction), as the per-turn grammar admits them (:func:`words_admitted`); templates whose
noise or typos would lose them are not used that way. Item names are the seeded shop's product nouns and the
synthetic catalogs' (``training/catalogs.yaml``), never the unseen café's.

Templates are functions of a :class:`training.taskdata.World`, as in :mod:`training.support_requests`; their
list index decides the held-out split there (``HELD_OUT_EVERY``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from num2words import num2words

from agent.compact.codec import Screen, TurnWords, grammar_word
from agent.compact.prompt import spoken_form
from shop.catalog_data import CATEGORIES
from training.anyshop import (MAX_SIZE_FIELD, mentions_unseen_shop, plural, say_number_word, say_value, shop_kinds,
                              size_line_value)
from training.support_requests import ORDER_WORDS, customer_style, new_order_id, say_order_number, typo

if TYPE_CHECKING:  # the generator imports this module; the type only is needed here
    from training.taskdata import World

Template = Callable[["World"], tuple[str, str] | None]
ORDINALS = ["first", "second", "third", "fourth", "fifth"]

# ── what was bought, as people call it ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Bought:
    """A product a customer bought: the words they call it by and the variants it comes in."""

    noun: str  # "running shoe", "cordless drill" (spoken form)
    sizes: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()  # other options (name, values)
    lines: tuple[str, ...] = ()  # product lines ("trailblaze"): "the trailblaze shoes"


def _noun(text: str) -> str | None:
    said = spoken_form(text).removeprefix("a ")
    words = said.split()
    if not words or mentions_unseen_shop(said) or not re.fullmatch(r"[a-z][a-z' ]*[a-z]", said):
        return None
    return " ".join(words[-3:])


@cache
def bought_products() -> tuple[Bought, ...]:
    """The seeded catalog's and the synthetic catalogs' products, without the unseen shop's words."""
    products = []
    for spec in CATEGORIES:
        if mentions_unseen_shop(spec.name) or spec.name == "Books":
            continue
        lines = tuple(spoken_form(line) for line in spec.lines if _noun(line) and len(line.split()) == 1)
        for noun in spec.nouns:
            if said := _noun(noun):
                products.append(Bought(said, tuple(spec.sizes or ()), tuple(c for c in spec.colors or ()
                                                                          if not mentions_unseen_shop(c)), (), lines))
    for shop in shop_kinds():
        for kind in shop.products:
            if not (said := _noun(kind.noun)):
                continue
            options = dict(kind.options)
            sizes = tuple(options.pop("Size", ()))
            colors = tuple(options.pop("Color", ()))
            lines = tuple(spoken_form(line) for line in kind.lines if _noun(line) and len(line.split()) == 1)
            products.append(Bought(said, sizes, colors, tuple(options.items()), lines))
    return tuple(products)


@dataclass
class ItemSaid:
    """An item as this customer names it: ``said`` in the utterance, ``words`` in the line."""

    said: str
    words: str
    product: Bought


def name_item(rng: random.Random, product: Bought | None = None) -> ItemSaid:
    product = product or rng.choice(bought_products())
    noun = product.noun if rng.random() < 0.5 else plural(product.noun)
    words = noun
    roll = rng.random()
    color = spoken_form(rng.choice(product.colors)) if product.colors else ""
    if roll < 0.15 and product.lines and len(noun.split()) < 3:
        words = f"{rng.choice(product.lines)} {noun}"  # "the trailblaze running shoe"
    elif roll < 0.3 and color and len(f"{color} {noun}".split()) <= 3:
        words = f"{color} {noun}"  # "the black jacket"
    elif roll < 0.45 and len(noun.split()) > 1:
        words = noun.split()[-1]  # "the drill"
    plural_ = words.endswith("s")
    determiner = rng.choice(["the", "the", "my", "those" if plural_ else "that", "these" if plural_ else "this"])
    return ItemSaid(f"{determiner} {words}", grammar_word(words), product)


def two_items(rng: random.Random) -> tuple[ItemSaid, ItemSaid]:
    first = name_item(rng)
    while (second := name_item(rng)).words == first.words or second.words in first.words \
            or first.words in second.words:
        pass
    return first, second


def position_said(rng: random.Random) -> tuple[str, int]:
    """("the second item", 2) and the other ways people point at a line of an order."""
    n = rng.randint(1, 4)
    said = rng.choice([f"the {ORDINALS[n - 1]} item", f"the {ORDINALS[n - 1]} thing", f"item {num2words(n)}",
                       f"item number {n}", f"the {ORDINALS[n - 1]} one on the list", f"the {ORDINALS[n - 1]} product"])
    return said, n


# ── orders: a number said (in any form), or none ──────────────────────────────────────────────────────

NO_ID_ORDERS = ["my last order", "my latest order", "the order from last week", "my recent order",
                "the order i placed this morning", "yesterday's order", "the order from monday",
                "my most recent order", "my order from the weekend", "the order from two days ago"]


@dataclass
class OrderSaid:
    noun: str  # "order 1042", "my last order"
    order_id: int | None

    @property
    def suffix(self) -> str:
        return f" {self.order_id}" if self.order_id is not None else ""


def name_order(rng: random.Random, with_id: float = 0.55) -> OrderSaid:
    if rng.random() < with_id:
        order_id = new_order_id(rng)
        number = say_order_number(rng, order_id)
        word = rng.choice(["order", "my order"]) if number[:1].isalpha() else rng.choice(ORDER_WORDS)
        return OrderSaid(f"{word} {number}", order_id)
    return OrderSaid(rng.choice(NO_ID_ORDERS), None)


def from_order(rng: random.Random, order: OrderSaid | None) -> str:
    if order is None:
        return ""
    return rng.choice(["from", "from", "in", "i got in", "that came in"]) + f" {order.noun}"


# ── variants: what an item becomes ─────────────────────────────────────────────────────────────────────

@dataclass
class Variant:
    said: str  # "a size large", "in navy", "the 256 gig storage"
    fields: str  # "; size l", "; color navy", "; opt storage=256 gig"


def _variant_kinds(product: Bought, wanted: str | None = None) -> list[str]:
    sizes = tuple(s for s in product.sizes if len(size_line_value(s)) <= MAX_SIZE_FIELD)
    return [k for k, present in (("size", sizes), ("color", product.colors), ("opt", product.options))
            if present and wanted in (None, k)]


def changeable(rng: random.Random, wanted: str | None = None) -> Bought:
    """A product that comes in other variants (of the ``wanted`` kind)."""
    return rng.choice([p for p in bought_products() if _variant_kinds(p, wanted)])


def new_variant(rng: random.Random, product: Bought, wanted: str | None = None) -> Variant | None:
    """A new size, colour or other option of ``product`` (``wanted``: that kind only)."""
    sizes = tuple(s for s in product.sizes if len(size_line_value(s)) <= MAX_SIZE_FIELD)
    kinds = _variant_kinds(product, wanted)
    if not kinds:
        return None
    kind = rng.choice(kinds)
    if kind == "size":
        value = rng.choice(sizes)
        said = say_value(rng, value)
        return Variant(rng.choice([f"a size {said}", f"a {said}", f"size {said}", f"the {said}", f"a {said} instead"]),
                       f"; size {size_line_value(value)}")
    if kind == "color":
        color = spoken_form(rng.choice(product.colors))
        return Variant(rng.choice([f"{color}", f"the {color} one", f"a {color} one", f"one in {color}"]),
                       f"; color {grammar_word(color)}")
    name, values = rng.choice(product.options)
    value, option = rng.choice(values), spoken_form(name)
    while (said := say_value(rng, value, numbers_as_words=False)).isdigit() and not value.isdigit():
        pass  # "the 30" names no option value on its own here: the order's items are not on screen
    value = said
    return Variant(rng.choice([f"the {value} {option}", f"{option} {value}", f"the one with {value} {option}"]),
                   f"; opt {grammar_word(option)}={grammar_word(value)}")


# ── payment methods and address labels ───────────────────────────────────────────────────────────────

def card_digits(rng: random.Random) -> tuple[str, str]:
    digits = rng.choice(["4242", "1111", "7890", "5454", "3005", "8812", "6021"])
    roll = rng.random()
    if roll < 0.5:
        said = digits
    elif roll < 0.8:
        said = " ".join(num2words(int(d)) for d in digits)
    else:
        said = " ".join(digits)
    return said, digits


def name_method(rng: random.Random, allow_original: bool = False) -> tuple[str, str]:
    """(said, line word) of a payment method."""
    roll = rng.random()
    if roll < 0.28:
        return rng.choice(["paypal", "my paypal", "pay pal", "my paypal account"]), "paypal"
    if roll < 0.52:
        return rng.choice(["my gift card", "a gift card", "the gift card", "gift card"]), "gift card"
    if roll < 0.8:
        said, digits = card_digits(rng)
        brand = rng.choice(["visa", "mastercard", "card", "credit card", "debit card"])
        return rng.choice([f"my {brand} ending in {said}", f"the card ending {said}", f"my {brand} ending {said}",
                           f"the one ending in {said}"]), digits
    if roll < 0.92 or not allow_original:
        brand = rng.choice(["visa", "mastercard", "amex"])
        return rng.choice([f"my {brand}", f"the {brand}", f"{brand}"]), brand
    return rng.choice(["the original card", "the card i paid with", "my original payment method",
                       "the same card as before"]), "original"


LABELS = ["home", "work", "office", "mom's", "studio", "cabin", "sister's", "parents", "the lake house", "uni"]


def name_label(rng: random.Random) -> tuple[str, str]:
    label = rng.choice(LABELS)
    word = label.removeprefix("the ")
    said = rng.choice([f"my {word} address", f"my {word}", f"{word}", f"the {word} address", f"{word} address"])
    if label.startswith("the "):
        said = rng.choice([label, f"{label} address"])
    return said, word


# ── what the line copies must be words the turn's grammar admits ──────────────────────────────────────

_COPIED = re.compile(r"; (item|color|to|opt|pay|refund|street|city|region|zip) ([^;]+)")


def words_admitted(line: str, utterance: str, history: list[dict[str, str]]) -> bool:
    """Whether every word the line copies from the customer is one the turn's grammar admits."""
    before = tuple(spoken_form(m["content"]) for m in history if m.get("role") == "user")[-1:]
    words = TurnWords.of(Screen(), spoken_form(utterance), before=before)
    copied = [(f, v.strip()) for f, v in _COPIED.findall(line)]
    if line.startswith("default "):
        copied.append(("to", line.removeprefix("default ")))
    for field, value in copied:
        if field in ("pay", "refund") or (field == "to" and line.startswith("payment")):
            if value not in words.methods:
                return False
        elif field in ("street", "zip"):
            if value not in ((words.streets if field == "street" else words.zips) or ()):
                return False
        elif field == "opt":
            name, _, option_value = value.partition("=")
            if name not in (words.phrases or ()) or option_value not in (words.phrases or ()):
                return False
        elif not (field == "item" and value.isdigit()) and value not in (words.phrases or ()):
            return False
    return True


def _said(world: World, utterance: str, line: str, styled: bool = True) -> tuple[str, str] | None:
    """The request in one of the customer styles; unstyled where the style would lose a copied word."""
    text = re.sub(r"\s+", " ", utterance).strip()
    if styled:
        styled_text = customer_style(world.rng, text, story=world.rng.random() < 0.5)
        if words_admitted(line, styled_text, world.history):
            return styled_text, line
    return (text, line) if words_admitted(line, text, world.history) else None


# ── returns ───────────────────────────────────────────────────────────────────────────────────────────

RETURN_ITEM = [
    "i want to return {it} {of}", "return {it} {of}", "i'd like to send back {it} {of}", "can i return {it} {of}",
    "{it} {of} doesn't fit i want to return it", "please start a return for {it} {of}",
    "{it} {of} arrived broken i want to return it", "i'm not happy with {it} {of} i'd like to return it",
    "send back {it}", "i need to return {it} {of} please", "i wanna return {it} {of}",
    "{it} {of} is not what i expected so i'd like to return it", "return request for {it} {of}",
    "so um i got {it} {of} and yeah i want to return it", "i'd like a refund on {it} {of} i'm sending it back",
    "ok so basically {it} {of} just isn't working for me can i send it back", "returning {it} {of}",
    "can you set up a return for {it} {of}", "{it} {of} is the wrong size i'm returning it",
    "i changed my mind about {it} {of} i want to return it", "this is ridiculous {it} {of} fell apart take it back",
    "hi there i would like to return {it} {of} thank you", "retrun {it} {of}", "return {it}",
    "how do i do this i just want to return {it} {of}",
]
RETURN_TWO = [
    "return {it} and {it2} {of}", "i want to send back {it} and {it2} {of}",
    "i'd like to return {it} and also {it2} {of}", "{it} and {it2} {of} both need to go back",
    "can i return {it} plus {it2} {of}", "return {it} {of} and {it2} too",
]
RETURN_ALL = [
    "return {on}", "i want to return everything from {on}", "return both items from {on}",
    "send it all back {of}", "i want to return the whole of {on}", "i'd like to return all of {on}",
    "everything in {on} is wrong return it all", "return the entire {on}", "can i send back {on}",
    "return both of them {of}", "i want a return for all the items in {on}", "return all",
]
RETURN_POSITION = [
    "return {pos} {of}", "i want to send back {pos} from {on}", "{pos} in {on} i want to return it",
    "can i return {pos} {of}", "i'd like to return {pos} {of} please",
]
RETURN_SOME = [  # {k}: how many go back, of {them} (always more than one bought)
    "return {k} of {them} {of}", "i want to send back {k} of {them} {of}", "can i return just {k} of {them} {of}",
    "i bought too many of {them} {of} so i'd like to return {k}", "{k} of {them} {of} need to go back",
    "i got {n} of {them} {of} and only need {keep} can i return the rest", "only {keep} of {them} fit return the other {k}",
    "please start a return for {k} of {them} {of}", "i'm sending back {k} of {them} {of}",
]
REFUND_TO = [  # (said, line word)
    ("and put the refund on a gift card", "gift card"), ("i'd like the money as a gift card", "gift card"),
    ("refund it to a gift card please", "gift card"), ("store credit on a gift card is fine", "gift card"),
    ("and refund it to my original payment", "original"), ("put the money back on the card i paid with", "original"),
    ("refund to the original card", "original"), ("back to my original payment method", "original"),
]


def t_return_some(template: str) -> Template:
    """A return of some of an item bought several times: ``item <words>; qty <k>``."""
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        world.random_context()
        order = name_order(rng, 0.5) if rng.random() < 0.6 else None
        noun = plural(rng.choice(bought_products()).noun)
        bought = rng.randint(2, 5)
        back = rng.randint(1, bought - 1) if "{n}" in template else rng.randint(1, 3)
        text = template.format(k=say_number_word(rng, str(back)), n=say_number_word(rng, str(bought)),
                               keep=say_number_word(rng, str(bought - back)),
                               them=f"{rng.choice(['the', 'those', 'my'])} {noun}", of=from_order(rng, order))
        return _said(world, text, f"return{order.suffix if order else ''}; item {grammar_word(noun)}; qty {back}")
    return make


def t_return(template: str, refund_chance: float = 0.2) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        world.random_context()
        names_order = "{on}" in template or ("{of}" in template and rng.random() < 0.7)
        order = name_order(rng, 0.5) if names_order else None
        line = "return" + (order.suffix if order else "")
        fill = {"of": from_order(rng, order), "on": order.noun if order else ""}
        if "{it2}" in template:
            first, second = two_items(rng)
            fill |= {"it": first.said, "it2": second.said}
            line += f"; item {first.words}; item {second.words}"
        elif "{it}" in template:
            item = name_item(rng)
            fill["it"] = item.said
            line += f"; item {item.words}"
        elif "{pos}" in template:
            fill["pos"], n = position_said(rng)
            line += f"; item {n}"
        text = template.format(**fill)
        if rng.random() < refund_chance:
            said, method = rng.choice(REFUND_TO)
            text, line = f"{text} {said}", f"{line}; refund {method}"
        return _said(world, text, line)
    return make


# ── exchanges (delivered orders) and item changes (pending orders) ─────────────────────────────────────

EXCHANGE = [
    "exchange {it} {of} for {v}", "can i swap {it} {of} for {v}", "{it} {of} doesn't fit can i get {v}",
    "i'd like to exchange {it} {of} for {v}", "i want {it} {of} swapped for {v}", "swap {it} for {v}",
    "{it} {of} is too small i need {v}", "{it} {of} is too big can you send {v}", "exchange {it} {v}",
    "i got {it} {of} but i want {v} instead can we exchange it", "trade {it} {of} for {v} please",
    "so the thing is {it} {of} isn't right i'd like {v} instead", "could you exchange {it} for {v} please",
    "hi can i exchange {it} {of} i need {v}", "exchnage {it} for {v}", "replace {it} {of} with {v}",
    "i need to swap {it} {of} for {v} asap", "is it possible to exchange {it} {of} for {v}",
    "{it} came and i hate the colour i want {v}", "ugh {it} is wrong again just exchange it for {v}",
]
EXCHANGE_PAY = ["and charge the difference to {m}", "pay any difference with {m}", "use {m} for the difference"]
MODIFY = [
    "change {it} in {on} to {v}", "i just ordered {it} can you make it {v}", "before {on} ships change {it} to {v}",
    "can i change {it} {of} to {v}", "in {on} switch {it} to {v}", "update {it} {of} to {v} please",
    "i ordered {it} by accident in the wrong size make it {v}", "modify {on} i want {it} in {v}",
    "oh no i picked the wrong one change {it} {of} to {v} before you send it",
    "{it} {of} hasn't shipped yet right can you change it to {v}", "switch {it} to {v} on {on}",
    "i'd like to change my order {it} should be {v}", "make {it} {of} {v} instead",
    "quick change to {on} {it} in {v} please", "can you still change {it} to {v} it hasn't shipped",
]


def _variant_template(template: str, verb: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        world.random_context()
        item = name_item(rng, changeable(rng, _variant_kind(template)))
        variant = new_variant(rng, item.product, _variant_kind(template))
        if variant is None or variant.fields.split()[-1] in item.words.split():
            return None  # "change the blue laptop to blue" is no change
        names_order = "{on}" in template or ("{of}" in template and rng.random() < 0.6)
        order = name_order(rng, 0.5) if names_order else None
        text = template.format(it=item.said, of=from_order(rng, order), on=order.noun if order else "", v=variant.said)
        line = f"{verb}{order.suffix if order else ''}; item {item.words}{variant.fields}"
        if verb == "exchange" and rng.random() < 0.2:
            said, method = name_method(rng)
            text, line = f"{text} {rng.choice(EXCHANGE_PAY).format(m=said)}", f"{line}; pay {method}"
        return _said(world, text, _field_order(line))
    return make


def _variant_kind(template: str) -> str | None:
    """The kind of change a template's words imply: "too small" is a size, "the colour" a colour."""
    if "colour" in template:
        return "color"
    if any(w in template for w in ("too small", "too big", "fit", "wrong size")):
        return "size"
    return None


def _field_order(line: str) -> str:
    """The fields in the encoding's order: items, colour, size, options, then pay."""
    head, *parts = line.split("; ")
    rank = {"item": 0, "color": 1, "size": 2, "opt": 3, "pay": 4}
    return "; ".join([head, *sorted(parts, key=lambda p: rank[p.split(" ")[0]])])


def t_exchange(template: str) -> Template:
    return _variant_template(template, "exchange")


def t_modify(template: str) -> Template:
    return _variant_template(template, "modify")


# ── addresses ────────────────────────────────────────────────────────────────────────────────────────

ORDER_ADDRESS = [
    "send {on} to {l} instead", "ship {on} to {l}", "change the delivery address of {on} to {l}",
    "can you deliver {on} to {l}", "i need {on} to go to {l}", "deliver {on} to {l} please",
    "please change the shipping address on {on} to {l}", "redirect {on} to {l}",
    "i won't be home can {on} go to {l}", "oops wrong address send {on} to {l}", "change address {on} {l}",
    "can you update {on} so it ships to {l}", "hey so i'd rather have {on} sent to {l}",
    "i moved can you send {on} to {l}", "ship it to {l} not the usual one",
]
DEFAULT_ADDRESS = [
    "make {l} my default address", "set my default address to {l}", "use {l} for future orders",
    "from now on ship everything to {l}", "change my default shipping address to {l}", "default address {l}",
    "i want {l} as my main address", "can you save {l} as the default", "please make {l} the default for deliveries",
    "always send my stuff to {l} from now on", "switch my default to {l}", "update my default address to {l}",
]


# New addresses, spoken whole: street, city, region where the country has them, postcode. None of them is an
# address of the hand-written sets (evals/understanding/after_purchase.yaml). Postcodes are drawn per country.
STREET_NAMES = ["willow", "cedar", "birch", "church", "high", "station", "mill", "park", "king", "queen", "lake",
                "river", "hill", "chestnut", "walnut", "spring", "meadow", "forest", "garden", "bridge", "market",
                "victoria", "albert", "washington", "lincoln", "jefferson", "madison", "franklin", "sunset", "ridge"]
STREET_KINDS = ["street", "avenue", "road", "lane", "drive", "court", "way", "place", "close", "crescent", "boulevard"]
CITIES = {  # country → (city, region said or None, postcode pattern: 9 a digit, A a letter, other characters as is)
    "us": [("denver", "co", "802"), ("portland", "oregon", "972"), ("boston", "ma", "021"), ("chicago", "il", "606"),
           ("phoenix", "arizona", "850"), ("atlanta", "ga", "303"), ("miami", "fl", "331"), ("nashville", "tn", "372"),
           ("san diego", "ca", "921"), ("minneapolis", "mn", "554"), ("columbus", "ohio", "432"),
           ("salt lake city", "ut", "841"), ("dallas", "texas", "752"), ("raleigh", "nc", "276")],
    "gb": [("manchester", None, "M9 9AA"), ("glasgow", None, "G9 9AA"), ("cardiff", None, "CF99 9AA"),
           ("birmingham", None, "B9 9AA"), ("edinburgh", None, "EH9 9AA"), ("york", None, "YO9 9AA"),
           ("brighton", None, "BN9 9AA"), ("oxford", None, "OX9 9AA"), ("norwich", None, "NR9 9AA")],
    "ie": [("dublin", None, "D09 A9A9"), ("galway", None, "H91 A9A9"), ("limerick", None, "V94 A9A9")],
    "ca": [("toronto", "on", "M9A 9A9"), ("vancouver", "bc", "V9A 9A9"), ("calgary", "alberta", "T9A 9A9"),
           ("ottawa", "ontario", "K9A 9A9")],
    "au": [("sydney", "nsw", "2000"), ("melbourne", "vic", "3000"), ("perth", "wa", "6000"), ("hobart", "tas", "7000")],
}
COUNTRY_SAID = {"us": ["usa", "united states"], "gb": ["uk", "england"], "ie": ["ireland"], "ca": ["canada"],
                "au": ["australia"]}


def _postcode(rng: random.Random, pattern: str, country: str) -> str:
    if country in ("us", "au"):  # a city's first digits, then any
        return pattern + "".join(str(rng.randint(0, 9)) for _ in range(5 - len(pattern) if country == "us" else 0))
    return "".join(str(rng.randint(0, 9)) if c == "9" else rng.choice("ABDEFHJLNPRTWXY") if c == "A" else c
                   for c in pattern)


def new_address(rng: random.Random) -> tuple[str, str]:
    """(said, line fields) of a new address: "88 willow lane, denver co 80211" → ``; street ...; country us``."""
    country = rng.choices(list(CITIES), weights=[5, 3, 1, 1.5, 1])[0]
    city, region, pattern = rng.choice(CITIES[country])
    street = f"{rng.randint(1, 2400) if rng.random() < 0.7 else rng.randint(1, 99)} {rng.choice(STREET_NAMES)} " \
             f"{rng.choice(STREET_KINDS)}"
    postcode = _postcode(rng, pattern, country)
    said_region = region if region and rng.random() < 0.85 else None
    parts = [street, city] + ([said_region] if said_region else []) + [postcode.lower() if rng.random() < 0.5
                                                                        else postcode]
    said = rng.choice([", ", " "]).join(parts) if rng.random() < 0.5 else f"{street}, {city} {' '.join(parts[2:])}"
    if rng.random() < 0.15:
        said += f", {rng.choice(COUNTRY_SAID[country])}"
    line = f"; street {grammar_word(spoken_form(street))}; city {city}"
    if said_region:
        line += f"; region {said_region}"
    return said, f"{line}; zip {grammar_word(spoken_form(postcode))}; country {country}"


def t_order_address(template: str, new_chance: float = 0.35) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        world.random_context()
        order = name_order(rng, 0.6) if "{on}" in template else None
        head = f"address{order.suffix if order else ''}"
        if rng.random() < new_chance:
            said, fields = new_address(rng)
            line = head + fields
        else:
            said, label = name_label(rng)
            line = f"{head}; to {label}"
        return _said(world, template.format(on=order.noun if order else "", l=said), line)
    return make


def t_default_address(template: str, new_chance: float = 0.35) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        if world.rng.random() < new_chance:
            said, fields = new_address(world.rng)
            line = f"default{fields}"
        else:
            said, label = name_label(world.rng)
            line = f"default {label}"
        world.random_context()
        return _said(world, template.format(l=said), line)
    return make


# ── payment of a pending order ──────────────────────────────────────────────────────────────────────

ORDER_PAYMENT = [
    "pay for {on} with {m} instead", "change the payment on {on} to {m}", "switch {on} to {m}",
    "can i pay {on} with {m}", "i'd rather pay {on} with {m}", "use {m} for {on}",
    "charge {m} for {on} instead of my card", "change payment method for {on} to {m}", "payment {on} {m}",
    "actually put {on} on {m}", "can you move the payment for {on} to {m}", "bill {m} for {on} please",
    "i want to change how i paid for {on} use {m}", "please use {m} to pay for {on}",
]


def t_payment(template: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        world.random_context()
        order = name_order(rng, 0.55)
        said, method = name_method(rng)
        text = template.format(on=order.noun, m=said)
        return _said(world, text, f"payment{order.suffix}; to {method}")
    return make


# ── refund status ───────────────────────────────────────────────────────────────────────────────────

REFUND_LATEST = [
    "where's my refund", "has my refund come through", "did you refund me yet", "refund status",
    "any news on my refund", "is my refund processed", "i'm still waiting for my refund",
    "i sent the package back when do i get my money", "when does my refund arrive", "check my refund",
    "did my refund go through", "i returned something and haven't seen the money yet",
    "where is my money from the return", "my refund", "what's happening with my refund",
]
REFUND_ID = [
    "where's the refund for {on}", "has {on} been refunded", "refund status for {on}", "did you refund {on}",
    "when do i get my money back for {on}", "is the refund for {on} done", "refund {on}",
    "i returned {on} where's my money", "check the refund on {on}", "any update on the refund for {on}",
]


def t_refund(template: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        world.random_context()
        if "{on}" not in template:
            return _said(world, template, "refund")
        order = name_order(world.rng, 1.0)
        return _said(world, template.format(on=order.noun), f"refund {order.order_id}")
    return make


# ── cancelling, with the reason said ────────────────────────────────────────────────────────────────

CANCEL_REASON = [  # (template, reason code)
    ("cancel {on} i ordered it by mistake", "mistake"), ("i ordered {on} by accident please cancel it", "mistake"),
    ("please cancel {on} it was a mistake", "mistake"), ("i bought it twice by mistake cancel {on}", "mistake"),
    ("cancel {on} i clicked the wrong thing", "mistake"), ("oops i placed {on} by mistake can you cancel", "mistake"),
    ("cancel {on} ordered by mistake", "mistake"), ("{on} was an accident cancel it", "mistake"),
    ("cancel {on} i don't need it anymore", "unneeded"), ("please cancel {on} i no longer need it", "unneeded"),
    ("i don't need {on} anymore cancel it", "unneeded"), ("cancel {on} not needed any more", "unneeded"),
    ("cancel {on} i found it elsewhere so i don't need it", "unneeded"),
    ("cancel {on} no longer needed", "unneeded"), ("we don't need {on} anymore please cancel", "unneeded"),
]


def t_cancel_reason(template: str, reason: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        world.random_context()
        order = name_order(world.rng, 1.0)
        return _said(world, template.format(on=order.noun), f"cancel {order.order_id}; reason {reason}")
    return make


# ── corrections: the previous message said most of it ────────────────────────────────────────────────

def t_correct_order(reply: str) -> Template:
    """The customer corrects the order number of a return or exchange; the item is in their last message."""
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        item = name_item(rng, changeable(rng))
        first, second = new_order_id(rng), new_order_id(rng)
        if first == second:
            return None
        verb = rng.choice(["return", "exchange"])
        variant = new_variant(rng, item.product) if verb == "exchange" else None
        if verb == "exchange" and variant is None:
            return None
        ask = f"i want to {verb} {item.said} from order {first}" + (f" for {variant.said}" if variant else "")
        world.history = [{"role": "user", "content": ask},
                         {"role": "assistant", "content": f"Order {first} has no {item.words} that can be "
                                                          f"{'returned' if verb == 'return' else 'exchanged'}."}]
        text = reply.format(n=say_order_number(rng, second))
        line = f"{verb} {second}; item {item.words}{variant.fields if variant else ''}"
        return _said(world, text, _field_order(line), styled=False)
    return make


def t_correct_variant(reply: str) -> Template:
    """The customer changes the size or colour they asked for before confirming."""
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        item = name_item(rng, changeable(rng))
        asked, wanted = new_variant(rng, item.product), new_variant(rng, item.product)
        if asked is None or wanted is None or asked.fields == wanted.fields:
            return None
        verb = rng.choice(["exchange", "modify"])
        ask = f"{'exchange' if verb == 'exchange' else 'change'} {item.said} for {asked.said}"
        world.history = [{"role": "user", "content": ask},
                         {"role": "assistant", "content": f"To confirm: {verb} the {item.words}. Shall I go ahead?"}]
        return _said(world, reply.format(v=wanted.said), f"{verb}; item {item.words}{wanted.fields}", styled=False)
    return make


def t_correct_label(reply: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        order = new_order_id(rng)
        (said_first, first), (said, label) = name_label(rng), name_label(rng)
        if first == label:
            return None
        world.history = [{"role": "user", "content": f"send order {order} to {said_first}"},
                         {"role": "assistant", "content": f"Send order {order} to your {first} address?"}]
        return _said(world, reply.format(l=said), f"address {order}; to {label}", styled=False)
    return make


CORRECT_ORDER = ["no sorry it's order {n}", "wait i meant order {n}", "wrong number it's {n}",
                 "my bad the order is {n}", "oh it was order number {n}"]
CORRECT_VARIANT = ["actually make that {v}", "no wait {v}", "sorry i meant {v}", "hmm change it to {v} instead",
                   "not that one {v}"]
CORRECT_LABEL = ["no wait send it to {l}", "sorry i meant {l}", "actually {l}", "no not there {l}",
                 "oh make it {l}"]

# ── contrasts: the older intents keep their requests ──────────────────────────────────────────────────

POLICY_FAQ = [  # questions about the rules, not a request to act: the help center answers
    "what's your return policy", "how many days do i have to return something", "can i return {it} if i opened it",
    "do exchanges cost anything", "is return shipping free", "can i change the address after i order",
    "how do refunds to a gift card work", "can i exchange something i bought on sale", "do you take returns on {it}",
    "how long does an exchange take", "what's the policy on changing an order", "can i pay with a different card "
    "after ordering", "are returns free", "how do i return {it}", "what can't be returned",
]
STATUS_CONTRAST = ["where is my order", "has {on} shipped yet", "where's {on}", "when will {on} arrive",
                   "is {on} on its way", "track {on}"]


def t_policy_faq(template: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        world.random_context()
        text = template.format(it=name_item(world.rng).said) if "{it}" in template else template
        return customer_style(world.rng, text), "faq"
    return make


def t_status_contrast(template: str) -> Template:
    def make(world: World) -> tuple[str, str] | None:
        world.random_context()
        order = name_order(world.rng, 1.0)
        return customer_style(world.rng, template.format(on=order.noun)), \
            "status" + (f" {order.order_id}" if "{on}" in template else "")
    return make


# (intent, weight, templates), as in taskdata.INTENTS; weights sum to ~29 against the rest's ~180 (≈ 13-14 %)
AFTER_PURCHASE_INTENTS: list[tuple[str, float, list[Template]]] = [
    ("after-return", 4.2, [t_return(t) for t in RETURN_ITEM]),
    ("after-return-two", 1.2, [t_return(t) for t in RETURN_TWO]),
    ("after-return-all", 1.8, [t_return(t) for t in RETURN_ALL]),
    ("after-return-position", 1.0, [t_return(t) for t in RETURN_POSITION]),
    ("after-return-some", 0.8, [t_return_some(t) for t in RETURN_SOME]),
    ("after-exchange", 4.0, [t_exchange(t) for t in EXCHANGE]),
    ("after-modify", 2.8, [t_modify(t) for t in MODIFY]),
    ("after-address", 2.2, [t_order_address(t) for t in ORDER_ADDRESS]),
    ("after-default", 1.4, [t_default_address(t) for t in DEFAULT_ADDRESS]),
    ("after-payment", 2.2, [t_payment(t) for t in ORDER_PAYMENT]),
    ("after-refund", 2.4, [t_refund(t) for t in REFUND_LATEST + REFUND_ID]),
    ("after-cancel-reason", 1.6, [t_cancel_reason(t, r) for t, r in CANCEL_REASON]),
    ("after-correct", 1.6, [t_correct_order(t) for t in CORRECT_ORDER] + [t_correct_variant(t) for t in CORRECT_VARIANT]
     + [t_correct_label(t) for t in CORRECT_LABEL]),
    ("after-contrast-faq", 1.0, [t_policy_faq(t) for t in POLICY_FAQ]),
    ("after-contrast-status", 0.6, [t_status_contrast(t) for t in STATUS_CONTRAST]),
]
AFTER_PURCHASE = frozenset(intent for intent, _, _ in AFTER_PURCHASE_INTENTS)
