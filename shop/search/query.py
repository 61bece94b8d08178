"""A catalog request understood once: :func:`parse_query` turns what was said or typed into a :class:`ParsedQuery`.

Text typed or transcribed from speech is noisy ("show me some running shoes in size ten under a hundred
bucks"). Numbers said as words become digits first (text2num); then the filters the speaker named are
taken out of the text (a size, "in stock", price bounds such as "under 100" or "between 20 and 50"), then
what they ruled out ("without straw", "no glass beads", "sugar-free", "anything but black": exclusions,
never search words or filters), and what is left is kept twice: as :attr:`ParsedQuery.text`, the speaker's own words for the dense side, and
as :attr:`ParsedQuery.terms`, search words with filler dropped and plurals stripped for the lexical side.
A filter the caller set explicitly wins over one said in the text, unless the text rules it out (the
model wrote ``color="black"`` for "anything but black"): then it is dropped and only excluded.

``said`` is the customer's own words when the filters came from a model (the assistant's search tool
passes the turn's utterance): a brand, colour, size or category it set is kept only if the customer said
it (exactly, nearly or sounding alike, :func:`heard`); otherwise its words are searched for instead, and
what the customer ruled out in ``said`` is excluded even where the model left it out of ``q``.

Everything downstream (lexical ranking, dense neighbours, the SQL filters, the recommender's query
filter, the shop API) reads this one object; nothing parses the text again.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jellyfish
from rapidfuzz import fuzz
from text_to_num import alpha2digit

from prompts import ruled_out_cues

MAX_TERMS = 12  # a rambling utterance should not become a 40-way OR
MAX_EXCLUSIONS = 8


class SortOrder(str, enum.Enum):
    relevance = "relevance"
    price_asc = "price_asc"
    price_desc = "price_desc"
    rating = "rating"


@dataclass(frozen=True)
class ParsedQuery:
    """One catalog request: its words, its filters and the page wanted. Build it with :func:`parse_query`.

    ``in_stock=True`` keeps only products in stock; False or None filter nothing.
    """

    text: str = ""  # the speaker's words without the filters they said: what the dense side embeds
    terms: tuple[str, ...] = ()  # search words: no filler, singular, at most MAX_TERMS
    category: str | None = None  # as given; matched against the shop's own categories when searching
    category_terms: tuple[str, ...] = ()  # the category's words, searched for when the shop has no such category
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool | None = None
    sort: SortOrder = SortOrder.relevance
    limit: int = 10
    offset: int = 0
    exclude: tuple[str, ...] = ()  # what the customer ruled out, lowercase phrases ("glass beads", "black")
    # Filters given but not applied, as (filter, value, why): "not said" (grounding) or "ruled out" (negated)
    ignored: tuple[tuple[str, str, str], ...] = ()

    @property
    def narrows(self) -> bool:
        """Whether the request names anything to look for: search words, something ruled out, or a filter
        other than stock."""
        return bool(self.terms) or bool(self.exclude) or any(value is not None for value in (
            self.category, self.brand, self.color, self.size, self.min_price, self.max_price))


def parse_query(q: str | None = None, *, category: str | None = None, brand: str | None = None,
                color: str | None = None, size: str | None = None, min_price: float | None = None,
                max_price: float | None = None, in_stock: bool | None = None,
                sort: SortOrder = SortOrder.relevance, limit: int = 10, offset: int = 0,
                exclude: Sequence[str] = (), said: str | None = None) -> ParsedQuery:
    """The request as one :class:`ParsedQuery`: ``q``'s spoken filters applied where the caller set none.

    ``parse_query("womens running shoes in size eight under a hundred bucks")`` has text
    ``"womens running shoes"``, terms ``("women", "running", "shoe")``, size ``"8"`` and max_price 100;
    ``parse_query("water bottle without a straw")`` has text ``"water bottle"`` and exclude ``("straw",)``.
    """
    said_filters = _SaidFilters()
    text = ""
    if q:
        text, said_filters = _take_out_filters(normalize_spoken_numbers(q))
    ruled_out = [*said_filters.exclude, *(phrase for value in exclude if (phrase := _phrase(value)))]
    utterance = ""
    if said:
        utterance = normalize_spoken_numbers(said)
        ruled_out += _take_out_negations(utterance)[1]
    ruled_out = list(dict.fromkeys(ruled_out))[:MAX_EXCLUSIONS]

    given = {"category": category or None, "brand": brand or None, "color": color.strip() if color else None,
             "size": size.strip() if size else None}
    kept: dict[str, str | None] = {}
    ignored: list[tuple[str, str, str]] = []
    extra_words: list[str] = []
    for name, value in given.items():
        if value is None:
            kept[name] = None
        elif is_ruled_out(value, ruled_out):
            kept[name] = None
            ignored.append((name, value, "ruled out"))
        elif said is not None and not heard(value, utterance, size=name == "size"):
            kept[name] = None
            ignored.append((name, value, "not said"))
            extra_words.append(value.lower())
        else:
            kept[name] = value
    if extra_words:  # a filter the customer did not say is searched for as words, never dropped
        text = " ".join(dict.fromkeys([*text.split(), *" ".join(extra_words).split()]))
    category = kept["category"]
    return ParsedQuery(
        text=text,
        terms=search_words(text),
        category=category,
        category_terms=search_words(_without_prices(category.lower())) if category else (),
        brand=kept["brand"],
        color=kept["color"],
        size=kept["size"] or (said_filters.size if given["size"] is None else None),
        min_price=min_price if min_price is not None else said_filters.min_price,
        max_price=max_price if max_price is not None else said_filters.max_price,
        in_stock=in_stock if in_stock is not None else said_filters.in_stock,
        sort=sort,
        limit=limit,
        offset=offset,
        exclude=tuple(ruled_out),
        ignored=tuple(ignored),
    )


# --- numbers, sizes, stock and prices said inside the text ----------------------------------------------

_NUMBER = r"\$?\s*(\d+(?:\.\d+)?)\s*(?:dollars?|bucks|usd|euros?)?"
_BETWEEN = re.compile(rf"\bbetween\s+{_NUMBER}\s+(?:and|to)\s+{_NUMBER}")
_RANGE = re.compile(rf"\$\s*(\d+(?:\.\d+)?)\s*(?:-|to)\s*{_NUMBER}")
_MAX = re.compile(rf"\b(?:under|below|less than|cheaper than|no more than|not more than|at most|up to|max(?:imum)?)"
                  rf"\s+{_NUMBER}")
_MIN = re.compile(rf"\b(?:over|above|more than|no less than|not less than|at least|from|min(?:imum)?)\s+{_NUMBER}")
_BARE_PRICE = re.compile(r"\$\s*\d+(?:\.\d+)?|\b\d+(?:\.\d+)?\s*(?:dollars?|bucks|usd|euros?)\b")
_PRICE_PATTERNS = (_BETWEEN, _RANGE, _MAX, _MIN, _BARE_PRICE)

_SIZE_WORDS = {"extra small": "XS", "small": "S", "medium": "M", "large": "L", "extra large": "XL",
               "double extra large": "XXL", "xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "xxl": "XXL"}
_SIZE = re.compile(r"\bin (?:a )?size\s+(?P<a>[^ ]+(?: large| small)?)|\bsize\s+(?P<b>double extra large|extra large|"
                   r"extra small|\d+(?:\.\d+)?|xx?[sl]|small|medium|large|[sml])\b")
_HALF = re.compile(r"\b(\d+) and a half\b")
_ARTICLE_BEFORE_NUMBER = re.compile(r"\b(?:a|an)\s+(?=\d)")  # "under a 100" (from "under a hundred")
_IN_STOCK = re.compile(r"\b(?:in stock|available (?:now|today)|ready to ship)\b")


@dataclass(frozen=True)
class _SaidFilters:
    min_price: float | None = None
    max_price: float | None = None
    size: str | None = None
    in_stock: bool | None = None
    exclude: tuple[str, ...] = ()


def normalize_spoken_numbers(text_query: str) -> str:
    """Lowercase; numbers said as words become digits: "under a hundred and twenty bucks" -> "under 120 bucks".

    text2num does the parsing (it leaves lone "one"/"a" alone, so "one of those" stays words).
    """
    text_query = alpha2digit(text_query.lower().replace("’", "'"), "en")
    text_query = _HALF.sub(lambda m: f"{m.group(1)}.5", text_query)
    return _ARTICLE_BEFORE_NUMBER.sub("", text_query)


def _take_out_filters(text_query: str) -> tuple[str, _SaidFilters]:
    """The text without the size, stock and price phrases it holds, and the filters those phrases name."""
    size = None
    if found := _SIZE.search(text_query):
        said = (found.group("a") or found.group("b")).strip()
        size = _SIZE_WORDS.get(said, said.upper() if said.isalpha() else said)
        text_query = text_query.replace(found.group(0), " ")
    in_stock = True if _IN_STOCK.search(text_query) else None
    text_query = _IN_STOCK.sub(" ", text_query)
    min_price, max_price = _said_prices(text_query)
    clean, exclude = _take_out_negations(_without_prices(text_query))
    return clean, _SaidFilters(min_price, max_price, size, in_stock, exclude)


def _said_prices(text_query: str) -> tuple[float | None, float | None]:
    """Price bounds named in the text: a range first ("between 20 and 50", "$20-50"), then "under"/"over"."""
    min_price = max_price = None
    if found := _BETWEEN.search(text_query) or _RANGE.search(text_query):
        min_price, max_price = sorted((float(found.group(1)), float(found.group(2))))
        text_query = text_query.replace(found.group(0), " ")
    if found := _MAX.search(text_query):
        max_price = float(found.group(1))
        text_query = text_query.replace(found.group(0), " ")
    if found := _MIN.search(text_query):
        min_price = float(found.group(1))
    return min_price, max_price


def _without_prices(text_query: str) -> str:
    """The text with every price phrase gone ("50 dollars" with no bound word is not a search word either)."""
    for pattern in _PRICE_PATTERNS:
        text_query = pattern.sub(" ", text_query)
    return text_query


# --- what the customer ruled out ------------------------------------------------------------------------

_NEGATION_CUES = ruled_out_cues()  # prompts/ruled_out.yaml, shared with the model's search grammar
# "no-show socks" and "no-iron shirts" are products, not negations.
_NOT_NEGATED = re.compile(r"\bno[ -](?:show|iron|slip|spill|fuss|frills|brainer)\b")
# "sugar-free", "gluten free": what comes before "free" is ruled out, except where "-free" names a feature.
_FREE = re.compile(r"\b([a-z][a-z0-9]+)(?:-|\s)free\b")
_FEATURE_FREE = frozenset({"hands", "tangle", "hassle", "worry", "care", "stress", "wrinkle", "scratch", "maintenance",
                           "lint", "drip", "spill", "clog", "smudge", "streak", "squeak", "tool", "frizz", "duty",
                           "toll", "cord", "wire", "cruelty", "risk", "interest", "pain", "fuss", "for", "totally",
                           "shipping", "delivery", "return", "returns", "gift", "trial", "sample", "fee"})
_DETERMINERS = frozenset({"a", "an", "the", "any", "some", "more", "of"})
# Words that end what a negation covers: "without straw for kids" rules out only the straw.
_SCOPE_ENDS = frozenset({"and", "but", "with", "in", "for", "that", "which", "who", "please", "under", "over",
                         "from", "to", "by", "at", "size", "i", "we", "just", "only", "like", "because",
                         "so", "then", "thanks", "thank", "is", "are", "than"})
_SCOPE_JOINS = frozenset({"or", "nor"})  # "no straw or lid" rules out both
MAX_SCOPE_WORDS = 3
_MAY_RULE_OUT = re.compile(r"\b(?:" + "|".join(re.escape(cue.split()[0]) for cue in _NEGATION_CUES) + r"|free)\b")


def _phrase(value: str) -> str:
    """An exclusion's words, lowercase, without filler: " Glass-Beads " -> "glass beads"."""
    return " ".join(word for word in WORD.findall(value.lower().replace("-", " ")) if word not in _DETERMINERS)


def _take_out_negations(text_query: str) -> tuple[str, tuple[str, ...]]:
    """The text without what it rules out, and those ruled-out phrases in order.

    What a cue covers runs to the next comma or scope word, at most :data:`MAX_SCOPE_WORDS` words; a cue
    followed by filler ("no, I want red ones", "not one of those") rules nothing out. When nothing but the
    negation is left ("not leather shoes"), its last word is the thing wanted: only "leather" is ruled out.
    """
    if not _MAY_RULE_OUT.search(text_query):  # most requests: the text stays exactly as it was
        return " ".join(text_query.split()), ()
    protected = _NOT_NEGATED.sub(lambda m: m.group(0).replace(" ", "_").replace("-", "_"), text_query)
    tokens = re.findall(r"[a-z0-9][a-z0-9'_/.-]*|,", protected)
    excluded: list[list[str]] = []
    kept: list[str] = []
    index = 0
    while index < len(tokens):
        cue = _cue_length(tokens, index)
        if cue:
            phrases, end = _scope(tokens, index + cue)
            if phrases:
                excluded += phrases
                index = end
                continue
        kept.append(tokens[index])
        index += 1
    kept_text = " ".join(token for token in kept if token != ",").replace("_", " ")
    if excluded and not search_words(kept_text) and len(excluded[-1]) > 1:
        kept_text, excluded[-1] = excluded[-1][-1], excluded[-1][:-1]  # "not leather shoes": shoes are wanted

    def free_of(found: re.Match[str]) -> str:  # "sugar-free gum", "gluten free bread"
        if found.group(1) in _FEATURE_FREE or found.group(1) in STOP_WORDS:
            return found.group(0)
        excluded.append([found.group(1)])
        return " "

    kept_text = " ".join(_FREE.sub(free_of, kept_text).split())
    phrases = [phrase for phrase in (_phrase(" ".join(words)) for words in excluded) if phrase]
    return kept_text, tuple(dict.fromkeys(phrases))


def _cue_length(tokens: list[str], index: int) -> int:
    """How many tokens of a negation cue start at ``index`` (0: none)."""
    for cue in _NEGATION_CUES:
        words = cue.split()
        if tokens[index : index + len(words)] == words:
            return len(words)
    return 0


def _scope(tokens: list[str], start: int) -> tuple[list[list[str]], int]:
    """The phrases a cue covers from ``start`` ("straw or lid" -> [["straw"], ["lid"]]) and where they end."""
    phrases: list[list[str]] = []
    current: list[str] = []
    index = start
    while index < len(tokens):
        token = tokens[index]
        if token in _SCOPE_JOINS and current:
            phrases.append(current)
            current = []
        elif (token == "," or token in _SCOPE_ENDS or len(current) >= MAX_SCOPE_WORDS
              or _cue_length(tokens, index)):
            break
        elif not current and token in _DETERMINERS:
            pass
        elif not current and (token in STOP_WORDS or len(token) < 2):
            break  # "no, i want...", "not one of those": filler after the cue rules nothing out
        else:
            current.append(token)
        index += 1
    if current:
        phrases.append(current)
    elif phrases:  # a dangling "or"
        index -= 1
    return phrases, index


def is_ruled_out(value: str, exclude: Sequence[str]) -> bool:
    """Whether a filter value is something the customer ruled out: color "Black" after "anything but black"."""
    wanted = _phrase(value)
    return bool(wanted) and any(wanted == phrase or f" {phrase} " in f" {wanted} " for phrase in exclude)


# --- whether the customer said a filter value -------------------------------------------------------------

FUZZY_HEARD = 85  # RapidFuzz ratio (0-100) at which a phrase of the utterance counts as the value said
_SIZE_SAID = {value: word for word, value in _SIZE_WORDS.items() if " " in word or len(word) > 2}


def heard(value: str, utterance: str, *, size: bool = False) -> bool:
    """Whether ``value`` (a brand, colour, size or category) is in the customer's words ``utterance``.

    Exactly (up to case, spaces and plural endings), nearly (RapidFuzz ratio >= :data:`FUZZY_HEARD`, for a
    misheard "nikey") or sounding alike (Metaphone: "boom craft" for "Boomcraft"), comparing the value
    with every run of as many words (one more or fewer) of the utterance. A size "L" counts as said when
    "large" was; a number size when the number was.
    """
    words = [singular(word) for word in WORD.findall(utterance.lower().replace("-", " "))]
    wanted = [singular(word) for word in WORD.findall(value.lower().replace("-", " "))]
    if not words or not wanted:
        return False
    if size:
        spelled = _SIZE_SAID.get(value.upper())
        if spelled and f" {spelled} " in f" {' '.join(words)} ":
            return True
        if len(value) <= 2 or value.replace(".", "").isdigit():  # "m", "10": only the exact word counts
            return any(word == wanted[0] for word in words) if len(wanted) == 1 else False
    key = "".join(wanted)
    sound = jellyfish.metaphone(key)
    for length in {max(1, len(wanted) - 1), len(wanted), len(wanted) + 1}:
        for start in range(len(words) - length + 1):
            run = "".join(words[start : start + length])
            if run == key or (min(len(run), len(key)) >= 4 and (fuzz.ratio(run, key) >= FUZZY_HEARD
                                                                  or jellyfish.metaphone(run) == sound)):
                return True
    return False


# --- search words -----------------------------------------------------------------------------------------

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOP_WORDS = frozenset({
    "a", "an", "the", "some", "any", "me", "my", "mine", "i", "im", "i'm", "id", "i'd", "ive", "i've", "we", "us",
    "our", "you", "your", "yours", "please", "pls", "show", "find", "search", "look", "looking", "see", "get",
    "buy", "order", "want", "wanna", "need", "needs", "like", "would", "could", "can", "will", "shall", "should",
    "may", "might", "give", "tell", "let", "lets", "let's", "help", "got", "have", "has", "had", "do", "does",
    "did", "is", "are", "was", "were", "be", "been", "am", "it", "its", "it's", "that", "this", "these", "those",
    "there", "here", "what", "which", "who", "whose", "where", "when", "how", "much", "many", "for", "of", "to",
    "with", "without", "from", "by", "in", "on", "at", "into", "about", "around", "and", "or", "but", "so", "just",
    "really", "very", "maybe", "kind", "sort", "type", "types", "something", "anything", "thing", "things", "stuff",
    "item", "items", "product", "products", "one", "ones", "pair", "pairs", "good", "nice", "great", "best", "new",
    "cheap", "cheaper", "expensive", "price", "priced", "prices", "cost", "costs", "dollar", "dollars", "bucks",
    "under", "over", "below", "above", "than", "less", "more", "up", "hey", "hi", "hello", "okay", "ok", "um", "uh",
    "er", "hmm", "also", "too", "well", "all", "other", "another", "available", "shop", "store", "else", "again",
    "now", "today",
})


def singular(word: str) -> str:
    """Naive plural stripping ("shoes" -> "shoe", "batteries" -> "battery"); the index stems properly."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def search_words(text_query: str) -> tuple[str, ...]:
    """The words worth searching for in lowercase text: filler dropped, singular, each once, at most MAX_TERMS."""
    terms: list[str] = []
    for word in WORD.findall(text_query.replace("’", "'")):
        word = word.removesuffix("'s").replace("'", "")
        if word in STOP_WORDS or len(word) < 2:
            continue
        word = singular(word)
        if word not in terms:
            terms.append(word)
    return tuple(terms[:MAX_TERMS])
