"""Catalog search: spoken-style text plus filters, ranked lexically.

On SQLite the text part runs on an FTS5 index (``products_fts``, porter stemming) ranked with ``bm25()``;
triggers on ``products`` keep it in sync. Other databases fall back to case-insensitive ``LIKE`` matching
with a weighted hit count as the score. :func:`lexical_search` is the whole lexical path so a hybrid
ranker can call it as one of its inputs.

Text typed or transcribed from speech is noisy ("show me some running shoes under 100"), so
:func:`parse_spoken_query` drops filler words, turns "under 100" into a price cap and singularises words.
The words are matched all together first ("running shoes" finds running shoes, not every running T-shirt);
only when that leaves too few products (:data:`ALL_WORDS_ENOUGH`) does any word count (OR), so a misheard
word ("snickers running shoes") still finds something. All-words matching is also what keeps a query on a
large catalog fast: it ranks hundreds of rows where OR ranks tens of thousands.
"""

from __future__ import annotations

import enum
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import (
    CTE,
    ColumnElement,
    Engine,
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session
from text_to_num import alpha2digit

from shop.models import Product

if TYPE_CHECKING:  # the dense side pulls in chromadb/onnxruntime: imported only when a dense index is used
    from shop.search.dense import DenseIndex

FTS_TABLE = "products_fts"
# bm25 column weights, in the index's column order: a hit in the name or category says more than one
# somewhere in a long description.
FTS_COLUMNS = ("name", "brand", "category", "description")
FTS_WEIGHTS = (8.0, 4.0, 6.0, 1.0)
MAX_TERMS = 12  # a rambling utterance should not become a 40-way OR
# With this many products matching every word, those are the results; with fewer, any word counts. A fixed
# number, not the page size, so that every page of one search agrees on what matched. Chosen with
# bench.retrieval_quality (1, 3, 5, 10: lexical nDCG@10 0.727, 0.746, 0.760, 0.765; hybrid 0.850-0.853).
ALL_WORDS_ENOUGH = 10


class SortOrder(str, enum.Enum):
    relevance = "relevance"
    price_asc = "price_asc"
    price_desc = "price_desc"
    rating = "rating"


@dataclass(frozen=True)
class SearchParams:
    """One catalog query. ``in_stock=True`` keeps only products in stock; False or None filter nothing."""

    q: str | None = None
    category: str | None = None
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool | None = None
    sort: SortOrder = SortOrder.relevance
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class ParsedQuery:
    """What is left of a spoken query once filler is gone: search words and any price bounds it named."""

    terms: tuple[str, ...]
    min_price: float | None = None
    max_price: float | None = None


SearchHit = tuple[Product, str | None]  # the product and why it matched (None without search words)

# --- spoken query parsing ------------------------------------------------------------------------------

_NUMBER = r"\$?\s*(\d+(?:\.\d+)?)\s*(?:dollars?|bucks|usd|euros?)?"
_BETWEEN = re.compile(rf"\bbetween\s+{_NUMBER}\s+(?:and|to)\s+{_NUMBER}")
_RANGE = re.compile(rf"\$\s*(\d+(?:\.\d+)?)\s*(?:-|to)\s*{_NUMBER}")
_MAX = re.compile(rf"\b(?:under|below|less than|cheaper than|no more than|not more than|at most|up to|max(?:imum)?)"
                  rf"\s+{_NUMBER}")
_MIN = re.compile(rf"\b(?:over|above|more than|at least|from|min(?:imum)?)\s+{_NUMBER}")
_BARE_PRICE = re.compile(r"\$\s*\d+(?:\.\d+)?|\b\d+(?:\.\d+)?\s*(?:dollars?|bucks|usd|euros?)\b")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

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


def _singular(word: str) -> str:
    """Naive plural stripping ("shoes" -> "shoe", "batteries" -> "battery"); the index stems properly."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def parse_spoken_query(text_query: str) -> ParsedQuery:
    """Lowercase, pull out price bounds ("under 100", "between 20 and 50"), drop filler, singularise."""
    lowered = text_query.lower().replace("’", "'")
    min_price = max_price = None
    if found := _BETWEEN.search(lowered) or _RANGE.search(lowered):
        low, high = sorted((float(found.group(1)), float(found.group(2))))
        min_price, max_price = low, high
        lowered = lowered.replace(found.group(0), " ")
    if found := _MAX.search(lowered):
        max_price = float(found.group(1))
        lowered = lowered.replace(found.group(0), " ")
    if found := _MIN.search(lowered):
        min_price = float(found.group(1))
        lowered = lowered.replace(found.group(0), " ")
    lowered = _BARE_PRICE.sub(" ", lowered)  # "50 dollars" with no bound word: not a search word either

    terms: list[str] = []
    for word in _WORD.findall(lowered):
        word = word.removesuffix("'s").replace("'", "")
        if word in STOP_WORDS or len(word) < 2:
            continue
        word = _singular(word)
        if word not in terms:
            terms.append(word)
    return ParsedQuery(tuple(terms[:MAX_TERMS]), min_price, max_price)


def fts_match_expressions(terms: tuple[str, ...]) -> list[str]:
    """FTS5 MATCH strings to try in order: every word (AND), then any word (OR) when there are several.

    Words of 3+ letters become prefix queries ("shoe"*). Terms come from :func:`parse_spoken_query` and
    hold only ``[a-z0-9]``, so quoting them is enough.
    """
    quoted = [f'"{term}"*' if len(term) >= 3 and term.isalpha() else f'"{term}"' for term in terms]
    return [" ".join(quoted), " OR ".join(quoted)] if len(quoted) > 1 else quoted


# --- the FTS5 index --------------------------------------------------------------------------------------

def _is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


_COLUMN_LIST = ", ".join(FTS_COLUMNS)
_NEW_VALUES = ", ".join(f"new.{column}" for column in FTS_COLUMNS)
_OLD_VALUES = ", ".join(f"old.{column}" for column in FTS_COLUMNS)
# An external-content table: the index stores no second copy of the text, it points at products.rowid.
_CREATE_STATEMENTS = (
    (f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_COLUMN_LIST}, content='products', "
     f"content_rowid='rowid', tokenize='porter unicode61')"),
    (f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON products BEGIN "
     f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMN_LIST}) VALUES (new.rowid, {_NEW_VALUES}); END"),
    (f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON products BEGIN "
     f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMN_LIST}) VALUES ('delete', old.rowid, {_OLD_VALUES}); END"),
    # Only text changes touch the index: a checkout's stock update must not rewrite it.
    (f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF {_COLUMN_LIST} ON products BEGIN "
     f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMN_LIST}) VALUES ('delete', old.rowid, {_OLD_VALUES}); "
     f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMN_LIST}) VALUES (new.rowid, {_NEW_VALUES}); END"),
)


def ensure_search_index(engine: Engine, rebuild: bool = False) -> None:
    """Create the FTS5 index and its sync triggers if missing, filling a new index from ``products``.

    Call at app start and after seeding. ``rebuild=True`` re-reads every product: needed only if rows
    changed behind the triggers' back (e.g. a ``VACUUM``, which may renumber the rowids the index uses).
    A no-op on databases other than SQLite.
    """
    if not _is_sqlite(engine):
        return
    with engine.begin() as connection:
        existed = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": FTS_TABLE}
        ).first() is not None
        for statement in _CREATE_STATEMENTS:
            connection.execute(text(statement))
        if rebuild or not existed:
            connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))


def drop_search_index(engine: Engine) -> None:
    """Remove the index and its triggers (before a bulk load, or before dropping ``products``)."""
    if not _is_sqlite(engine):
        return
    with engine.begin() as connection:
        for suffix in ("ai", "ad", "au"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}"))
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


# --- filters ---------------------------------------------------------------------------------------------

def _list_contains(session: Session, column: ColumnElement, value: str) -> ColumnElement[bool]:
    """Case-insensitive "JSON list ``column`` has ``value``"."""
    if _is_sqlite(session):
        element = func.json_each(column).table_valued("value")
        return exists().select_from(element).where(func.lower(element.c.value) == value.lower())
    # Portable fallback: the serialised list contains the quoted value ('["Black", "Navy"]').
    return func.lower(cast(column, Text)).contains(f'"{value.lower()}"', autoescape=True)


def _comparable_name(value: str) -> str:
    """"running shoe", "Running-Shoes" and "RUNNING SHOES" compare equal; so do "t shirt" and "T-Shirts"."""
    return "".join(_singular(word) for word in re.findall(r"[a-z0-9]+", value.lower()))


def _distinct_values(session: Session, column: ColumnElement) -> list[str]:
    """Every distinct value of an indexed ``products`` column, hopping through its index value by value.

    One index seek per value (22 categories) where ``SELECT DISTINCT`` reads the whole index (~150 ms at a
    million products). ``column`` is one of ours, never user input.
    """
    name = column.key
    return list(session.execute(text(
        f"WITH RECURSIVE hop(value) AS (SELECT min({name}) FROM products UNION ALL "
        f"SELECT (SELECT min({name}) FROM products WHERE {name} > hop.value) FROM hop WHERE hop.value IS NOT NULL) "
        f"SELECT value FROM hop WHERE value IS NOT NULL"
    )).scalars())


def _canonical(session: Session, column: ColumnElement, value: str) -> str | None:
    """The stored spelling of a category or brand ("running shoe" -> "Running Shoes"), or None if unknown.

    Resolved once per query so the filter itself is a plain equality that can use the column's index.
    """
    wanted = _comparable_name(value)
    return next((stored for stored in _distinct_values(session, column) if _comparable_name(stored) == wanted), None)


def key_filters(session: Session, params: SearchParams) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
    """Category and brand: equalities on indexed columns, the filters that narrow a search the most.

    A category the shop lacks ("shoes") is not an error for a voice user: its words come back as extra
    search words instead.
    """
    conditions: list[ColumnElement[bool]] = []
    extra_terms: tuple[str, ...] = ()
    if params.category:
        category = _canonical(session, Product.category, params.category)
        if category is not None:
            conditions.append(Product.category == category)
        else:
            extra_terms = parse_spoken_query(params.category).terms
            if not extra_terms:
                conditions.append(false())
    if params.brand:
        brand = _canonical(session, Product.brand, params.brand)
        conditions.append(Product.brand == brand if brand is not None else false())
    return conditions, extra_terms


def row_filters(session: Session, params: SearchParams) -> list[ColumnElement[bool]]:
    """Color, size, price and stock: conditions checked row by row."""
    conditions: list[ColumnElement[bool]] = []
    if params.color:
        conditions.append(_list_contains(session, Product.colors, params.color.strip()))
    if params.size:
        conditions.append(_list_contains(session, Product.sizes, params.size.strip()))
    if params.min_price is not None:
        conditions.append(Product.price >= params.min_price)
    if params.max_price is not None:
        conditions.append(Product.price <= params.max_price)
    if params.in_stock:
        conditions.append(Product.stock > 0)
    return conditions


def product_filters(session: Session, params: SearchParams) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
    """SQL conditions for all structured filters, plus search words standing in for an unknown category."""
    keys, extra_terms = key_filters(session, params)
    return keys + row_filters(session, params), extra_terms


# --- ranking and explanation -----------------------------------------------------------------------------

_ORDERINGS = {
    SortOrder.price_asc: (Product.price.asc(), Product.rating.desc()),
    SortOrder.price_desc: (Product.price.desc(), Product.rating.desc()),
    SortOrder.rating: (Product.rating.desc(), Product.review_count.desc()),
}


def _words_overlap(term: str, word: str) -> bool:
    """Same word up to an ending: what the stemmed prefix query treats as a hit ("running" ~ "run")."""
    return word.startswith(term) or (len(word) >= 3 and term.startswith(word))


def explain_match(product: Product, terms: tuple[str, ...]) -> str:
    """A short "why it matched" line: which search words hit which fields."""
    hit_terms: list[str] = []
    hit_fields: list[str] = []
    for field_name in FTS_COLUMNS:
        words = _WORD.findall(str(getattr(product, field_name)).lower())
        field_terms = [term for term in terms if any(_words_overlap(term, word) for word in words)]
        if field_terms:
            hit_fields.append(field_name)
            hit_terms.extend(term for term in field_terms if term not in hit_terms)
    if not hit_terms:
        return "related words in the description"
    return f"{', '.join(hit_fields)} match '{' '.join(hit_terms)}'"


def _fts_matches(match: str, conditions: list[ColumnElement[bool]], scored: bool) -> Select:
    """rowids (and bm25 scores, lower is better) of the products whose text matches and that pass the filters.

    The filters enter as one list of allowed rowids written ``+rowid IN (...)``: the ``+`` keeps SQLite from
    probing the FTS index once per filtered product instead (minutes at a million products), and bm25,
    the expensive part, is computed only for rows that pass.
    """
    columns = [literal_column(f"{FTS_TABLE}.rowid").label("rid")]
    if scored:
        weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
        columns.append(literal_column(f"bm25({FTS_TABLE}, {weights})").label("score"))
    statement = (select(*columns).select_from(table(FTS_TABLE))
                 .where(text(f"{FTS_TABLE} MATCH :match").bindparams(match=match)))
    if conditions:
        allowed = select(literal_column("products.rowid")).select_from(Product).where(*conditions)
        statement = statement.where(literal_column(f"+{FTS_TABLE}.rowid").in_(allowed))
    return statement


def _matched_products(match: str, keys: list[ColumnElement[bool]], rows: list[ColumnElement[bool]],
                      scored: bool, best: int | None = None) -> tuple[Select, CTE]:
    """Products whose text matches and that pass every filter, plus the (rid, score) CTE to order by.

    The CTE is materialised so the text match runs once and products are then looked up by rowid, never
    the other way round (SQLite would otherwise probe the FTS index once per filtered product). With
    ``best`` (and scores) only the matches scoring at least as well as the ``best``-th one that passes the
    filters are joined in full, ties included so that pages stay consistent: at 100k products an
    any-word match can be 20k rows, and sorting them as whole product rows was most of a query's time.
    """
    matches = _fts_matches(match, keys, scored).cte("matches").prefix_with("MATERIALIZED")
    if best and scored:  # best=0 would ask for the 0th match
        if rows:
            matches = (select(matches.c.rid, matches.c.score)
                       .join(Product, literal_column("products.rowid") == matches.c.rid).where(*rows)
                       .cte("passing").prefix_with("MATERIALIZED"))
        cutoff = select(matches.c.score).order_by(matches.c.score).offset(best - 1).limit(1).scalar_subquery()
        matches = (select(matches.c.rid, matches.c.score).where(or_(cutoff.is_(None), matches.c.score <= cutoff))
                   .cte("best").prefix_with("MATERIALIZED"))
    statement = select(Product).join(matches, literal_column("products.rowid") == matches.c.rid).where(*rows)
    return statement, matches


def _like_score(terms: tuple[str, ...]) -> ColumnElement[float]:
    """Weighted count of (term, field) hits; the non-SQLite stand-in for bm25 (higher is better)."""
    columns = (Product.name, Product.brand, Product.category, Product.description)
    hits = [
        case((column.ilike(f"%{term}%"), weight), else_=0.0)  # terms are [a-z0-9] only: no LIKE escapes needed
        for term in terms
        for column, weight in zip(columns, FTS_WEIGHTS, strict=True)
    ]
    return sum(hits[1:], hits[0])


def lexical_search(session: Session, params: SearchParams, use_fts: bool | None = None,
                   explain: bool = True) -> tuple[int, list[SearchHit]]:
    """Filter and rank products lexically; ``use_fts`` defaults to "database is SQLite".

    Returns the number of matching products and the requested page with a match explanation each
    (``explain=False`` leaves them None: the hybrid ranker explains only the page it shows). With
    :data:`ALL_WORDS_ENOUGH` or more products matching every word, only those match; otherwise any word counts.
    """
    if use_fts is None:
        use_fts = _is_sqlite(session)
    parsed = parse_spoken_query(params.q or "")
    # A price the speaker said ("under 100") applies unless the caller set that bound explicitly.
    params = replace(
        params,
        min_price=params.min_price if params.min_price is not None else parsed.min_price,
        max_price=params.max_price if params.max_price is not None else parsed.max_price,
    )
    keys, extra_terms = key_filters(session, params)
    rows = row_filters(session, params)
    conditions = keys + rows
    terms = tuple(dict.fromkeys(parsed.terms + extra_terms))[:MAX_TERMS]

    if terms and use_fts:
        total, page = _fts_search(session, params, terms, keys, rows)
    else:
        if not terms:
            statement = select(Product).where(and_(*conditions))
            ordering = _ORDERINGS.get(params.sort, (Product.rating.desc(), Product.review_count.desc()))
        else:  # not SQLite: any word counts, ranked by weighted hits
            score = _like_score(terms)
            statement = select(Product).where(score > 0, *conditions)
            ordering = _ORDERINGS.get(params.sort, (score.desc(), Product.rating.desc()))
        total = _count(session, statement)
        page = _page(session, statement, ordering, params)
    return total, [(product, explain_match(product, terms) if terms and explain else None) for product in page]


def _count(session: Session, statement: Select) -> int:
    return session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()


def _page(session: Session, statement: Select, ordering: tuple, params: SearchParams) -> list[Product]:
    return list(session.execute(
        statement.order_by(*ordering, Product.id).offset(params.offset).limit(params.limit)
    ).scalars())


def _fts_search(session: Session, params: SearchParams, terms: tuple[str, ...], keys: list[ColumnElement[bool]],
                rows: list[ColumnElement[bool]]) -> tuple[int, list[Product]]:
    """The FTS5 path of :func:`lexical_search`: all words first, any word if too few products have them all.

    Category/brand narrow the text match itself (see :func:`_fts_matches`); the row filters are checked on
    the joined rows, where a loose one ("under 100") costs a lookup per match rather than a list of half
    the catalog. Counting needs no scores.
    """
    by_relevance = params.sort is SortOrder.relevance
    total, page = 0, []
    for match in fts_match_expressions(terms):
        statement, matches = _matched_products(match, keys, rows, scored=by_relevance,
                                               best=params.offset + params.limit)
        counted = _matched_products(match, keys, rows, scored=False)[0] if rows else _fts_matches(
            match, keys, scored=False)
        total = _count(session, counted)
        if total >= ALL_WORDS_ENOUGH:
            break
    if total:
        ordering = (matches.c.score.asc(), Product.rating.desc()) if by_relevance else _ORDERINGS[params.sort]
        page = _page(session, statement, ordering, params)
    return total, page


def search_products(session: Session, params: SearchParams) -> tuple[int, list[SearchHit]]:
    """The shop's product search: spoken numbers/sizes understood, then hybrid when a dense index is set up.

    Without a dense index (:func:`use_dense_index` not called) it is the lexical search alone.
    """
    params = apply_spoken_filters(params)
    index = _dense_index
    if index is None:
        return lexical_search(session, params)
    return hybrid_search(session, params, index)


# --- spoken filters: numbers said as words, sizes, "in stock" ------------------------------------------

_SIZE_WORDS = {"extra small": "XS", "small": "S", "medium": "M", "large": "L", "extra large": "XL",
               "double extra large": "XXL", "xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "xxl": "XXL"}
_SIZE = re.compile(r"\bin (?:a )?size\s+(?P<a>[^ ]+(?: large| small)?)|\bsize\s+(?P<b>double extra large|extra large|"
                   r"extra small|\d+(?:\.\d+)?|xx?[sl]|small|medium|large|[sml])\b")
_HALF = re.compile(r"\b(\d+) and a half\b")
_ARTICLE_BEFORE_NUMBER = re.compile(r"\b(?:a|an)\s+(?=\d)")  # "under a 100" (from "under a hundred")
_IN_STOCK = re.compile(r"\b(?:in stock|available (?:now|today)|ready to ship)\b")


@dataclass(frozen=True)
class SpokenFilters:
    """Filters said inside a query ("under fifty bucks", "size ten", "in stock")."""

    min_price: float | None = None
    max_price: float | None = None
    size: str | None = None
    in_stock: bool | None = None


def normalize_spoken_numbers(text_query: str) -> str:
    """Numbers said as words become digits: "under a hundred and twenty bucks" -> "under 120 bucks".

    text2num does the parsing (it leaves lone "one"/"a" alone, so "one of those" stays words).
    """
    text_query = alpha2digit(text_query.lower().replace("’", "'"), "en")
    text_query = _HALF.sub(lambda m: f"{m.group(1)}.5", text_query)
    return _ARTICLE_BEFORE_NUMBER.sub("", text_query)


def parse_spoken_filters(text_query: str) -> tuple[str, SpokenFilters]:
    """Split a spoken query into what to search for and the filters it names.

    ``parse_spoken_filters("womens running shoes in size eight under a hundred bucks")`` returns
    ``("womens running shoes", SpokenFilters(max_price=100.0, size="8"))``. The clean query keeps the
    speaker's own words (good for the dense side); the lexical side drops filler itself.
    """
    text_query = normalize_spoken_numbers(text_query)
    size = None
    if found := _SIZE.search(text_query):
        said = (found.group("a") or found.group("b")).strip()
        size = _SIZE_WORDS.get(said, said.upper() if said.isalpha() else said)
        text_query = text_query.replace(found.group(0), " ")
    in_stock = True if _IN_STOCK.search(text_query) else None
    text_query = _IN_STOCK.sub(" ", text_query)
    prices = parse_spoken_query(text_query)
    for pattern in (_BETWEEN, _RANGE, _MAX, _MIN, _BARE_PRICE):
        text_query = pattern.sub(" ", text_query)
    clean = " ".join(text_query.split())
    return clean, SpokenFilters(prices.min_price, prices.max_price, size, in_stock)


def apply_spoken_filters(params: SearchParams) -> SearchParams:
    """``params`` with the query's spoken filters applied; filters the caller set explicitly win."""
    if not params.q:
        return params
    clean, spoken = parse_spoken_filters(params.q)
    return replace(
        params,
        q=clean,
        min_price=params.min_price if params.min_price is not None else spoken.min_price,
        max_price=params.max_price if params.max_price is not None else spoken.max_price,
        size=params.size or spoken.size,
        in_stock=params.in_stock if params.in_stock is not None else spoken.in_stock,
    )


# --- hybrid: lexical + dense vectors, fused by reciprocal rank ------------------------------------------

# Fusion settings chosen on the dev half of bench/data/catalog_queries.yaml (python -m bench.retrieval_quality;
# grid k in {10, 30, 60} x dense weight in {1, 1.5, 2} x depth in {30, 100}): dense counts double because
# lexical OR-matching of spoken filler ("train" in "music on the train") adds noise that vectors do not.
RRF_K = 30  # rank r (from 1) of a ranker adds weight / (RRF_K + r)
DENSE_WEIGHT = 2.0
FUSION_DEPTH = 100  # how many candidates each ranker contributes
DENSE_OVERSAMPLE = 5  # with filters set, fetch 5x the neighbours (an unfiltered top-500 costs ~3 ms at 100k)
# Below this a vector neighbour is noise, not a match (unrelated text scores ~0.1-0.25). On the dev split
# 0.2 and 0.3 tied; the higher one keeps weak neighbours ("copy maker" -> a laptop at 0.25) out of small catalogs.
DENSE_MIN_SIMILARITY = 0.3

_dense_index: DenseIndex | None = None
_DENSE_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dense-search")


def use_dense_index(index: DenseIndex | None) -> None:
    """Make :func:`search_products` hybrid with ``index`` (call at start-up after ``index.sync``); None: lexical."""
    global _dense_index
    _dense_index = index


def _dense_query(session: Session, params: SearchParams, depth: int) -> tuple[str, int, list[ColumnElement[bool]]]:
    """What to ask the vector index (text, neighbour count) and the SQL filters its neighbours must pass.

    The filters run in SQL on the neighbours (Chroma's own metadata filters scan the whole collection);
    with filters set, more neighbours are fetched so that enough survive.
    """
    query_text = params.q or ""
    if params.category and _canonical(session, Product.category, params.category) is None:
        query_text = f"{query_text} {params.category}"  # an unknown category is words to search for, as in lexical
    conditions, _ = product_filters(session, params)
    return query_text, depth * DENSE_OVERSAMPLE if conditions else depth, conditions


def _passing(session: Session, neighbours: list[tuple[str, float]], conditions: list[ColumnElement[bool]],
             depth: int) -> list[tuple[str, float]]:
    """The similar-enough neighbours that pass every filter, most similar first."""
    neighbours = [(pid, sim) for pid, sim in neighbours if sim >= DENSE_MIN_SIMILARITY]
    if not neighbours or not conditions:
        return neighbours[:depth]
    passing = set(session.execute(
        select(Product.id).where(Product.id.in_([pid for pid, _ in neighbours]), *conditions)
    ).scalars())
    return [(pid, sim) for pid, sim in neighbours if pid in passing][:depth]


def _dense_candidates(session: Session, params: SearchParams, index: DenseIndex, depth: int) -> list[tuple[str, float]]:
    """(product id, similarity) of the query's dense neighbours that pass every filter, most similar first."""
    query_text, fetch, conditions = _dense_query(session, params, depth)
    return _passing(session, index.search(query_text, fetch), conditions, depth)


def _load(session: Session, ids: list[str]) -> dict[str, Product]:
    return {p.id: p for p in session.execute(select(Product).where(Product.id.in_(ids))).scalars()} if ids else {}


def dense_search(session: Session, params: SearchParams, index: DenseIndex) -> tuple[int, list[SearchHit]]:
    """Vector search alone, with the same filters (for comparison in the retrieval benchmark)."""
    if not parse_spoken_query(params.q or "").terms:
        return lexical_search(session, params)
    ranked = _dense_candidates(session, params, index, max(FUSION_DEPTH, params.offset + params.limit))
    page = ranked[params.offset : params.offset + params.limit]
    products = _load(session, [pid for pid, _ in page])
    return len(ranked), [(products[pid], f"similar in meaning ({sim:.2f})") for pid, sim in page if pid in products]


def hybrid_search(session: Session, params: SearchParams, index: DenseIndex) -> tuple[int, list[SearchHit]]:
    """Lexical (BM25) and dense rankings fused by reciprocal rank; each hit says why it matched.

    Words that match exactly and words that only mean the same ("earbuds" for "headphones", a misheard
    "snickers") both count; a product found by both rankers rises to the top. ``total`` counts the
    lexical matches plus the dense-only ones among the top :data:`FUSION_DEPTH`. Sorting by price or
    rating sorts the fused candidates; a query with no search words is a plain filtered listing.
    """
    terms = parse_spoken_query(params.q or "").terms
    if not terms:
        return lexical_search(session, params)
    depth = max(FUSION_DEPTH, params.offset + params.limit)
    # The query embedding and vector lookup run on a worker thread while SQLite ranks lexically here (both
    # release the GIL): one search costs the slower of the two instead of their sum.
    query_text, fetch, conditions = _dense_query(session, params, depth)
    neighbours = _DENSE_WORKERS.submit(index.search, query_text, fetch)
    lexical_total, lexical = lexical_search(
        session, replace(params, sort=SortOrder.relevance, limit=depth, offset=0), explain=False
    )
    dense = _passing(session, neighbours.result(), conditions, depth)

    scores: dict[str, float] = {}
    for rank, (product, _) in enumerate(lexical):
        scores[product.id] = 1.0 / (RRF_K + rank + 1)
    similarity = dict(dense)
    for rank, (pid, _) in enumerate(dense):
        scores[pid] = scores.get(pid, 0.0) + DENSE_WEIGHT / (RRF_K + rank + 1)

    products = {product.id: product for product, _ in lexical}
    ordered = sorted(scores, key=lambda pid: scores[pid], reverse=True)  # stable: ties keep lexical order
    if params.sort is not SortOrder.relevance:
        products.update(_load(session, [pid for pid in ordered if pid not in products]))
        key, descending = {SortOrder.price_asc: (lambda p: p.price, False),
                           SortOrder.price_desc: (lambda p: p.price, True),
                           SortOrder.rating: (lambda p: p.rating, True)}[params.sort]
        ordered.sort(key=lambda pid: key(products[pid]), reverse=descending)
    page = ordered[params.offset : params.offset + params.limit]
    products.update(_load(session, [pid for pid in page if pid not in products]))

    lexical_ids = {product.id for product, _ in lexical}
    total = lexical_total + sum(1 for pid, _ in dense if pid not in lexical_ids)
    hits: list[SearchHit] = []
    for pid in page:
        if pid not in products:
            continue  # deleted since the ranking was made
        reasons = []
        if pid in lexical_ids:
            reasons.append(explain_match(products[pid], terms))
        if pid in similarity:
            reasons.append(f"similar in meaning ({similarity[pid]:.2f})")
        hits.append((products[pid], "; ".join(reasons)))
    return total, hits
