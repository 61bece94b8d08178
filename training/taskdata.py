"""Task data for the embedded model: (screen, recent turns, spoken utterance) → compact action line.

Built from the action encoding (:mod:`agent.compact.codec`) and the seeded catalog's vocabulary
(:mod:`shop.catalog_data`): products, brands, colours and sizes are the shop's own. Each intent has many
phrasings, and utterances are spoken-style: lower case, no punctuation, numbers as words, fillers, restarts
and the ASR confusions Whisper makes here ("cart" → "car"). Negatives are included: chit-chat → reply,
missing details → clarify, abuse → reply, a wish for a person → handoff. About a third of the mix is on many
other synthetic catalogs (:mod:`training.anyshop`, ``training/catalogs.yaml``): variant picks with options and
add-ons, negations and kept content words. No café words anywhere: that shop is the unseen one we measure on.

Every phrasing template has an id; one in five (``HELD_OUT_EVERY``) is kept out of training and only
appears in the ``heldout`` split, so the held-out evaluation measures new wordings, not memorised ones.

    python -m training.taskdata --split train --count 4000 --out var/finetune/train.jsonl
    python -m training.taskdata --fewshot-pool     # rewrite agent/compact/fewshot_pool.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from num2words import num2words

from agent.compact import fewshot
from agent.compact.codec import Screen, decode
from agent.compact.prompt import Example, PromptInput, spoken_form
from shop.catalog_data import CATEGORIES, CategorySpec
from training.after_purchase_requests import AFTER_PURCHASE, AFTER_PURCHASE_INTENTS, words_admitted
from training.support_requests import SUPPORT_INTENTS
from tools import Action
from training.anyshop import ANY_SHOP_INTENTS, mentions_unseen_shop
from training.consent_answers import CONSENT_INTENTS, check_target, is_consent

Split = Literal["train", "heldout"]
HELD_OUT_EVERY = 5  # template index % 5 == 4 → evaluation only


@dataclass
class TaskExample:
    """One supervised example; ``utterance`` is as spoken, the prompt shows its :func:`spoken_form`."""

    utterance: str
    line: str  # the compact action (target)
    intent: str
    template: str  # "<intent>.<index>": which phrasing made it
    shown: list[dict[str, Any]] = field(default_factory=list)
    cart_lines: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)

    def prompt_input(self) -> PromptInput:
        return PromptInput(spoken_form(self.utterance), self.shown, self.cart_lines, self.history)

    def action(self) -> Action:
        return decode(self.line, Screen(self.shown, self.cart_lines), spoken_form(self.utterance))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskExample:
        return cls(**data)


# ── a small synthetic catalog with the parts people say ("the trailblaze one", "the nordpeak") ─────────

@dataclass(frozen=True)
class Product:
    id: str
    line: str
    brand: str
    noun: str
    name: str
    price: float
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    category: str

    def card(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "brand": self.brand, "category": self.category,
                "price": self.price, "colors": list(self.colors), "sizes": list(self.sizes)}

    def cart_line(self, quantity: int) -> dict[str, Any]:
        return {"product_id": self.id, "name": self.name, "quantity": quantity, "unit_price": self.price}


def make_product(rng: random.Random, spec: CategorySpec) -> Product:
    noun = rng.choice(spec.nouns)
    line = rng.choice(spec.lines)
    name = spec.name_format.format(line=line, audience=rng.choice(spec.audiences) if spec.audiences else "",
                                   tag=rng.choice(spec.tags) if spec.tags else "", noun=noun)
    low, high = spec.noun_prices.get(noun, spec.price_range)
    price = round(rng.uniform(low, high)) - 0.01
    colors = tuple(rng.sample(spec.colors, rng.randint(1, min(4, len(spec.colors))))) if spec.colors else ()
    sizes = tuple(spec.sizes[:]) if spec.sizes else ()
    return Product(f"p{rng.randint(1, 2000)}", line, rng.choice(spec.brands), noun, name, max(price, 0.99),
                   colors, sizes, spec.name)


def _without_unseen_shop_words(spec: CategorySpec) -> CategorySpec | None:
    """``spec`` without the words of the unseen shop we measure on (``training.anyshop.UNSEEN_SHOP_WORDS``)."""
    if mentions_unseen_shop(spec.name):
        return None
    keep = {name: tuple(w for w in getattr(spec, name) if not mentions_unseen_shop(w))
            for name in ("brands", "lines", "nouns", "colors", "tags")}
    return replace(spec, **keep) if all(keep[name] for name in ("brands", "lines", "nouns")) else None


SEEDED_CATEGORIES = [s for spec in CATEGORIES if (s := _without_unseen_shop_words(spec))]


# ── spoken-style helpers ─────────────────────────────────────────────────────────────────────────────

ORDINALS = ["first", "second", "third", "fourth", "fifth"]
FILLERS = ["um", "uh", "so", "okay", "hey", "well", "yeah", "hmm", "alright", "oh"]
ASR_CONFUSIONS = {"cart": ["car", "card", "cards", "kart"], "add": ["at", "ad"], "checkout": ["check out"],
                  "two": ["to", "too"], "four": ["for"], "headphones": ["head phones"], "compare": ["compared"],
                  "remove": ["removed"], "order": ["odor", "orders"], "size": ["sighs"], "buy": ["by", "bye"],
                  "earbuds": ["ear buds"], "sneakers": ["sneaker's"], "shoes": ["shoe's", "choose"],
                  "the": ["a", "that"], "status": ["stats"], "show": ["so"]}
POLITE_ENDS = ["please", "thanks", "for me", "real quick", "if you can", "thank you"]


def say_number(rng: random.Random, value: int) -> str:
    """A price or count the way people say it: words most of the time, sometimes digits or "$"."""
    roll = rng.random()
    if roll < 0.55:
        words = num2words(value).replace("-", " ").replace(",", "")
        return words.replace(" and ", " ") if rng.random() < 0.5 else words
    return f"${value}" if roll < 0.7 else str(value)


def say_order_id(rng: random.Random, order_id: int) -> str:
    roll = rng.random()
    if roll < 0.4:
        return str(order_id)
    if roll < 0.7:
        return num2words(order_id).replace("-", " ").replace(",", "")
    return " ".join(num2words(int(d)) for d in str(order_id))  # "one oh five" style, digit by digit


def spoken_noise(rng: random.Random, text: str) -> str:
    """Fillers, a restart, ASR confusions or a polite tail, each sometimes; the meaning never changes."""
    words = text.split()
    if rng.random() < 0.2:
        words = [rng.choice(FILLERS)] + words
    if rng.random() < 0.1 and len(words) > 3:
        cut = rng.randint(1, min(3, len(words) - 1))
        words = words[:cut] + [rng.choice(["uh", "um", "i mean"])] + words
    if rng.random() < 0.25:
        candidates = [i for i, w in enumerate(words) if w in ASR_CONFUSIONS]
        if candidates:
            i = rng.choice(candidates)
            words[i] = rng.choice(ASR_CONFUSIONS[words[i]])
    if rng.random() < 0.1:
        words.append(rng.choice(POLITE_ENDS))
    text = " ".join(words)
    if rng.random() < 0.2:  # typed or punctuated transcript: the normaliser must see through it
        text = text[:1].upper() + text[1:] + rng.choice([".", "?", "!"])
    return text


# ── the world one example lives in ───────────────────────────────────────────────────────────────────

@dataclass
class World:
    rng: random.Random
    shown: list[Product] = field(default_factory=list)
    cart: list[tuple[Product, int]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    last_query: str | None = None

    def spec(self) -> CategorySpec:
        return self.rng.choice(SEEDED_CATEGORIES)

    def show(self, count: int, spec: CategorySpec | None = None) -> None:
        spec = spec or self.spec()
        products: list[Product] = []
        while len(products) < count:
            p = make_product(self.rng, spec)
            if all(p.line != q.line and p.id != q.id for q in products):
                products.append(p)
        self.shown = products

    def show_search_results(self, cart_chance: float = 0.0) -> int:
        """Products shown after a search (sometimes with items in the cart); returns the one the customer means."""
        spec = self.spec()
        self.show(self.rng.randint(1, 5), spec)
        self.search_history(query_phrase(self.rng, spec, self.shown[0])[0])
        if cart_chance and self.rng.random() < cart_chance:
            self.fill_cart(self.rng.randint(1, 2))
        return self.rng.randrange(len(self.shown))

    def fill_cart(self, count: int) -> None:
        products: list[Product] = []
        while len(products) < count:
            p = make_product(self.rng, self.spec())
            if all(p.noun != q.noun and p.id != q.id for q in products) and p.id not in {s.id for s in self.shown}:
                products.append(p)
        self.cart = [(p, self.rng.choice([1, 1, 1, 2, 3])) for p in products]

    def fill_cart_for_change(self) -> int:
        """A cart of 1-3 lines (sometimes with products shown too); returns the line the customer changes."""
        self.fill_cart(self.rng.randint(1, 3))
        if self.rng.random() < 0.4:
            self.show(self.rng.randint(1, 4))
        return self.rng.randrange(len(self.cart))

    def search_history(self, query: str) -> None:
        """The previous turn was a search for ``query`` that showed ``self.shown``."""
        self.last_query = query
        listing = " ".join(f"{i}: {p.name}, ${p.price:.2f}." for i, p in enumerate(self.shown[:3], 1))
        total = len(self.shown) + self.rng.choice([0, 0, 3, 12, 40])
        self.history = [{"role": "user", "content": self.rng.choice(["show me ", "find ", "i want ", ""]) + query},
                        {"role": "assistant", "content": f"I found {total} matches. {listing}"}]

    def random_context(self) -> None:
        """Distractor context for intents that do not depend on it."""
        roll = self.rng.random()
        if roll < 0.45:
            spec = self.spec()
            self.show(self.rng.randint(1, 5), spec)
            self.search_history(query_phrase(self.rng, spec, self.shown[0])[0])
        if self.rng.random() < 0.4:
            self.fill_cart(self.rng.randint(1, 3))

    def example(self, utterance: str, line: str, intent: str, template: str) -> TaskExample:
        return TaskExample(utterance=utterance, line=line, intent=intent, template=template,
                           shown=[p.card() for p in self.shown],
                           cart_lines=[p.cart_line(q) for p, q in self.cart], history=list(self.history))


def query_phrase(rng: random.Random, spec: CategorySpec, product: Product | None = None) -> tuple[str, str]:
    """(what the customer says, what goes into ``search``): "wireless headphones" for both, mostly."""
    noun = (product.noun if product else rng.choice(spec.nouns)).lower()
    plural = noun if noun.endswith("s") else (noun + "es" if noun.endswith(("sh", "ch")) else noun + "s")
    said = plural if rng.random() < 0.7 else noun
    if spec.tags and rng.random() < 0.3:
        tag = rng.choice([t for t in spec.tags if t] or [""]).strip().lower()
        said = f"{tag} {said}".strip()
    if spec.audiences and rng.random() < 0.25:
        audience = rng.choice(spec.audiences).strip().lower()
        if audience:
            said = f"{audience} {said}"
    said = said.replace("-", " ")
    return said, spoken_form(said)


def product_ref(world: World, index: int) -> str:
    """How a customer points at shown product ``index`` (0-based)."""
    rng, shown = world.rng, world.shown
    p = shown[index]
    options = [f"the {ORDINALS[index]} one", f"the {ORDINALS[index]}", f"number {num2words(index + 1)}",
               f"option {num2words(index + 1)}", f"the {ORDINALS[index]} {p.noun.split()[-1].lower()}"]
    if index == len(shown) - 1 and len(shown) > 1:
        options += ["the last one", "the last"]
    if index == 0:
        options += ["the top one", "the first result"]
    if len(shown) == 1:
        options += ["it", "that", "this one", "that one"]
    if sum(q.line == p.line for q in shown) == 1:
        options += [f"the {p.line.lower()}", f"the {p.line.lower()} one"]
    if sum(q.brand == p.brand for q in shown) == 1:
        options += [f"the {p.brand.lower()} one", f"the {p.brand.lower()}"]
    return rng.choice(options)


def cart_ref(world: World, index: int) -> str:
    rng = world.rng
    p, _ = world.cart[index]
    options = [f"the {p.noun.lower()}", f"the {p.line.lower()} {p.noun.lower()}", f"the {p.name.lower()}",
               f"the {ORDINALS[index]} item", f"the {p.noun.split()[-1].lower()}"]
    if len(world.cart) == 1:
        options += ["it", "that", "that item"]
    return rng.choice(options)


def size_phrase(rng: random.Random, size: str) -> tuple[str, str]:
    """(spoken, compact) for a size: "ten and a half" → "10.5", "medium" → "m"."""
    letters = {"XS": ["extra small", "xs"], "S": ["small"], "M": ["medium"], "L": ["large"],
               "XL": ["extra large", "xl"], "XXL": ["double xl", "xxl"]}
    if size in letters:
        return rng.choice(letters[size]), size.lower()
    if size.replace(".", "").isdigit():
        whole, _, half = size.partition(".")
        spoken = num2words(int(whole)) + (" and a half" if half else "")
        return (spoken if rng.random() < 0.6 else size), size
    return size.lower(), size.lower()


# ── intents: each template is a function of the world returning (utterance, line) or None ─────────────

Template = Callable[[World], tuple[str, str] | None]


def _search_line(query: str, **fields: Any) -> str:
    parts = [f"search {query}"]
    for key in ("brand", "color", "size", "min", "max", "sort"):
        if fields.get(key) is not None:
            parts.append(f"{key} {fields[key]}")
    return "; ".join(parts)


SEARCH_OPENERS = ["show me {q}", "i'm looking for {q}", "do you have {q}", "find me {q}", "i need {q}",
                  "can you find {q}", "search for {q}", "i want {q}", "got any {q}", "looking for some {q}",
                  "what {q} do you have", "i'd like to buy {q}", "let me see {q}", "get me some {q}",
                  "i'm shopping for {q}", "could you pull up {q}", "have you got {q}", "any {q}",
                  "i wanna see {q}", "show {q}"]


def _price_clause(rng: random.Random) -> tuple[str, dict[str, Any]]:
    kind = rng.choice(["max", "max", "max", "min", "range"])
    a = rng.choice([20, 25, 30, 40, 50, 60, 75, 80, 100, 120, 150, 200, 250, 300, 500, 1000])
    if kind == "max":
        pattern = rng.choice(["under {a}", "under {a} dollars", "below {a} bucks", "less than {a} dollars",
                              "for under {a}", "no more than {a}", "cheaper than {a} dollars", "up to {a} dollars",
                              "that cost less than {a}", "max {a} dollars"])
        return pattern.format(a=say_number(rng, a)), {"max": a}
    if kind == "min":
        pattern = rng.choice(["over {a} dollars", "more than {a}", "above {a} bucks", "at least {a} dollars"])
        return pattern.format(a=say_number(rng, a)), {"min": a}
    b = a * rng.choice([2, 3])
    pattern = rng.choice(["between {a} and {b} dollars", "from {a} to {b} dollars", "between {a} and {b}"])
    return pattern.format(a=say_number(rng, a), b=say_number(rng, b)), {"min": a, "max": b}


def t_search(opener: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        rng = world.rng
        world.random_context()
        spec = world.spec()
        said, query = query_phrase(rng, spec)
        fields: dict[str, Any] = {}
        head = said
        if spec.colors and rng.random() < 0.3:
            color = rng.choice(spec.colors).lower()
            head, fields["color"] = f"{color} {said}", color
        if rng.random() < 0.15:
            sort, phrase = rng.choice([("price_asc", "the cheapest"), ("price_asc", "cheap"),
                                       ("rating", "the best rated"), ("rating", "top rated"),
                                       ("rating", "highest rated"), ("price_desc", "the most expensive")])
            head, fields["sort"] = f"{phrase} {head}", sort
        tail = []
        if rng.random() < 0.2:
            brand = rng.choice(spec.brands).lower()
            fields["brand"] = spoken_form(brand)
            if rng.random() < 0.5:
                head = f"{brand} {head}"
            else:
                tail.append(rng.choice(["from {b}", "by {b}", "made by {b}"]).format(b=brand))
        if spec.sizes and rng.random() < 0.2:
            spoken, compact = size_phrase(rng, rng.choice(spec.sizes))
            tail.append(rng.choice(["in size {s}", "size {s}", "in a {s}"]).format(s=spoken))
            fields["size"] = compact
        if rng.random() < 0.35:
            clause, bounds = _price_clause(rng)
            tail.append(clause)
            fields.update(bounds)
        utterance = " ".join([opener.format(q=head), *tail])
        return utterance, _search_line(query, **fields)
    return make


REFINE_TEMPLATES = ["in {color}", "do you have them in {color}", "any in {color}", "what about {color}",
                    "only the {color} ones", "show me the {color} ones", "are there {color} ones",
                    "how about in {color}", "i prefer {color}", "just {color} please"]
REFINE_PRICE = ["anything cheaper under {p}", "what about under {p}", "something under {p} dollars",
                "too expensive show me ones under {p}", "i only want to spend {p}", "cheaper ones please under {p}"]
REFINE_SORT = [("show me the cheapest", "price_asc"), ("sort them by price", "price_asc"),
               ("which ones are best rated", "rating"), ("cheapest first please", "price_asc"),
               ("show the highest rated ones", "rating")]


def t_refine(index: int) -> Template:
    """A follow-up that narrows the previous search: the query comes from the earlier turn."""
    def make(world: World) -> tuple[str, str] | None:
        rng = world.rng
        spec = world.spec()
        world.show(rng.randint(2, 5), spec)
        said, query = query_phrase(rng, spec, world.shown[0])
        world.search_history(said)
        if rng.random() < 0.3:
            world.fill_cart(1)
        kind = index % 3
        if kind == 0 and spec.colors:
            color = rng.choice(spec.colors).lower()
            return REFINE_TEMPLATES[index % len(REFINE_TEMPLATES)].format(color=color), _search_line(query, color=color)
        if kind == 1:
            a = rng.choice([30, 40, 50, 60, 80, 100, 150, 200])
            return (REFINE_PRICE[index % len(REFINE_PRICE)].format(p=say_number(rng, a)),
                    _search_line(query, max=a))
        phrase, sort = REFINE_SORT[index % len(REFINE_SORT)]
        return phrase, _search_line(query, sort=sort)
    return make


GET_TEMPLATES = ["tell me more about {r}", "what about {r}", "details on {r}", "more info on {r}",
                 "describe {r}", "how much is {r}", "is {r} any good", "what's {r} like", "open {r}",
                 "show me {r}", "can i see {r}", "i like {r} tell me more", "what are the specs of {r}",
                 "how is {r} rated", "give me the details for {r}", "what do people say about {r}",
                 "let's look at {r}", "more about {r}", "is {r} in stock", "what's special about {r}"]


def t_get(template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        i = world.show_search_results(cart_chance=0.3)
        return template.format(r=product_ref(world, i)), f"get {i + 1}"
    return make


COMPARE_TEMPLATES = ["compare {a} and {b}", "which is better {a} or {b}", "what's the difference between {a} and {b}",
                     "put {a} and {b} side by side", "how does {a} stack up against {b}", "{a} versus {b}",
                     "compare {a} with {b}", "can you compare {a} and {b} for me", "{a} or {b} which one",
                     "help me choose between {a} and {b}"]
COMPARE_ALL = ["compare them", "compare all of them", "compare these", "which of these is best", "compare the first {n}"]


def t_compare(template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        rng = world.rng
        spec = world.spec()
        world.show(rng.randint(2, 5), spec)
        world.search_history(query_phrase(rng, spec, world.shown[0])[0])
        if "{a}" not in template:
            n = len(world.shown) if "{n}" not in template else rng.randint(2, min(4, len(world.shown)))
            if "{n}" not in template and n > 4:
                world.shown = world.shown[:4]
                n = 4
                world.search_history(query_phrase(rng, spec, world.shown[0])[0])
            return template.format(n=num2words(n)), "compare " + " ".join(str(i) for i in range(1, n + 1))
        a, b = sorted(rng.sample(range(len(world.shown)), 2))
        if rng.random() < 0.3:
            a, b = b, a
        return template.format(a=product_ref(world, a), b=product_ref(world, b)), f"compare {a + 1} {b + 1}"
    return make


RECOMMEND_PLAIN = ["what do you recommend", "any recommendations", "suggest something", "what should i buy",
                   "what's popular right now", "surprise me", "what would you suggest", "got any suggestions for me",
                   "recommend me something", "what do people like"]
RECOMMEND_NEED = ["what would you recommend {u}", "recommend something {u}", "any suggestions {u}",
                  "i need something {u} what do you suggest", "what's good {u}", "what do you suggest {u}"]
RECOMMEND_LIKE = ["something similar to {r}", "anything like {r}", "show me alternatives to {r}",
                  "what else is like {r}", "more like {r}", "recommend something similar to {r}"]


def t_recommend(kind: str, template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        rng = world.rng
        if kind == "like":
            i = world.show_search_results()
            return template.format(r=product_ref(world, i)), f"recommend like {i + 1}"
        world.random_context()
        if kind == "need":
            use = rng.choice(world.spec().uses)
            return template.format(u=use), f"recommend {spoken_form(use.removeprefix('for ').removeprefix('the '))}"
        return template, "recommend"
    return make


ADD_TEMPLATES = ["add {r} to my cart", "add {r}", "put {r} in my cart", "i'll take {r}", "i want {r}", "buy {r}",
                 "get me {r}", "throw {r} in the cart", "add {r} to the cart please", "i'd like {r}",
                 "add {r} to my basket", "yes add {r}", "let's go with {r}", "okay put {r} in the cart",
                 "can you add {r} to my cart", "i'll buy {r}", "grab {r} for me", "add {r} to cart",
                 "go ahead and add {r}", "i choose {r}"]
ADD_QTY = ["add {n} of {r}", "i'll take {n} of {r}", "put {n} of {r} in my cart", "can i get {n} of {r}",
           "i want {n} of {r}", "get me {n} of {r}"]


def t_add(template: str, with_qty: bool) -> Template:
    def make(world: World) -> tuple[str, str]:
        rng = world.rng
        i = world.show_search_results(cart_chance=0.3)
        p = world.shown[i]
        ref = product_ref(world, i)
        fields = []
        if with_qty:
            n = rng.choice([2, 2, 3, 4, 5, 6, 10])
            utterance = template.format(n=say_number(rng, n) if n > 2 else rng.choice(["two", "a couple", "2"]),
                                        r=ref)
            fields.append(f"qty {n}")
        else:
            utterance = template.format(r=ref)
        if p.colors and rng.random() < 0.35:
            color = rng.choice(p.colors).lower()
            utterance += rng.choice([f" in {color}", f" in the {color}", f" {color} please", f" in {color} please"])
            fields.append(f"color {color}")
        if p.sizes and rng.random() < 0.35:
            spoken, compact = size_phrase(rng, rng.choice(p.sizes))
            utterance += rng.choice([f" in size {spoken}", f" size {spoken}", f" in a {spoken}"])
            fields.append(f"size {compact}")
        return utterance, "; ".join([f"add {i + 1}", *fields])
    return make


UPDATE_TEMPLATES = ["change {c} to {n}", "make it {n} {c}", "i want {n} of {c} instead", "set the quantity of {c} to {n}",
                    "update {c} to {n}", "actually i need {n} of {c}", "only {n} of {c} please",
                    "can i have {n} of {c} instead", "change the quantity of {c} to {n}", "increase {c} to {n}",
                    "reduce {c} to {n}", "i'd like {n} {c} not one"]


def t_update(template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        rng = world.rng
        i = world.fill_cart_for_change()
        n = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 10])
        spoken = say_number(rng, n) if n > 2 else num2words(n)
        ref = cart_ref(world, i)
        return template.format(c=ref, n=spoken).replace("make it ", "make it " if rng.random() < 0.5 else "make that "), \
            f"setqty c{i + 1} {n}"
    return make


REMOVE_TEMPLATES = ["remove {c}", "take {c} out of my cart", "delete {c}", "i don't want {c} anymore",
                    "get rid of {c}", "drop {c}", "remove {c} from my cart", "take out {c}", "scratch {c}",
                    "please remove {c} from the cart", "lose {c}", "i changed my mind about {c} remove it"]


def t_remove(template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        rng = world.rng
        i = world.fill_cart_for_change()
        if rng.random() < 0.15:
            return template.format(c=cart_ref(world, i)).replace("remove", "set") + " to zero", f"setqty c{i + 1} 0"
        return template.format(c=cart_ref(world, i)), f"remove c{i + 1}"
    return make


def t_fixed(utterances: list[str], line: str, context: str = "random") -> Callable[[int], Template]:
    """Templates whose target does not depend on the screen (cart, checkout, faq, replies...)."""
    def factory(index: int) -> Template:
        def make(world: World) -> tuple[str, str]:
            if context == "random":
                world.random_context()
            elif context == "cart":
                world.fill_cart(world.rng.randint(1, 3))
                if world.rng.random() < 0.3:
                    world.show(world.rng.randint(1, 3))
            return utterances[index], line
        return make
    return factory


VIEW_CART = ["what's in my cart", "show my cart", "show me my cart", "what do i have in my cart", "view cart",
             "cart", "how much is in my cart", "what's my total", "read my cart back to me", "open my basket",
             "check my cart", "what did i add so far", "how many items are in my cart", "what's in the cart now",
             "go to my cart", "let me see my cart", "what have i got in my basket", "cart total please",
             "can you tell me what's in my cart", "review my cart"]
CHECKOUT = ["checkout", "check out", "i want to check out", "place my order", "i'm ready to pay", "let's pay",
            "buy everything in my cart", "complete my purchase", "place the order please", "finish my order",
            "i'm done shopping let's check out", "proceed to checkout", "go to checkout", "pay now",
            "order everything", "i'd like to place the order", "let's wrap this up and pay", "submit my order",
            "ring me up", "time to check out"]
LIST_ORDERS = ["show my orders", "what have i ordered", "list my orders", "my order history", "show me my past orders",
               "what did i buy last time", "how many orders do i have", "show my previous purchases",
               "what orders do i have", "list everything i ordered", "my orders please", "show recent orders",
               "what have i bought before", "open my order history", "do i have any orders"]
STATUS_PLAIN = ["where is my order", "track my order", "has my order shipped", "when will my order arrive",
                "did my package ship", "what's the status of my last order", "where's my package",
                "is my order on the way", "when does my stuff get here", "any update on my delivery",
                "track my latest order", "has my last order been delivered", "where's my stuff",
                "what's happening with my order", "is my package coming today"]
STATUS_ID = ["status of order {o}", "where's order {o}", "track order number {o}", "is order {o} on its way",
             "any update on order {o}", "has order {o} shipped", "what's the status of order number {o}",
             "where is order {o}", "check order {o}", "when will order {o} arrive"]
CANCEL_ID = ["cancel order {o}", "i want to cancel order {o}", "please cancel my order number {o}",
             "cancel order number {o}", "stop order {o}", "i changed my mind cancel order {o}",
             "can you cancel order {o}", "i need to cancel order {o}", "cancel my order {o} please",
             "don't send order {o} cancel it"]
FAQ = ["how long does shipping take", "do you ship internationally", "what's your return policy",
       "can i return shoes i already wore", "how do refunds work", "do you accept paypal", "can i pay with apple pay",
       "is there a warranty on laptops", "how do i reset my password", "how do i change my email address",
       "how do i know my shoe size", "what does a size medium fit", "do you sell my data", "do you have any discount codes",
       "is shipping free", "how much is shipping", "can i change my delivery address", "what happens if my package is lost",
       "how long do i have to return something", "how many days until a refund shows up", "do you deliver on weekends",
       "can i pay in installments", "how do i delete my account", "what's the warranty on headphones",
       "do you have a size chart", "is my payment information safe", "can i use two promo codes",
       "how do i return a gift", "do you offer express delivery", "what payment methods do you take",
       "how do i update my credit card", "do the jeans run small", "can i exchange for a different size",
       "who pays for return shipping", "what is your privacy policy", "how do i track a package",
       "are there any sales right now", "how do i contact support by email", "can i cancel after it ships",
       "do you ship to canada"]
REPLIES = {
    "hello": ["hi", "hello", "hey there", "good morning", "hi how are you", "hey assistant", "hello is anyone there",
              "yo", "good evening", "hiya"],
    "thanks": ["thanks", "thank you", "thanks a lot", "cheers", "great thanks", "perfect thank you",
               "that's helpful thanks", "awesome thank you so much", "thanks that's great", "much appreciated"],
    "bye": ["bye", "goodbye", "see you", "that's all for today", "i'm done thanks bye", "talk later", "bye bye",
            "see you later", "have a nice day bye", "ok bye"],
    "help": ["what can you do", "help", "how does this work", "what can i ask you", "what are you",
             "are you a robot", "what kind of things can you help with", "how do i use this", "who are you",
             "can you help me"],
    "offtopic": ["what's the weather like", "tell me a joke", "who won the game last night",
                 "what's the capital of france", "can you do my homework", "what time is it", "play some music",
                 "write me a poem", "what's the meaning of life", "how tall is mount everest"],
    "ack": ["okay", "ok cool", "nice", "alright", "never mind", "hmm", "no that's it", "let me think",
            "sounds good", "nothing for now"],
    "abuse": ["you're useless", "this is a stupid bot", "shut up", "you're an idiot", "you suck",
              "worst assistant ever you're dumb", "stupid machine", "go away you're garbage", "you are so dumb",
              "i hate you"],
}
CLARIFY = {
    "what": ["i want to buy something", "search", "find me something", "i need a thing", "show me stuff",
             "i'm looking for", "can you find", "i want to order something", "search for", "get me something nice"],
    "order": ["cancel my order", "i want to cancel an order", "cancel an order please", "cancel my last order",
              "i need to cancel something i ordered", "please cancel the order", "cancel the order i placed",
              "stop my order", "i want my order cancelled", "cancel it my order"],
}
CLARIFY_PRODUCT = ["add it to my cart", "tell me more about it", "compare them", "add the blue one", "i'll take that one",
                   "add the second one", "how much is that one", "what about the first one", "add two of those",
                   "put that in my cart"]
CLARIFY_QTY = ["change the quantity of {c}", "i want more of {c}", "update the amount of {c}", "change how many {c}",
               "i need a different number of {c}", "change {c}"]
HANDOFF = {
    "person": ["let me talk to a human", "i want to speak to a real person", "can i talk to someone",
               "get me a human", "transfer me to customer service", "operator", "i need a real agent",
               "speak to a representative", "connect me with a person please", "is there a human i can talk to"],
    # complaints: training/support_requests.py, by what they are about (the reason the hand-off names)
}


def _order_id_template(template: str, code: str) -> Template:
    """An utterance naming an order number (spoken as the customer would), encoded as ``<code> <id>``."""
    def make(world: World) -> tuple[str, str]:
        world.random_context()
        order_id = world.rng.choice([world.rng.randint(1, 60), world.rng.randint(100, 999)])
        return template.format(o=say_order_id(world.rng, order_id)), f"{code} {order_id}"
    return make


def t_status_id(template: str) -> Template:
    return _order_id_template(template, "status")


def t_cancel(template: str) -> Template:
    return _order_id_template(template, "cancel")


def t_clarify_product(template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        if world.rng.random() < 0.3:
            world.fill_cart(1)  # a cart does not make "add it" clear: nothing is shown
            return template, "clarify product"
        return template, "clarify what"  # nothing on screen: "which product" would not fit (issue 13)
    return make


def t_clarify_qty(template: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        world.fill_cart(world.rng.randint(1, 3))
        i = world.rng.randrange(len(world.cart))
        return template.format(c=cart_ref(world, i)), "clarify quantity"
    return make


# (intent, weight, templates)
INTENTS: list[tuple[str, float, list[Template]]] = [
    ("search", 20, [t_search(o) for o in SEARCH_OPENERS]),
    ("refine", 6, [t_refine(i) for i in range(15)]),
    ("get", 8, [t_get(t) for t in GET_TEMPLATES]),
    ("compare", 5, [t_compare(t) for t in COMPARE_TEMPLATES + COMPARE_ALL]),
    ("recommend", 6, [t_recommend("plain", t) for t in RECOMMEND_PLAIN] + [t_recommend("need", t) for t in RECOMMEND_NEED]
     + [t_recommend("like", t) for t in RECOMMEND_LIKE]),
    ("add", 14, [t_add(t, False) for t in ADD_TEMPLATES] + [t_add(t, True) for t in ADD_QTY]),
    ("update", 5, [t_update(t) for t in UPDATE_TEMPLATES]),
    ("remove", 5, [t_remove(t) for t in REMOVE_TEMPLATES]),
    ("cart", 4, [t_fixed(VIEW_CART, "cart")(i) for i in range(len(VIEW_CART))]),
    ("checkout", 3, [t_fixed(CHECKOUT, "checkout", "cart")(i) for i in range(len(CHECKOUT))]),
    ("status", 4, [t_fixed(STATUS_PLAIN, "status")(i) for i in range(len(STATUS_PLAIN))]
     + [t_status_id(t) for t in STATUS_ID]),
    ("orders", 2, [t_fixed(LIST_ORDERS, "orders")(i) for i in range(len(LIST_ORDERS))]),
    ("cancel", 3, [t_cancel(t) for t in CANCEL_ID]),
    ("faq", 6, [t_fixed(FAQ, "faq")(i) for i in range(len(FAQ))]),
    *[(f"reply-{code}", 1.2, [t_fixed(texts, f"reply {code}")(i) for i in range(len(texts))])
      for code, texts in REPLIES.items()],
    ("clarify-what", 1.5, [t_fixed(CLARIFY["what"], "clarify what", "none")(i) for i in range(10)]),
    ("clarify-order", 1.5, [t_fixed(CLARIFY["order"], "clarify order")(i) for i in range(10)]),
    ("clarify-product", 2, [t_clarify_product(t) for t in CLARIFY_PRODUCT]),
    ("clarify-quantity", 1.2, [t_clarify_qty(t) for t in CLARIFY_QTY]),
    *[(f"handoff-{code}", 1.5, [t_fixed(texts, "handoff" if code == "person" else f"handoff {code}")(i)
                                 for i in range(len(texts))]) for code, texts in HANDOFF.items()],
    # customer-support requests (issue 13): training/support_requests.py
    *SUPPORT_INTENTS,
]

# Issue 14, after a purchase (training/after_purchase_requests.py): returns, exchanges, order changes, refunds,
# about 13 % of the mix.
INTENTS += AFTER_PURCHASE_INTENTS

# Issue 12, any shop's catalog (training/anyshop.py): variant picks, add-ons, ruled-out and kept words on many
# catalogs, about a third of the mix.
INTENTS += ANY_SHOP_INTENTS


def templates_for(split: Split, intents: list[tuple[str, float, list[Template]]] | None = None,
                  ) -> list[tuple[str, float, list[tuple[str, Template]]]]:
    """Per intent (default: :data:`INTENTS`), the (template id, template) pairs of ``split``."""
    chosen = []
    for intent, weight, templates in INTENTS if intents is None else intents:
        named = [(f"{intent}.{i}", t) for i, t in enumerate(templates)]
        keep = [(n, t) for i, (n, t) in enumerate(named) if (i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1) == (split == "heldout")]
        chosen.append((intent, weight, keep))
    return chosen


def generate(count: int, split: Split = "train", seed: int = 0,
             extra: list[tuple[str, float, list[Template]]] | None = None,
             progress: Callable[[], None] | None = None, consent: bool = False) -> list[TaskExample]:
    """``count`` examples from the templates of ``split``, and of ``extra`` intents (a shop's own catalog and
    help center: training.shop_train); deterministic for a given seed. ``progress`` is called per example.
    ``consent``: the training mix, with answers to read-backs (issue 17, training/consent_answers.py, about
    7 % of the mix), whose targets are consent lines, not actions."""
    rng = random.Random(f"{seed}:{split}")
    intents = templates_for(split, [*INTENTS, *(extra or []), *(CONSENT_INTENTS if consent else [])]
                            if extra or consent else None)
    weights = [w for _, w, _ in intents]
    examples: list[TaskExample] = []
    while len(examples) < count:
        intent, _, templates = rng.choices(intents, weights)[0]
        name, template = rng.choice(templates)
        world = World(random.Random(rng.random()))
        made = template(world)
        if made is None:
            continue
        utterance, line = made
        if not line.startswith(("reply abuse", "handoff")) and not is_consent(line):  # as said: complaints, insults, answers
            noisy = spoken_noise(world.rng, utterance)
            # ASR noise must not take away a word an after-purchase line copies ("shoes" heard as "choose")
            if intent not in AFTER_PURCHASE or words_admitted(line, noisy, world.history):
                utterance = noisy
        example = world.example(utterance, line, intent, name)
        check_target(example)  # a consent line, or an action that decodes on its own screen
        examples.append(example)
        if progress:
            progress()
    return examples


FEWSHOT_POOL_SIZE = 2000
FEWSHOT_POOL_SEED = 7


def fewshot_pool(count: int = FEWSHOT_POOL_SIZE, seed: int = FEWSHOT_POOL_SEED) -> list[Example]:
    """The serving few-shot pool: distinct spoken-form wordings of the training split, one line each."""
    seen: dict[str, Example] = {}
    for example in generate(count, "train", seed):
        text = spoken_form(example.utterance)
        seen.setdefault(text, Example(text, example.line))
    return list(seen.values())


def write_jsonl(examples: list[TaskExample], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(json.dumps(asdict(example)) + "\n")


def read_jsonl(path: Path) -> list[TaskExample]:
    with path.open(encoding="utf-8") as lines:
        return [TaskExample.from_dict(json.loads(line)) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["train", "heldout"], default="train")
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--fewshot-pool", action="store_true",
                        help=f"write the serving few-shot pool ({fewshot.POOL_FILE.name}) instead")
    args = parser.parse_args(argv)
    if args.fewshot_pool:
        pool = fewshot_pool()
        fewshot.write_pool(pool, args.out or fewshot.POOL_FILE)
        print(f"wrote {len(pool)} few-shot examples to {args.out or fewshot.POOL_FILE}")
        return 0
    if args.out is None:
        parser.error("--out is required")
    examples = generate(args.count, args.split, args.seed)
    write_jsonl(examples, args.out)
    print(f"wrote {len(examples)} {args.split} examples to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
