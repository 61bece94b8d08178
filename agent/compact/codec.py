"""The compact action encoding the embedded model writes: one short line per action.

Why: every generated token costs ~30-50 ms on one CPU core, and a 270M model copies short, regular
patterns far more reliably than nested JSON. ``add 2; qty 3`` is 6 tokens; the same action as JSON is ~25.
Products are named by their position in the prompt (``2`` = second product shown, ``c1`` = first cart
line), which the model reads off its context instead of copying ids. Replies, questions and hand-off
reasons are short codes that map to editable texts in ``prompts/understand_codes.yaml``.

The encoding is internal to the small model: :func:`decode` turns a line into a validated
:class:`tools.Action` (the names and arguments of ``tools/``), and :func:`grammar` gives the GBNF grammar
that constrains decoding for one turn, with product references limited to what is actually on screen, so
every line the engine can produce decodes to a valid action. Option names and values (``opt storage=256 gb``)
are limited the same way (:class:`TurnWords`): for ``add``, the options of the products on screen and the
customer's own phrases (so a value the product lacks can still be said, and is then asked about); for
``search``, catalog values the customer said.

Line formats (fields in this order, optional ones in brackets)::

    search <words>[; brand <words>][; color <words>][; size <s>][; opt <name>=<value>]...[; min <n>][; max <n>]
           [; sort <order>][; n <k>]
    get <ref>                 compare <ref> <ref>[ <ref>[ <ref>]]
    recommend[ <words> | like <ref>]
    add <ref>[; qty <k>][; color <words>][; size <s>][; opt <name>=<value>]...[; with <add-on>]...
    setqty <ref> <k>          remove <ref>         cart         checkout
    status[ <order>]          orders               cancel <order>[; reason mistake|unneeded]
    return[ <order>][; item <item>[; qty <k>]]...[; refund gift card|original]
    exchange[ <order>][; item <item>[; qty <k>]]...[; color <w>][; size <s>][; opt <name>=<value>]...[; pay <method>]
    modify[ <order>]; item <item>[; qty <k>][; item <item>[; qty <k>]]...[; color <w>][; size <s>][; opt <n>=<v>]...
    address[ <order>]; to <label>    address[ <order>]<new>     default <label>     default<new>
        <new> = ; street <words>; city <words>[; region <words>]; zip <words>; country <cc>
    payment[ <order>]; to <method>     refund[ <order>]
    faq                       (the question is the customer's own words)
    reply <code>              clarify <code>       handoff[ <code>]   (no code: a person asked for)

After a purchase (issue 14) the model never names an order's lines by id: ``item <n>`` is a position ("the
second item" → ``item 2``), any other ``item`` is the customer's own words for it ("item running shoes"),
which the tool resolves against the order the shop has. No order number: the customer's latest order the
action fits; no item: every item of it ("return both"); ``qty`` after an item: only that many of it ("send two
back"). Item words, address labels, colours and option words are phrases the customer said this turn or in their
previous message (:attr:`TurnWords.phrases`); a payment method is "gift card", "paypal", "original" or a card
word or last digits they said (:attr:`TurnWords.methods`). A new address is the customer's words sorted into its
fields: the street from its house number on, the postcode's words (:attr:`TurnWords.streets`,
:attr:`TurnWords.zips`), the city and region as phrases, and the country's two letters, which people rarely say
and the model reads off the city and postcode ("leeds ls6 2ab" → ``country gb``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from prompts import PROMPTS_DIR, ruled_out_cues
from tools import Action, parse_action
from tools.variants import SHORTHANDS, cart_arguments, choose, key, match_name, match_value, modifier_names, \
    product_options, said_in

CODES_FILE = PROMPTS_DIR / "understand_codes.yaml"
REPLY_CODES = ("hello", "thanks", "bye", "help", "offtopic", "ack", "abuse")
CLARIFY_CODES = ("what", "product", "order", "quantity")
# Why a person takes over; "person" (no reason given) and "complaint" first, the others added for issue 13.
HANDOFF_CODES = ("person", "complaint", "billing", "delivery", "other")
SORT_ORDERS = ("price_asc", "price_desc", "rating")
MAX_REFS = 20  # a search shows at most 20 products (tools.catalog limit)
LETTER_SIZES = {"xs", "s", "m", "l", "xl", "xxl"}
MAX_OPTIONS = 3  # option fields per line ("opt storage=256 gb; opt color=black")
MAX_ADDONS = 3
MAX_PHRASE_WORDS = 3  # the customer's phrases admitted as option values: "the 1 kilo bag" has the value in 2
MAX_ITEMS = 5  # item fields of an after-purchase line
MAX_STREET_WORDS = 6  # "1600 north west harbor view drive"
COUNTRIES = ("us", "gb", "ie", "ca", "au", "nz")  # a new address's country (the shop takes any two letters)
CANCEL_REASONS = {"mistake": "ordered by mistake", "unneeded": "no longer needed"}  # the shop policy's words
REFUND_TO = ("gift card", "original")
PAYMENT_WORDS = ("gift card", "paypal", "original")  # always admitted; cards by a word or digits the customer said
_ORDER_NUMBER_CUES = frozenset({"order", "number", "no", "nr", "ord"})  # "order 1042" names no card
CARD_WORDS = ("american express", "credit card", "debit card", "mastercard", "visa", "amex", "discover", "card")
_GRAMMAR_UNSAFE = re.compile(r"[^a-z0-9' .&+-]+")
# A phrase of the customer's that begins or ends with one of these is not a value they named ("in blue").
_EDGE_WORDS = frozenset("a an the in on of one it its with and or but to for make get add i want please my "
                        "that this them some".split())
# ... nor an item, address label or colour of an order ("return the", "my work address" → "work").
_ORDER_PHRASE_EDGE = _EDGE_WORDS | frozenset(
    "return exchange swap send back order orders item items change cancel refund from is was are be you me "
    "could would i'd i'm it's like need just address number instead into so um uh these those all both "
    "everything no not thanks hi hello put ending".split())


@dataclass(frozen=True)
class Screen:
    """What the customer can refer to this turn: products shown (in spoken order) and cart lines."""

    shown: list[dict[str, Any]] = field(default_factory=list)
    cart_lines: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, shown: list[dict[str, Any]] | None, cart: dict[str, Any] | None) -> Screen:
        return cls(list(shown or [])[:MAX_REFS], list((cart or {}).get("lines") or [])[:MAX_REFS])


def grammar_word(text: str) -> str:
    """``text`` as the grammar's words can spell it: lower case, only the grammar's characters."""
    return " ".join(_GRAMMAR_UNSAFE.sub(" ", str(text).lower()).split())[:48]


@dataclass(frozen=True)
class TurnWords:
    """Option words one turn's grammar admits (hashable: grammars are cached per screen and words)."""

    option_names: tuple[str, ...] = ()  # options of the products on screen, without the color/size shorthands
    option_values: tuple[str, ...] = ()  # their values, and the customer's phrases
    addons: tuple[str, ...] = ()  # add-ons of the products on screen, and the customer's phrases
    search_options: tuple[tuple[str, str], ...] = ()  # (option, value) of the catalog that the customer said
    # What a search's brand and colour may be (:func:`said_phrases`); None: any words
    said: tuple[str, ...] | None = None
    # After a purchase: what an item, address label, colour or option may be (:func:`order_phrases`); None: any words
    phrases: tuple[str, ...] | None = None
    methods: tuple[str, ...] = PAYMENT_WORDS  # payment methods: the fixed words and the cards the customer said
    # A new address (:func:`address_runs`): streets from a house number on, and postcodes; None: any words
    streets: tuple[str, ...] | None = None
    zips: tuple[str, ...] | None = None
    # Order numbers the conversation holds (:func:`order_numbers`); None: any digits
    orders: tuple[str, ...] | None = None

    @classmethod
    def of(cls, screen: Screen, utterance: str, catalog_options: dict[str, list[str]] | None = None,
           before: tuple[str, ...] = (), seen: tuple[str, ...] | None = None,
           replies: tuple[str, ...] = ()) -> TurnWords:
        """The words of this turn: ``utterance`` and, for brand and colour, the customer's ``before`` messages;
        ``seen``: the customer's earlier messages, whose numbers may be order numbers (None: any number), and
        ``replies`` the assistant's, whose orders may be (:func:`order_numbers`)."""
        names: dict[str, None] = {}
        values: dict[str, None] = {}
        addons: dict[str, None] = {}
        for product in screen.shown:
            for name, option_values in product_options(product).items():
                if key(name) not in {spelling for spellings in SHORTHANDS.values() for spelling in spellings}:
                    names[grammar_word(name)] = None
                values.update(dict.fromkeys(grammar_word(v) for v in option_values))
            addons.update(dict.fromkeys(grammar_word(m) for m in modifier_names(product.get("modifiers"))))
        said = utterance.split()
        phrases = {grammar_word(" ".join(said[i:i + n])): None for n in range(1, MAX_PHRASE_WORDS + 1)
                   for i in range(len(said) - n + 1) if not {said[i], said[i + n - 1]} & _EDGE_WORDS}
        if names or values:
            values.update(phrases)
        if addons:
            addons.update(phrases)
        found = said_in(utterance, catalog_options or {})
        search = tuple(sorted((grammar_word(n), grammar_word(v)) for n, v in found.items()
                              if grammar_word(n) and grammar_word(v)))
        return cls(tuple(sorted(n for n in names if n)), tuple(sorted(v for v in values if v)),
                   tuple(sorted(a for a in addons if a)), search, said_phrases(utterance, *before),
                   order_phrases(utterance, *before), payment_methods(utterance), *address_runs(utterance, *before),
                   orders=None if seen is None else order_numbers(utterance, *seen, replies=replies))


def order_phrases(*texts: str) -> tuple[str, ...]:
    """Runs of 1-3 of the customer's words that can name an item of an order, an address label or a colour.

    Not ending in a number (``item 2`` is a position, "1042" an order; "256 gb" is a value) and no filler at
    the edges ("the shoes" → "shoes")."""
    phrases: dict[str, None] = {}
    for text in texts:
        said = [w for word in text.split() if (w := grammar_word(word))]
        for n in range(1, MAX_PHRASE_WORDS + 1):
            for i in range(len(said) - n + 1):
                run = said[i:i + n]
                if {run[0], run[-1]} & _ORDER_PHRASE_EDGE or run[-1].isdigit():
                    continue
                phrases[" ".join(run)] = None
    return tuple(sorted(phrases, key=len, reverse=True))


MAX_ORDER_DIGITS = 12
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)")  # "the 2nd one" is a position, not order 2
_ORDER_IN_REPLY = re.compile(rf"\border #?(\d{{1,{MAX_ORDER_DIGITS}}})\b")


def order_numbers(*texts: str, replies: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The numbers an order number may be: each run of digits said one after the other, joined ("1 04 2" →
    "1042", as spoken "one zero four two"), and the digits of a word with letters ("w2378156": the letters are
    the email's, the digits this shop's order number), never an ordinal ("the 2nd one" is a position). The
    model copies one of them, never invents one (it had read "return my order 7 too" as order 72). Of the
    assistant's ``replies``, only a number after "order" ("2: order 1057, 2 water bottles" names order 1057)."""
    found: dict[str, None] = dict.fromkeys(number for reply in replies
                                           for number in _ORDER_IN_REPLY.findall(reply.lower()))
    for text in texts:
        words = _GRAMMAR_UNSAFE.sub(" ", text.lower()).split()
        digits = ["" if _ORDINAL.fullmatch(word) else re.sub(r"\D", "", word) for word in words]
        for i, first in enumerate(digits):
            run = ""
            for later in digits[i:]:
                if not later or len(run + later) > MAX_ORDER_DIGITS:
                    break
                run += later
                found[run.lstrip("0") or "0"] = None
    return tuple(sorted(found, key=len, reverse=True))


def address_runs(*texts: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(streets, postcodes) the customer's words can spell: a street is a house number and 1-5 words after it
    ("22 baker street"), a postcode 1-2 words that each hold a digit ("nw1 6xe", "10118")."""
    streets: dict[str, None] = {}
    zips: dict[str, None] = {}
    for text in texts:
        said = [w for word in text.split() if (w := grammar_word(word))]
        for i, word in enumerate(said):
            if not any(c.isdigit() for c in word):
                continue
            if word[0].isdigit():
                for n in range(2, MAX_STREET_WORDS + 1):
                    run = said[i:i + n]
                    if len(run) == n and run[-1] not in _ORDER_PHRASE_EDGE:
                        streets[" ".join(run)] = None
            zips[word] = None
            if i + 1 < len(said) and any(c.isdigit() for c in said[i + 1]):
                zips[f"{word} {said[i + 1]}"] = None
    return (tuple(sorted(streets, key=len, reverse=True)), tuple(sorted(zips, key=len, reverse=True)))


def payment_methods(utterance: str) -> tuple[str, ...]:
    """The fixed payment words, and the card words and last four digits (said one by one or at once) the
    customer said."""
    words = [w for word in utterance.split() if (w := grammar_word(word))]
    said = " ".join(words)
    found = dict.fromkeys(PAYMENT_WORDS)
    found.update(dict.fromkeys(w for w in CARD_WORDS if f" {w} " in f" {said} "))
    for i, word in enumerate(words):
        if i and words[i - 1] in _ORDER_NUMBER_CUES:
            continue
        run = ""
        for later in words[i:i + 4]:  # "4242", or said one by one: "4 2 4 2", "6 02 1" (spoken "six zero two one")
            if not later.isdigit() or len(run + later) > 4:
                break
            run += later
        if len(run) == 4:
            found[run] = None
    return tuple(found)


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
search ::= "search " words searchfacets ("; size " size)? ("; min " num)? ("; max " num)? ("; sort " sortorder)? ("; n " limit)?
status ::= "status" (" " order)?
cancel ::= "cancel " order ("; reason " ("mistake" | "unneeded"))?
refund ::= "refund" (" " order)?
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
# The shop's search reads the same cues, so the grammar offers nothing the shop would exclude.
_RULES_OUT = tuple(tuple(cue.split()) for cue in ruled_out_cues())
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
                if any(tuple(words[max(start - len(cue), 0) : start]) == cue for cue in _RULES_OUT):
                    continue
                phrase = " ".join(run)
                if _GRAMMAR_WORD.match(phrase) and '"' not in phrase:
                    phrases[phrase] = None
    return tuple(sorted(phrases, key=len, reverse=True))  # longest first, as for references


def _search_facets(said: tuple[str, ...]) -> str:
    if not said:
        return "searchfacets ::= \"\""
    return f'searchfacets ::= ("; brand " said)? ("; color " said)?\nsaid ::= {_alternatives(list(said))}'


def _longest_first(options: list[str]) -> str:
    return _alternatives(sorted(options, key=len, reverse=True))


def _after_purchase(words: TurnWords) -> tuple[list[str], list[str]]:
    """(actions, rules) of the after-purchase lines; what needs the customer's phrases only when there are some."""
    phrase = "words" if words.phrases is None else "phrase"
    rules = [f"method ::= {_longest_first(list(words.methods))}",
             f'item ::= "; item " (position{" | " + phrase if words.phrases != () else ""}) ("; qty " count)?',
             'position ::= [1-9] | [1-4] [0-9] | "50"']  # an order has at most 50 lines
    if words.phrases:
        rules.append(f"phrase ::= {_alternatives(list(words.phrases))}")
    variant = '("; size " size)?'
    if words.phrases != ():
        variant = f'("; color " {phrase})? {variant} ("; opt " {phrase} "=" {phrase}){{0,{MAX_OPTIONS}}}'
    items = f"item{{1,{MAX_ITEMS}}}"
    actions = [f'"return" (" " order)? item{{0,{MAX_ITEMS}}} ("; refund " ({_alternatives(list(REFUND_TO))}))?',
               f'"exchange" (" " order)? ({items} {variant})? ("; pay " method)?',
               f'"modify" (" " order)? {items} {variant}', '"payment" (" " order)? "; to " method', "refund"]
    if words.phrases != ():
        new = ""
        if words.streets != () and words.zips != ():  # a new address needs a street and a postcode said
            street, zip_ = ("words", "words") if words.streets is None else ("street", "zip")
            if words.streets is not None:
                rules += [f"street ::= {_alternatives(list(words.streets))}",
                          f"zip ::= {_alternatives(list(words.zips or ()))}"]
            rules.append(f'newaddress ::= "; street " {street} "; city " {phrase} ("; region " {phrase})? '
                         f'"; zip " {zip_} "; country " ({_alternatives(list(COUNTRIES))})')
            new = " | newaddress"
        actions += [f'"address" (" " order)? ("; to " {phrase}{new})', f'"default" (" " {phrase}{new})']
    return actions, rules


# Bounded: the words differ from turn to turn (the customer's own phrases), so an unbounded cache would grow
# with every turn a server answers.
@lru_cache(maxsize=256)
def grammar(shown_count: int, cart_count: int, words: TurnWords = TurnWords()) -> str:
    """GBNF for one turn: every string it accepts decodes to a valid action on this screen.

    ``words`` limits what the customer's turn may fill in: option values and add-ons of the products on
    screen, and the phrases a search's brand and colour may take (``TurnWords.said``; None admits any words,
    for a caller that does not know the utterance).
    """
    shown_count, cart_count = min(shown_count, MAX_REFS), min(cart_count, MAX_REFS)
    refs = [str(i) for i in range(1, shown_count + 1)] + [f"c{i}" for i in range(1, cart_count + 1)]
    # Longer alternatives first keeps "12" from being read as "1" followed by junk in the decoder's regexes.
    refs.sort(key=len, reverse=True)
    actions = ["search", '"recommend" (" " words)?', '"cart"', '"checkout"', "status", '"orders"', "cancel", '"faq"',
               f'"reply " ({_alternatives(list(REPLY_CODES))})', f'"clarify " ({_alternatives(list(CLARIFY_CODES))})',
               f'"handoff" (" " ({_alternatives(list(HANDOFF_CODES))}))?']
    facets = ('searchfacets ::= ("; brand " words)? ("; color " words)?' if words.said is None
              else _search_facets(words.said))
    rules = [_COMMON_RULES.strip(), facets, f"sortorder ::= {_alternatives(list(SORT_ORDERS))}"]
    if words.search_options:
        rules.append("searchopt ::= " + " | ".join(f'"; opt {n}={v}"' for n, v in words.search_options))
        rules[0] = rules[0].replace('("; size " size)? ("; min "',
                                    f'("; size " size)? searchopt{{0,{MAX_OPTIONS}}} ("; min "')
    if refs:
        rules.append(f"ref ::= {_alternatives(refs)}")
        actions[1] = '"recommend" (" like " ref | " " words)?'
        add = '"add " ref ("; qty " count)? ("; color " words)? ("; size " size)?'
        if words.option_names and words.option_values:
            rules += [f"optname ::= {_longest_first(list(words.option_names))}",
                      f"optvalue ::= {_longest_first(list(words.option_values))}"]
            add += f' ("; opt " optname "=" optvalue){{0,{MAX_OPTIONS}}}'
        if words.addons:
            rules.append(f"addon ::= {_longest_first(list(words.addons))}")
            add += f' ("; with " addon){{0,{MAX_ADDONS}}}'
        actions += ['"get " ref', add, '"setqty " ref " " count0', '"remove " ref']
        if len(refs) >= 2:
            actions.append('"compare " ref (" " ref){1,3}')
    after_actions, after_rules = _after_purchase(words)
    actions += after_actions
    rules += after_rules
    if words.orders is None:  # any number; else only those the conversation holds, none: lines needing one are out
        rules.append(f"order ::= [0-9]{{1,{MAX_ORDER_DIGITS}}}")
    elif words.orders:
        rules.append(f"order ::= {_alternatives(list(words.orders))}")
    else:
        rules[0] = "\n".join(r for r in rules[0].splitlines() if not r.startswith("cancel ::="))
        actions = [a.replace('(" " order)?', "") for a in actions if a != "cancel"]
        rules = [r.replace('(" " order)?', "") for r in rules]
    rules.insert(0, "act ::= " + " | ".join(actions))
    rules.insert(0, r'root ::= " " act "\n"')
    return "\n".join(rules) + "\n"


# ── decoding ─────────────────────────────────────────────────────────────────────────────────────────

_FIELD = re.compile(r"^(brand|color|size|min|max|sort|n|qty) (.+)$")
_OPTION = re.compile(r"^opt ([^=]+)=(.+)$")
_ADDON = re.compile(r"^with (.+)$")


@dataclass
class _Fields:
    single: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)  # as written: "storage" -> "256 gb"
    addons: list[str] = field(default_factory=list)


def _fields(parts: list[str]) -> _Fields:
    fields = _Fields()
    for part in parts:
        part = part.strip()
        if option := _OPTION.match(part):
            fields.options[option.group(1).strip()] = option.group(2).strip()
        elif addon := _ADDON.match(part):
            fields.addons.append(addon.group(1).strip())
        elif match := _FIELD.match(part):
            fields.single[match.group(1)] = match.group(2).strip()
        else:
            raise ValueError(f"unknown field {part!r}")
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


def _chosen_options(found: _Fields, product: dict[str, Any]) -> dict[str, Any]:
    """``opt``/``with`` fields in the product's own spelling where it has such a value; what it lacks stays
    as said, for the agent to ask about (never swapped for a value the customer did not say)."""
    if not found.options and not found.addons:
        return {}
    options, addons = product_options(product), modifier_names(product.get("modifiers"))
    choice = choose(found.options, found.addons, options, addons)
    arguments = cart_arguments(choice)
    said_under = {value: name for name, value in found.options.items()}
    for missing in choice.unmatched:
        if missing.said in said_under:
            written = said_under[missing.said]
            name = missing.option or match_name(written, list(options)) or _title(written)
            shorthand = next((s for s, spellings in SHORTHANDS.items() if key(name) in spellings), None)
            if shorthand:
                arguments[shorthand] = missing.said
            else:
                arguments.setdefault("options", {})[name] = missing.said
        else:
            arguments.setdefault("modifiers", []).append(missing.said)
    return arguments


def _other_option(size: str | None, catalog: dict[str, list[str]]) -> str | None:
    """The one catalog option other than Size that has ``size`` as a value, when Size itself does not."""
    if not size or match_value(size, catalog.get("Size", [])) is not None:
        return None
    others = [name for name, values in catalog.items() if key(name) != "size" and match_value(size, values)]
    return others[0] if len(others) == 1 else None


def _catalog_spelling(said: dict[str, str], catalog: dict[str, list[str]]) -> dict[str, str]:
    """Search options in the catalog's spelling (``catalog``: option name -> values), else tidied as said."""
    spelled = {}
    for name, value in said.items():
        option = match_name(name, list(catalog))
        spelled[option or _title(name)] = (match_value(value, catalog[option]) if option else None) or value
    return spelled


# After-purchase verbs → their action, and the fields each line may carry.
_AFTER_PURCHASE = {
    "return": ("return_items", {"item", "qty", "refund"}),
    "exchange": ("exchange_items", {"item", "qty", "color", "size", "opt", "pay"}),
    "modify": ("modify_order_items", {"item", "qty", "color", "size", "opt"}),
    "address": ("change_order_address", {"to", "street", "city", "region", "zip", "country"}),
    "default": ("change_default_address", {"street", "city", "region", "zip", "country"}),
    "payment": ("change_order_payment", {"to"}),
    "refund": ("refund_status", set()),
    "cancel": ("cancel_order", {"reason"}),
}
_ORDER_FIELD = re.compile(r"^(item|qty|refund|color|size|opt|pay|to|reason|street|city|region|zip|country) (.+)$")
# A new address's fields in the line → the shop's address fields
_ADDRESS_FIELDS = {"street": "line1", "city": "city", "region": "region", "zip": "postal_code", "country": "country"}


def _after_purchase_payload(line: str) -> dict[str, Any]:
    """The payload of an after-purchase line: items by position or the customer's words, never by id."""
    head, *parts = [part.strip() for part in line.split(";")]
    verb, _, rest = head.partition(" ")
    action, allowed = _AFTER_PURCHASE[verb]
    payload: dict[str, Any] = {"action": action}
    if verb == "default":
        if rest:
            payload["address"] = rest
    elif rest:
        payload["order_id"] = rest
    items: list[dict[str, Any]] = []
    variant: dict[str, Any] = {}
    address: dict[str, str] = {}
    for part in parts:
        match = _ORDER_FIELD.match(part)
        if not match or match.group(1) not in allowed:
            raise ValueError(f"unknown field {part!r} for {verb}")
        name, value = match.group(1), match.group(2).strip()
        if name == "item":
            is_position = value.isdigit() and 1 <= int(value) <= 50  # an order has at most 50 lines
            items.append({"line": int(value)} if is_position else {"name": value})
        elif name == "qty":
            if not items or "quantity" in items[-1] or not value.isdigit() or int(value) < 1:
                raise ValueError(f"a quantity counts the item before it: {line!r}")
            items[-1]["quantity"] = int(value)
        elif name in _ADDRESS_FIELDS:
            address[_ADDRESS_FIELDS[name]] = _address_field(name, value)
        elif name == "color":
            variant["color"] = _title(value)
        elif name == "size":
            variant["size"] = _pick_variant(value, None, letter_sizes=True)
        elif name == "opt":
            option, equals, option_value = value.partition("=")
            if not equals or not option.strip() or not option_value.strip():
                raise ValueError(f"not an option: {part!r}")
            variant.setdefault("options", {})[_title(option.strip())] = option_value.strip()
        elif name == "refund":
            payload["refund_to"] = value
        elif name == "pay":
            payload["pay_with"] = value
        elif name == "to":
            payload["address" if verb == "address" else "method"] = value
        elif name == "reason":
            if value not in CANCEL_REASONS:
                raise ValueError(f"not a cancel reason: {value!r}")
            payload["reason"] = CANCEL_REASONS[value]
    if address:
        if "address" in payload:
            raise ValueError(f"a saved address or a new one, not both: {line!r}")
        payload["address"] = address
    if (variant or verb == "modify") and not items:  # what a pending order's items become is per item
        raise ValueError(f"a new variant needs the item it is for: {line!r}")
    if items:
        payload["items"] = [{**item, **variant} for item in items]
    return payload


def _address_field(name: str, value: str) -> str:
    """A new address's field as a label would print it: "22 Baker Street", "NW1 6XE", "TX", "GB"."""
    if name in ("zip", "country") or (name == "region" and len(value) <= 3):
        return value.upper()
    return _title(value)


def decode(line: str, screen: Screen, utterance: str, texts: CannedTexts | None = None,
           catalog: dict[str, list[str]] | None = None) -> Action:
    """The validated action a compact line stands for; raises ``ValueError`` saying what is wrong.

    ``catalog`` (option name -> values of the whole catalog) spells search options the catalog's way."""
    texts = texts or default_texts()
    line = " ".join(line.strip().split())
    verb, _, rest = line.partition(" ")
    payload: dict[str, Any]
    if line.split(";")[0].split(" ")[0] in _AFTER_PURCHASE:
        payload = _after_purchase_payload(line)
    elif verb == "search":
        query, *parts = rest.split(";")
        found = _fields(parts)
        fields = found.single
        payload = {"action": "search_products", "query": query.strip()}
        for key_, name in (("brand", "brand"), ("color", "color"), ("size", "size")):
            if key_ in fields:
                payload[name] = _title(fields[key_]) if key_ != "size" else _pick_variant(fields[key_], None, True)
        size_option = _other_option(payload.get("size"), catalog or {})
        if size_option:  # "size 256 gig" where the catalog's sizes have no such value but its Storage does
            del payload["size"]
            found.options = {size_option: fields["size"], **found.options}
        if found.options:
            payload["options"] = _catalog_spelling(found.options, catalog or {})
        for key_, name in (("min", "min_price"), ("max", "max_price"), ("sort", "sort"), ("n", "limit")):
            if key_ in fields:
                payload[name] = fields[key_] if key_ == "sort" else _number(fields[key_])
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
        found = _fields(parts)
        fields = found.single
        source = _variant_source(ref, screen)
        payload = {"action": "add_to_cart", "product_id": _product_id(ref, screen)}
        if "qty" in fields:
            payload["quantity"] = int(fields["qty"])
        if product_options(source).keys() - {"Color", "Size"} or source.get("modifiers"):
            # a product with options beyond colour and size: the shorthands are two of its options
            found.options = {**{k: fields[k] for k in ("color", "size") if k in fields}, **found.options}
        else:
            if "color" in fields:
                payload["color"] = _pick_variant(fields["color"], source.get("colors"))
            if "size" in fields:
                payload["size"] = _pick_variant(fields["size"], source.get("sizes"), letter_sizes=True)
        payload.update(_chosen_options(found, source))
    elif verb == "setqty":
        ref, _, quantity = rest.partition(" ")
        payload = {"action": "update_cart_item", "product_id": _product_id(ref, screen), "quantity": int(quantity)}
    elif verb == "remove":
        payload = {"action": "remove_from_cart", "product_id": _product_id(rest, screen)}
    elif verb in ("cart", "checkout", "orders") and not rest:
        payload = {"action": {"cart": "view_cart", "checkout": "checkout", "orders": "list_orders"}[verb]}
    elif verb == "status":
        payload = {"action": "order_status", **({"order_id": rest} if rest else {})}
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
