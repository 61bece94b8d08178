"""A catalog request understood once: :func:`parse_query` turns what was said or typed into a :class:`ParsedQuery`.

Text typed or transcribed from speech is noisy ("show me some running shoes in size ten under a hundred
bucks"). Numbers said as words become digits first (text2num); then the filters the speaker named are
taken out of the text (a size, "in stock", price bounds such as "under 100" or "between 20 and 50"), and
what is left is kept twice: as :attr:`ParsedQuery.text`, the speaker's own words for the dense side, and
as :attr:`ParsedQuery.terms`, search words with filler dropped and plurals stripped for the lexical side.
A filter the caller set explicitly wins over one said in the text.

Everything downstream (lexical ranking, dense neighbours, the SQL filters, the recommender's query
filter, the shop API) reads this one object; nothing parses the text again.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from text_to_num import alpha2digit

MAX_TERMS = 12  # a rambling utterance should not become a 40-way OR


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

    @property
    def narrows(self) -> bool:
        """Whether the request names anything to look for: search words, or a filter other than stock."""
        return bool(self.terms) or any(value is not None for value in (
            self.category, self.brand, self.color, self.size, self.min_price, self.max_price))


def parse_query(q: str | None = None, *, category: str | None = None, brand: str | None = None,
                color: str | None = None, size: str | None = None, min_price: float | None = None,
                max_price: float | None = None, in_stock: bool | None = None,
                sort: SortOrder = SortOrder.relevance, limit: int = 10, offset: int = 0) -> ParsedQuery:
    """The request as one :class:`ParsedQuery`: ``q``'s spoken filters applied where the caller set none.

    ``parse_query("womens running shoes in size eight under a hundred bucks")`` has text
    ``"womens running shoes"``, terms ``("women", "running", "shoe")``, size ``"8"`` and max_price 100.
    """
    said = _SaidFilters()
    text = ""
    if q:
        text, said = _take_out_filters(normalize_spoken_numbers(q))
    return ParsedQuery(
        text=text,
        terms=search_words(text),
        category=category or None,
        category_terms=search_words(_without_prices(category.lower())) if category else (),
        brand=brand or None,
        color=color.strip() if color else None,
        size=size.strip() if size else said.size,
        min_price=min_price if min_price is not None else said.min_price,
        max_price=max_price if max_price is not None else said.max_price,
        in_stock=in_stock if in_stock is not None else said.in_stock,
        sort=sort,
        limit=limit,
        offset=offset,
    )


# --- numbers, sizes, stock and prices said inside the text ----------------------------------------------

_NUMBER = r"\$?\s*(\d+(?:\.\d+)?)\s*(?:dollars?|bucks|usd|euros?)?"
_BETWEEN = re.compile(rf"\bbetween\s+{_NUMBER}\s+(?:and|to)\s+{_NUMBER}")
_RANGE = re.compile(rf"\$\s*(\d+(?:\.\d+)?)\s*(?:-|to)\s*{_NUMBER}")
_MAX = re.compile(rf"\b(?:under|below|less than|cheaper than|no more than|not more than|at most|up to|max(?:imum)?)"
                  rf"\s+{_NUMBER}")
_MIN = re.compile(rf"\b(?:over|above|more than|at least|from|min(?:imum)?)\s+{_NUMBER}")
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
    clean = " ".join(_without_prices(text_query).split())
    return clean, _SaidFilters(min_price, max_price, size, in_stock)


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
