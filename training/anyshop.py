"""Task data for any shop's catalog (issue 12): variant picks, add-ons, negation and kept words, on many catalogs.

The shop kinds come from ``training/catalogs.yaml`` (hardware, electronics, clothing, beauty, pets, furniture,
pizza, bikes, stationery: option names and values of every shape), so the embedded model learns the syntax
of options (``opt storage=256 gb``), add-ons (``with gift wrap``) and ruled-out words in general, not one
catalog's. Product cards carry ``options`` and ``modifiers`` as the shop lists them (:mod:`shop.schemas`).

What the lines teach:

- a spoken pick of a shown product ("the 256 gig", "large, the black", "medium with gift wrap") is an ``add``
  with the product's own values; a value it does not have stays as said (the agent then asks,
  :mod:`agent.variant_choice`);
- a negation stays in the query words as a cue the shop's parser reads (``search boots not leather``: the shop
  excludes "leather", :func:`shop.search.query.parse_query`), never as a brand or colour filter;
- every content word stays: brands the shop does not carry, units and sizes ("16 oz", "1/2 inch") are query
  words; a brand or colour filter only for a value the shop has and the customer said.

The templates are functions of :class:`training.taskdata.World` (duck-typed here, so this module does not
import the generator that mixes these intents in).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from num2words import num2words

from agent.compact.codec import grammar_word, said_phrases
from agent.compact.prompt import spoken_form
from tools.variants import SHORTHANDS, key

CATALOGS_FILE = Path(__file__).with_name("catalogs.yaml")
ORDINALS = ["first", "second", "third", "fourth"]
LETTER_SIZES = {"XS": ["extra small", "xs"], "S": ["small"], "M": ["medium"], "L": ["large"],
                "XL": ["extra large", "xl"], "XXL": ["double xl", "xxl"]}
# How units are said; the line always carries the catalog's spelling (grammar_word of the value).
UNIT_WORDS = {"gb": ["gb", "gig", "gigs", "gigabytes"], "tb": ["tb", "terabyte", "tera"],
              "oz": ["oz", "ounce", "ounces"], "inch": ["inch", "inches", "in"], "ft": ["ft", "foot", "feet"],
              "lb": ["lb", "pound", "pounds"], "ml": ["ml", "milliliters"], "mm": ["mm", "millimeter"],
              "cm": ["cm", "centimeter"], "mah": ["mah", "milliamp hours"], "ah": ["amp hour", "ah"]}
# Fractions as said: "3/4" once spoken reads "3 4 inch" (spoken_form drops the slash), which holds another
# value's "4 inch"; said in words it cannot ("3 quarter inch"). tools.variants keys all of them alike.
FRACTIONS = {"1/4": ["quarter", "a quarter"], "3/8": ["three eighths"], "1/2": ["half", "half an"],
             "5/8": ["five eighths"], "3/4": ["three quarter", "three quarters"]}
MAX_SIZE_FIELD = 8  # the grammar's ``size`` rule: at most 8 characters
# The café catalog is the unseen shop the understanding figures are measured on: none of its kind of words in
# the task data (the seeded shop's coffee makers are left out of the generator too).
UNSEEN_SHOP_WORDS = frozenset(
    "coffee coffees cafe café latte lattes espresso espressos cappuccino mocha americano macchiato frappe tea teas "
    "chai milk barista brew brewed brewing decaf syrup roast roasted grind grinder drink drinks beverage mug mugs "
    "cup cups shot shots caffeine croissant muffin pastry scone bagel smoothie cocoa matcha foam whipped oat soy "
    "vanilla caramel hazelnut iced menu straw straws kaffa moka".split())


def mentions_unseen_shop(text: str) -> bool:
    return bool(set(spoken_form(text).replace("'", " ").split()) & UNSEEN_SHOP_WORDS)


# ── the shop kinds ──────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class ProductKind:
    noun: str
    lines: tuple[str, ...]
    price: tuple[float, float]
    options: tuple[tuple[str, tuple[str, ...]], ...]  # (option name, values in the catalog's order)


@dataclass(frozen=True)
class ShopKind:
    name: str
    category: str
    brands: tuple[str, ...]
    absent_brands: tuple[str, ...]
    products: tuple[ProductKind, ...]
    add_ons: tuple[tuple[str, float], ...]
    attributes: tuple[str, ...]
    negations: tuple[tuple[str, str], ...]  # (what they want, the word they rule out)


@cache
def shop_kinds(path: Path = CATALOGS_FILE) -> tuple[ShopKind, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(ShopKind(
        name=name, category=kind["category"], brands=tuple(kind["brands"]),
        absent_brands=tuple(kind["absent_brands"]),
        products=tuple(ProductKind(p["noun"], tuple(p["lines"]), tuple(p["price"]),
                                   tuple((n, tuple(map(str, v))) for n, v in p["options"].items()))
                       for p in kind["products"]),
        add_ons=tuple((a["name"], float(a["price"])) for a in kind["add_ons"]),
        attributes=tuple(kind["attributes"]), negations=tuple(tuple(n) for n in kind["negations"]))
        for name, kind in raw.items())


def kinds_of(world: Any) -> tuple[ShopKind, ...]:
    """The shop kinds an example draws from: the synthetic ones, or those :func:`on_kinds` set (a shop's own)."""
    return getattr(world, "kinds", None) or shop_kinds()


def on_kinds(kinds: tuple[ShopKind, ...], template: Template) -> Template:
    """``template`` drawing its products from ``kinds`` (``voiceshop train``: the shop's own catalog)."""
    def make(world: Any) -> tuple[str, str] | None:
        world.kinds = kinds
        return template(world)
    return make


@dataclass(frozen=True)
class VariantProduct:
    """A shown product with options and add-ons; ``kind``: the full value lists its catalog has."""

    id: str
    line: str
    brand: str
    noun: str
    name: str
    price: float
    category: str
    options: tuple[tuple[str, tuple[str, ...]], ...]  # the values this product comes in
    add_ons: tuple[tuple[str, float], ...]
    kind: ProductKind

    def values(self, option: str) -> tuple[str, ...]:
        return dict(self.options).get(option, ())

    def card(self) -> dict[str, Any]:
        """As the agent keeps a shown product (``agent.graph._product_card``)."""
        card = {"id": self.id, "name": self.name, "brand": self.brand, "category": self.category,
                "price": self.price, "colors": list(self.values("Color")), "sizes": list(self.values("Size")),
                "options": [{"name": n, "values": list(v)} for n, v in self.options]}
        if self.add_ons:
            card["modifiers"] = [{"name": n, "price": p, "group": None} for n, p in self.add_ons]
        return card

    def cart_line(self, quantity: int, variant: dict[str, str] | None = None) -> dict[str, Any]:
        """A cart line holding ``variant`` (default: the product's first) as the shop's ``CartLine`` fields the
        agent reads."""
        variant = variant or {n: v[0] for n, v in self.options}
        return {"product_id": self.id, "name": self.name, "quantity": quantity, "unit_price": self.price,
                "color": variant.get("Color"), "size": variant.get("Size"), "options": variant, "modifiers": []}


def make_variant_product(rng: random.Random, shop: ShopKind, kind: ProductKind | None = None) -> VariantProduct:
    kind = kind or rng.choice(shop.products)
    line = rng.choice(kind.lines)
    options = []
    for name, values in kind.options:  # a run of the catalog's values, in its order, at least two when it has two
        count = rng.randint(min(2, len(values)), len(values))
        start = rng.randint(0, len(values) - count)
        options.append((name, values[start:start + count]))
    add_ons = tuple(a for a in shop.add_ons if rng.random() < 0.5)
    price = max(round(rng.uniform(*kind.price)) - 0.01, 0.99)
    return VariantProduct(f"p{rng.randint(2001, 9000)}", line, rng.choice(shop.brands), kind.noun,
                          f"{line} {kind.noun}", price, shop.category, tuple(options), add_ons, kind)


# ── spoken forms ─────────────────────────────────────────────────────────────────────────────────────

def say_number_word(rng: random.Random, text: str) -> str:
    """An integer as words sometimes ("sixteen"); the prompt's spoken form turns them back into digits."""
    if text.isdigit() and int(text) < 1000 and rng.random() < 0.35:
        return num2words(int(text)).replace("-", " ").replace(",", "").replace(" and ", " ")
    return text


def say_value(rng: random.Random, value: str, numbers_as_words: bool = True) -> str:
    """How a customer says an option value: "256 GB" → "256 gig", "L" → "large", "1/2 inch" → "half inch"."""
    if value in LETTER_SIZES:
        return rng.choice(LETTER_SIZES[value])
    words = value.lower().split()
    said = []
    for i, word in enumerate(words):
        if word in FRACTIONS:
            said.append(rng.choice(FRACTIONS[word]))
        elif word in UNIT_WORDS and i:
            said.append(rng.choice(UNIT_WORDS[word]))
        elif word[:-2].isdigit() and word.endswith("hz"):
            said.append(word if rng.random() < 0.5 else f"{word[:-2]} hertz")
        elif word[:-1].isdigit() and word.endswith("v"):
            said.append(f"{word[:-1]} volt")
        else:
            said.append(say_number_word(rng, word) if numbers_as_words else word)
    if len(said) == 2 and said[0].isdigit() and rng.random() < 0.15:
        return said[0]  # "the 256": the unit left out
    return " ".join(said)


def line_value(value: str) -> str:
    """An option value as a line writes it: the catalog's spelling in the grammar's characters."""
    return grammar_word(value)


def plural(noun: str) -> str:
    noun = noun.lower()
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun if noun.endswith("s") else noun + "es"
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2] not in "aeiou" else noun + "s"


def product_ref(rng: random.Random, shown: list[VariantProduct], index: int) -> str:
    """How a customer points at shown product ``index``: "the second one", "the nova 8", "it"."""
    p = shown[index]
    options = [f"the {ORDINALS[index]} one", f"the {ORDINALS[index]}", f"number {num2words(index + 1)}",
               f"the {ORDINALS[index]} {p.noun.split()[-1].lower()}"]
    if len(shown) == 1:
        options += ["it", "that one", "this one", f"the {p.noun.lower()}"]
    if index == len(shown) - 1 and len(shown) > 1:
        options.append("the last one")
    if sum(q.line == p.line for q in shown) == 1:
        options += [f"the {p.line.lower()}", f"the {p.line.lower()} one"]
    if sum(q.brand == p.brand for q in shown) == 1:
        options.append(f"the {p.brand.lower()} one")
    return rng.choice(options)


def search_listing(shown: list[VariantProduct], total: int) -> str:
    return f"I found {total} matches. " + " ".join(f"{i}: {p.name}, ${p.price:.2f}." for i, p in
                                                   enumerate(shown[:3], 1))


# ── the screen one example shows ─────────────────────────────────────────────────────────────────────

def show_products(world: Any, shop: ShopKind, count: int) -> list[VariantProduct]:
    """``count`` products of one product kind of ``shop`` (as a search shows them), each of its own line."""
    kind = world.rng.choice(shop.products)
    products: list[VariantProduct] = []
    for _ in range(20):
        if len(products) == count:
            break
        p = make_variant_product(world.rng, shop, kind)
        if all(p.line != q.line and p.id != q.id for q in products):
            products.append(p)
    world.shown = products
    return products


def shown_target(world: Any, count: int) -> tuple[ShopKind, list[VariantProduct], int]:
    """A shop kind, ``count`` of its products shown, and the index of the one the customer means."""
    shop = world.rng.choice(kinds_of(world))
    products = show_products(world, shop, count)
    return shop, products, world.rng.randrange(len(products))


def maybe_cart(world: Any, shop: ShopKind, chance: float = 0.3) -> None:
    if world.rng.random() < chance:
        p = make_variant_product(world.rng, shop)
        if p.id not in {q.id for q in world.shown}:
            world.cart = [(p, world.rng.choice([1, 1, 2]))]


def after_search(world: Any, shop: ShopKind, products: list[VariantProduct]) -> None:
    rng = world.rng
    query = plural(products[0].noun)
    world.last_query = query
    world.history = [{"role": "user", "content": rng.choice(["show me ", "find ", "i need ", ""]) + query},
                     {"role": "assistant", "content": search_listing(products, len(products) + rng.choice([0, 2, 9]))}]


def asked_about(world: Any, product: VariantProduct, options: list[str], ref: str) -> None:
    """The customer asked to add ``product``; the assistant asked which of ``options`` (values first: the prompt
    shows the assistant's first few words)."""
    rng = world.rng
    if not options:
        listed = ", ".join(n.lower() for n, _ in product.add_ons)
        question = rng.choice([f"Any add-ons? {listed}.", f"Would you like {listed}?", f"Add {listed}?"])
    elif len(options) == 1:
        values = list(product.values(options[0]))
        listed = ", ".join(values[:-1]) + " or " + values[-1]
        question = rng.choice([f"It comes in {listed}. Which {options[0].lower()}?",
                               f"{listed}? Which {options[0].lower()} would you like?",
                               f"Which {options[0].lower()}: {listed}?"])
    else:
        parts = "; ".join(f"{n.lower()} {', '.join(product.values(n))}" for n in options)
        question = f"Which {' and '.join(n.lower() for n in options)}? {parts}."
    world.history = [{"role": "user", "content": rng.choice(["add {r}", "i'll take {r}", "put {r} in my cart",
                                                             "i want {r}"]).format(r=ref)},
                     {"role": "assistant", "content": question}]


# ── variant picks ────────────────────────────────────────────────────────────────────────────────────

@dataclass
class Pick:
    """What the customer chose: (option name, value as the line writes it, as said) and add-ons."""

    options: list[tuple[str, str, str]]
    add_ons: list[tuple[str, str]]  # (line form, as said)
    quantity: int = 1


def add_line(index: int, pick: Pick) -> str | None:
    """``add <ref>`` with the codec's fields in its order; None when a value cannot be written (size too long)."""
    parts = [f"add {index + 1}"]
    if pick.quantity > 1:
        parts.append(f"qty {pick.quantity}")
    by_shorthand = {s: v for n, v, _ in pick.options for s, spellings in SHORTHANDS.items() if key(n) in spellings}
    if "color" in by_shorthand:
        parts.append(f"color {by_shorthand['color']}")
    if "size" in by_shorthand:
        size = by_shorthand["size"]
        if len(size) > MAX_SIZE_FIELD:
            return None
        parts.append(f"size {size}")
    for name, value, _ in pick.options:
        if not any(key(name) in spellings for spellings in SHORTHANDS.values()):
            parts.append(f"opt {grammar_word(name)}={value}")
    parts += [f"with {a}" for a, _ in pick.add_ons]
    return "; ".join(parts)


def size_line_value(value: str) -> str:
    """Letter sizes as the codec's size field writes them ("l"), other sizes as the catalog spells them."""
    return value.lower() if value in LETTER_SIZES else line_value(value)


def choose_options(rng: random.Random, product: VariantProduct, names: list[str] | None = None,
                   say: Callable[[random.Random, str], str] | None = None) -> Pick:
    say = say or say_value
    names = names or rng.sample([n for n, _ in product.options], rng.randint(1, min(2, len(product.options))))
    chosen = []
    for name in names:
        value = rng.choice(product.values(name))
        written = size_line_value(value) if key(name) == "size" else line_value(value)
        chosen.append((name, written, say(rng, value)))
    order = [n for n, _ in product.options]
    chosen.sort(key=lambda c: order.index(c[0]))
    return Pick(chosen, [])


def options_phrase(rng: random.Random, pick: Pick) -> str:
    said = [s for _, _, s in pick.options]
    rng.shuffle(said)  # people name them in any order
    if len(said) == 1:
        return said[0]
    joiner = rng.choice([" ", " and ", ", the ", " in ", " with "])
    return joiner.join(said)


def addon_phrase(rng: random.Random, pick: Pick) -> str:
    said = " and ".join(s for _, s in pick.add_ons)
    return rng.choice(["with {a}", "and add {a}", "plus {a}", "with {a} please", "and {a} too"]).format(a=said)


QTY_PHRASES = ["{n} of them", "{n} of those", "and i need {n}", "times {n}", "make it {n}"]

AFTER_SEARCH = ["{r} in {o}", "i'll take {r} in {o}", "add {r} in {o}", "give me {r} {o}", "{r} {o} please",
                "yep {r} {o}", "let's do {r} in {o}", "uh {r} in {o}", "can i get {r} in {o}",
                "put {r} in my cart in {o}", "i want {r} in {o}", "{o} {r}", "go with {r} in {o}",
                "okay {r} the {o}", "i'd like {r} in {o}", "add {r} {o} to my cart", "{r} but in {o}",
                "grab me {r} in {o}", "{r} in {o} i think", "i'll go with {r} in {o}"]
AFTER_QUESTION = ["{o}", "{o} please", "make it {o}", "the {o} one", "{o} i guess", "go with {o}",
                  "let's do {o}", "um {o}", "yeah {o}", "i'll go with the {o}", "{o} thanks", "the {o}",
                  "hmm {o} i think", "{o} is fine", "just {o}"]
# {a}: "with gift wrap", "plus engraving"; {b}: the add-ons alone
ADDON_TEMPLATES = ["{r} in {o} {a}", "{o} {a}", "add {r} {a}", "{r} {a}", "i'll take {r} {a}",
                   "{o} {a} thanks", "can i get {r} {a}", "yes {b}", "{b} on {r}", "{o} and {b} please"]
MISSING_TEMPLATES = ["{r} in {o}", "do you have {r} in {o}", "i want {r} in {o}", "add {r} in {o}",
                     "{o} please", "make it {o}", "can i get {r} in {o}", "the {o} one", "{r} {o}",
                     "i'll take {r} in {o}"]

Template = Callable[[Any], tuple[str, str] | None]


def _with_quantity(rng: random.Random, utterance: str, pick: Pick) -> str:
    if rng.random() < 0.2:
        pick.quantity = rng.choice([2, 2, 3, 4])
        return f"{utterance} {rng.choice(QTY_PHRASES).format(n=num2words(pick.quantity))}"
    return utterance


def t_pick(template: str, asked: bool) -> Template:
    """A value of a shown product after a search (``asked``: after the assistant asked which one)."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop, products, i = shown_target(world, 1 if asked and rng.random() < 0.4 else rng.randint(1, 4))
        product = products[i]
        ref = product_ref(rng, products, i)
        if asked:
            names = rng.sample([n for n, _ in product.options], rng.randint(1, min(2, len(product.options))))
            asked_about(world, product, names, ref)
            pick = choose_options(rng, product, names)
        else:
            after_search(world, shop, products)
            pick = choose_options(rng, product)
        maybe_cart(world, shop, 0.2)
        utterance = _with_quantity(rng, template.format(r=ref, o=options_phrase(rng, pick)), pick)
        line = add_line(i, pick)
        return (utterance, line) if line else None
    return make


def t_addon(template: str) -> Template:
    """An add-on, alone or with a value: "medium with gift wrap", "add the second one with engraving"."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop, products, i = shown_target(world, rng.randint(1, 3))
        product = products[i]
        if not product.add_ons:
            return None
        ref = product_ref(rng, products, i)
        pick = choose_options(rng, product) if "{o}" in template else Pick([], [])
        chosen = rng.sample(product.add_ons, rng.randint(1, min(2, len(product.add_ons))))
        pick.add_ons = [(line_value(n), n.lower()) for n, _ in sorted(chosen, key=product.add_ons.index)]
        if "{r}" in template:
            after_search(world, shop, products)
        elif pick.options:
            asked_about(world, product, [n for n, _, _ in pick.options], ref)
        else:  # "yes gift wrap" answers an offer of the add-ons
            asked_about(world, product, [], ref)
        utterance = template.format(r=ref, o=options_phrase(rng, pick) if pick.options else "",
                                    a=addon_phrase(rng, pick), b=" and ".join(s for _, s in pick.add_ons))
        line = add_line(i, pick)
        return (" ".join(utterance.split()), line) if line else None
    return make


def t_missing(template: str) -> Template:
    """A value the product does not come in: the add carries it as said (digits, so noise cannot change it);
    the agent then asks, listing what the product has."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop, products, i = shown_target(world, rng.randint(1, 3))
        product = products[i]
        lacking = [(n, v) for n, all_values in product.kind.options for v in all_values if v not in product.values(n)]
        if not lacking:
            return None
        name, value = rng.choice(lacking)
        said = spoken_form(say_value(rng, value, numbers_as_words=False))
        ref = product_ref(rng, products, i)
        if "{r}" in template:
            after_search(world, shop, products)
        else:
            asked_about(world, product, [name], ref)
        utterance = template.format(r=ref, o=said)
        phrases = set(said_phrases(spoken_form(utterance)))
        if said not in phrases or (key(name) == "size" and len(said) > MAX_SIZE_FIELD):
            return None  # the grammar admits only the customer's own phrases as a value the product lacks
        line = add_line(i, Pick([(name, said, said)], []))
        return (utterance, line) if line else None
    return make


# ── a bare answer to the assistant's question, and "make it large" next to "make it two" ─────────────

# What the assistant asks when a product needs a choice (its first words are what the prompt shows); {n}: the
# option names ("size and color"), {v}: the values of the first one.
QUESTIONS = ["Which {n}?", "Sure, which {n}?", "Which {n} would you like?", "What {n} do you want?",
             "Got it. Which {n}?", "And which {n}?", "Happy to add it. Which {n}?", "Which {n} should I add?",
             "Okay, what {n}? {v}.", "Which {n} for you? {v}."]
# The customer's bare answer: no product, no verb, only the values ("large black", "the 256 one").
BARE_ANSWERS = ["{o}", "{o} please", "the {o} one", "the {o}", "um {o}", "{o} for me", "uh the {o} please",
                "{o} would be great", "{o} thank you", "oh {o}", "i guess {o}", "{o} works", "definitely {o}",
                "let's say {o}", "{o} one please"]


def say_bare_value(rng: random.Random, value: str) -> str:
    """As :func:`say_value`, leaving the unit out more often ("the 256 one" after "which storage?")."""
    said = say_value(rng, value)
    number, _, unit = said.partition(" ")
    return number if unit and number.isdigit() and rng.random() < 0.35 else said


def t_bare_answer(template: str) -> Template:
    """The assistant asked which option(s); the answer is the values alone: an ``add`` of that product."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop, products, i = shown_target(world, 1 if rng.random() < 0.6 else rng.randint(2, 3))
        product = products[i]
        names = rng.sample([n for n, _ in product.options], rng.randint(1, min(2, len(product.options))))
        names.sort(key=[n for n, _ in product.options].index)
        ref = product_ref(rng, products, i)
        values = list(product.values(names[0]))
        question = rng.choice(QUESTIONS).format(n=" and ".join(n.lower() for n in names),
                                                v=", ".join(values[:-1]) + " or " + values[-1])
        world.history = [{"role": "user", "content": rng.choice(["add {r}", "can i get {r}", "i'd like {r}",
                                                                 "{r} please", "give me {r}"]).format(r=ref)},
                         {"role": "assistant", "content": question}]
        pick = choose_options(rng, product, names, say_bare_value)
        maybe_cart(world, shop, 0.3)
        utterance = template.format(o=options_phrase(rng, pick))
        line = add_line(i, pick)
        return (utterance, line) if line else None
    return make


# "make it two" after an add is a quantity for that cart line; "make it large" after "which size?" is the pick.
# The same words around a number and around a value, so the value (not "make it") decides.
CHANGE_TO = ["make it {x}", "actually make that {x}", "change it to {x}", "make that {x}", "actually make it {x}",
             "can you make it {x}", "make it {x} please", "change that to {x}", "let's make it {x}",
             "make it {x} instead", "actually {x}", "no make it {x}", "change it to {x} please", "make that {x} then",
             "oh make it {x}"]
ADDED = ["Added {p} to your cart.", "Done, {p} is in your cart.", "I put {p} in your cart.", "{p} added.",
         "Okay, {p} is in your cart now."]


class InCart:
    """A cart line of a product in the variant the customer chose."""

    def __init__(self, product: VariantProduct, variant: dict[str, str]) -> None:
        self.id, self.product, self.variant = product.id, product, variant

    def cart_line(self, quantity: int) -> dict[str, Any]:
        return self.product.cart_line(quantity, self.variant)


def t_change_quantity(template: str) -> Template:
    """ "make it two" with the product just added (or the only cart line): ``setqty`` of that line."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop, products, i = shown_target(world, rng.randint(1, 3))
        product = products[i]
        variant = {n: rng.choice(v) for n, v in product.options}
        others = [make_variant_product(rng, shop) for _ in range(rng.choice([0, 0, 1, 2]))]
        lines: list[Any] = [q for q in others if q.id not in {p.id for p in products}]
        at = rng.randint(0, len(lines))
        lines.insert(at, InCart(product, variant))
        world.cart = [(line, 1 if line.id == product.id else rng.choice([1, 2])) for line in lines]
        if len(lines) > 1 or rng.random() < 0.7:  # the assistant's last turn says which product "it" is
            said = " ".join(say_value(rng, v) for v in variant.values())
            world.history = [{"role": "user", "content": f"add {product_ref(rng, products, i)} {said}"},
                             {"role": "assistant", "content": rng.choice(ADDED).format(p=product.name)}]
        count = rng.choice([2, 2, 3, 3, 4, 5, 6, 10])
        spoken = num2words(count) if rng.random() < 0.7 else str(count)
        return template.format(x=spoken), f"setqty c{at + 1} {count}"
    return make


def t_change_variant(template: str) -> Template:
    """ "make it large" after the assistant asked which size: the pick, also with other products in the cart."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop, products, i = shown_target(world, 1 if rng.random() < 0.6 else rng.randint(2, 3))
        product = products[i]
        names = rng.sample([n for n, _ in product.options], rng.randint(1, min(2, len(product.options))))
        asked_about(world, product, names, product_ref(rng, products, i))
        pick = choose_options(rng, product, names)
        if any(spoken_form(said).isdigit() for _, _, said in pick.options):
            return None  # a bare number reads as a quantity here
        maybe_cart(world, shop, 0.5)
        line = add_line(i, pick)
        return (template.format(x=options_phrase(rng, pick)), line) if line else None
    return make


# ── searches: ruled-out words and every content word kept ────────────────────────────────────────────

SEARCH_OPENERS = ["{q}", "show me {q}", "i need {q}", "looking for {q}", "do you have {q}", "find {q}",
                  "any {q}", "i want {q}", "got {q}", "search {q}"]
# (as said, as the line's query writes it: a cue the shop's parser reads)
NEGATIONS = [("without {x}", "without {x}"), ("no {x}", "no {x}"), ("not {x}", "not {x}"),
             ("{x} free", "{x} free"), ("anything but {x}", "anything but {x}"), ("except {x}", "except {x}"),
             ("nothing with {x}", "nothing with {x}"), ("but not {x}", "but not {x}"), ("other than {x}", "other than {x}"),
             ("with no {x}", "with no {x}"), ("skip the {x}", "without {x}"), ("minus the {x}", "without {x}"),
             ("hold the {x}", "without {x}"), ("i don't want {x}", "without {x}"), ("free of {x}", "free of {x}")]


# Ruled-out words people say with "free": as they say them ("sulfate free" for sulfates).
FREE_FORMS = {"sulfates": "sulfate", "parabens": "paraben", "fragrance": "fragrance", "grain": "grain", "corn": "corn",
              "scent": "scent", "alcohol": "alcohol", "oxybenzone": "oxybenzone", "plastic": "plastic",
              "chicken": "chicken", "squeaker": "squeaker", "meat": "meat", "pork": "pork"}


def t_exclude(said_form: str, line_form: str) -> Template:
    """ "boots not leather": the ruled-out word stays in the query as a negation, never as a filter."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop = rng.choice(kinds_of(world))
        kind = rng.choice(shop.products)
        noun_words = set(kind.noun.lower().split())
        words = [v for _, values in kind.options for v in values if v not in LETTER_SIZES
                 and not key(v)[:1].isdigit() and not set(v.lower().split()) & noun_words]
        if rng.random() < 0.6 or not words or "free" in said_form:
            thing, ruled_out = rng.choice(shop.negations)
        else:  # a value of the catalog's own options: "anything but black", "not leather"
            ruled_out, thing = rng.choice(words).lower(), plural(kind.noun)
        if "free" in said_form:  # "fragrance free", not "batteries free"
            if ruled_out not in FREE_FORMS:
                return None
            ruled_out = FREE_FORMS[ruled_out]
        attributes = [a for a in shop.attributes if not set(a.split()) & set(ruled_out.split())]
        if rng.random() < 0.3:  # "waterproof jackets without a hood", never "bluetooth headphones no bluetooth"
            thing = f"{rng.choice(attributes)} {thing}"
        said = f"{thing} {said_form.format(x=ruled_out)}"
        if rng.random() < 0.3:
            world.shown = show_products(world, shop, rng.randint(1, 3))
            after_search(world, shop, world.shown)
        utterance = rng.choice(SEARCH_OPENERS).format(q=said)
        line = "search " + spoken_form(f"{thing} {line_form.format(x=ruled_out)}")
        if rng.random() < 0.2:
            a = rng.choice([20, 50, 100, 200, 500])
            utterance += f" under {say_number_word(rng, str(a))} dollars"
            line += f"; max {a}"
        return utterance, line
    return make


def typo(rng: random.Random, word: str) -> str:
    """A slip as typed or misheard: a letter dropped or doubled."""
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def kept_query(rng: random.Random, shop: ShopKind) -> tuple[str, list[str]]:
    """A search-log style query: product words with units, attributes, a brand the shop lacks, a typo.
    Returns (said, extra filter fields)."""
    kind = rng.choice(shop.products)
    noun = kind.noun.lower() if rng.random() < 0.5 else plural(kind.noun)
    words = [noun]
    style = rng.random()
    if style < 0.35:
        name, values = rng.choice(kind.options)
        value = say_value(rng, rng.choice(values), numbers_as_words=False)
        words = [noun, value] if rng.random() < 0.5 else [value, noun]
    elif style < 0.55:
        words = [rng.choice(shop.absent_brands), noun]
    elif style < 0.8:
        words = [rng.choice(shop.attributes), noun]
    if rng.random() < 0.15:
        words = [" ".join(typo(rng, w) for w in words[0].split())] + words[1:]
    return " ".join(words), []


KEPT_OPENERS = ["{q}", "{q}", "{q}", "show me {q}", "i need {q}", "do you have {q}", "looking for {q}",
                "find me {q}", "{q} please", "got any {q}", "search {q}", "i want to buy {q}"]


def t_kept(opener: str) -> Template:
    """Every content word stays a query word, except a brand or colour the shop has and the customer said."""
    def make(world: Any) -> tuple[str, str] | None:
        rng = world.rng
        shop = rng.choice(kinds_of(world))
        said, _ = kept_query(rng, shop)
        query, fields = spoken_form(said), []
        roll = rng.random()
        lead = ""
        if roll < 0.2:  # one of the shop's own brands, said: a filter
            brand = rng.choice(shop.brands)
            lead, fields = spoken_form(brand), [f"brand {spoken_form(brand)}"]
        elif roll < 0.35:  # one of the shop's colours, said: a filter
            colors = [v for k in shop.products for n, vs in k.options if n == "Color" for v in vs]
            if colors:
                color = spoken_form(rng.choice(colors))
                lead, fields = color, [f"color {color}"]
        utterance = opener.format(q=f"{lead} {said}".strip())
        said_words = set(said_phrases(spoken_form(utterance)))
        if any(f.split(" ", 1)[1] not in said_words for f in fields):
            return None  # a filter value must be a phrase the customer said
        if rng.random() < 0.2:
            a = rng.choice([25, 50, 100, 300, 1000])
            utterance += f" under {say_number_word(rng, str(a))} dollars"
            fields.append(f"max {a}")
        return utterance, "; ".join([f"search {query}", *fields])
    return make


# (intent, weight, templates): about a third of the mix next to the generator's ~109 (training/taskdata.py)
ANY_SHOP_INTENTS: list[tuple[str, float, list[Template]]] = [
    ("pick-after-search", 12, [t_pick(t, False) for t in AFTER_SEARCH]),
    ("pick-after-question", 10, [t_pick(t, True) for t in AFTER_QUESTION]),
    ("pick-addon", 5, [t_addon(t) for t in ADDON_TEMPLATES]),
    ("pick-missing", 4, [t_missing(t) for t in MISSING_TEMPLATES]),
    ("pick-bare-answer", 5, [t_bare_answer(t) for t in BARE_ANSWERS]),
    ("pick-make-it", 3, [t_change_variant(t) for t in CHANGE_TO]),
    ("qty-make-it", 4, [t_change_quantity(t) for t in CHANGE_TO]),
    ("search-exclude", 10, [t_exclude(s, q) for s, q in NEGATIONS]),
    ("search-kept", 9, [t_kept(o) for o in KEPT_OPENERS]),
]
