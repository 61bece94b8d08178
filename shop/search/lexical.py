"""Lexical ranking: a query's search words matched against product text.

On SQLite the text part runs on an FTS5 index (``products_fts``, porter stemming) ranked with ``bm25()``;
triggers on ``products`` keep it in sync. Other databases fall back to case-insensitive ``LIKE`` matching
with a weighted hit count as the score. :func:`lexical_search` is the whole lexical path, so the hybrid
ranker can call it as one of its inputs.

The words are matched all together first ("running shoes" finds running shoes, not every running T-shirt);
only when that leaves too few products (:data:`ALL_WORDS_ENOUGH`) does any word count (OR), so a misheard
word ("snickers running shoes") still finds something. All-words matching is also what keeps a query on a
large catalog fast: it ranks hundreds of rows where OR ranks tens of thousands.
"""

from __future__ import annotations

from sqlalchemy import CTE, ColumnElement, Engine, Select, case, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session, lazyload

from shop.models import Product
from shop.search.filters import CatalogFilters, FilterSets, catalog_filters, is_sqlite
from shop.search.query import WORD, ParsedQuery, SortOrder

FTS_TABLE = "products_fts"
# bm25 column weights, in the index's column order: a hit in the name or category says more than one
# somewhere in a long description.
FTS_COLUMNS = ("name", "brand", "category", "description")
FTS_WEIGHTS = (8.0, 4.0, 6.0, 1.0)
# With this many products matching every word, those are the results; with fewer, any word counts. A fixed
# number, not the page size, so that every page of one search agrees on what matched. Chosen with
# bench.retrieval_quality (1, 3, 5, 10: lexical nDCG@10 0.727, 0.746, 0.760, 0.765; hybrid 0.850-0.853).
ALL_WORDS_ENOUGH = 10

SearchHit = tuple[Product, str | None]  # the product and why it matched (None without search words)


# --- the FTS5 index --------------------------------------------------------------------------------------

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
    if not is_sqlite(engine):
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
    if not is_sqlite(engine):
        return
    with engine.begin() as connection:
        for suffix in ("ai", "ad", "au"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}"))
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


def fts_match_expressions(terms: tuple[str, ...]) -> list[str]:
    """FTS5 MATCH strings to try in order: every word (AND), then any word (OR) when there are several.

    Words of 3+ letters become prefix queries ("shoe"*). Terms come from :func:`shop.search.query.search_words`
    and hold only ``[a-z0-9]``, so quoting them is enough.
    """
    quoted = [f'"{term}"*' if len(term) >= 3 and term.isalpha() else f'"{term}"' for term in terms]
    return [" ".join(quoted), " OR ".join(quoted)] if len(quoted) > 1 else quoted


# --- ranking and explanation -----------------------------------------------------------------------------

_ORDERINGS = {
    SortOrder.price_asc: (Product.price.asc(), Product.rating.desc()),
    SortOrder.price_desc: (Product.price.desc(), Product.rating.desc()),
    SortOrder.rating: (Product.rating.desc(), Product.review_count.desc()),
}


def lexical_search(session: Session, query: ParsedQuery, filters: CatalogFilters | None = None, *,
                   use_fts: bool | None = None, explain: bool = True, details: bool = True,
                   sets: FilterSets | None = None) -> tuple[int, list[SearchHit]]:
    """Filter and rank products lexically; ``use_fts`` defaults to "database is SQLite".

    Returns the number of matching products and the requested page with a match explanation each
    (``explain=False`` leaves them None: the hybrid ranker explains only the page it shows). With
    :data:`ALL_WORDS_ENOUGH` or more products matching every word, only those match; otherwise any word counts.
    ``filters`` are ``query``'s, when the caller has resolved them already; else they are resolved with
    ``sets`` (see :func:`shop.search.filters.catalog_filters`). ``details=False`` loads the
    products without their options, variants and modifiers: ranking candidates need only their columns, and
    loading the variants of 100 candidates was most of a hybrid search's time.
    """
    if use_fts is None:
        use_fts = is_sqlite(session)
    if filters is None:
        filters = catalog_filters(session, query, sets)
    terms = filters.terms(query)

    if terms and use_fts:
        total, page = _fts_search(session, query, terms, filters, details)
    else:
        if not terms:
            statement = select(Product).where(*filters.all)
            ordering = _ORDERINGS.get(query.sort, (Product.rating.desc(), Product.review_count.desc()))
        else:  # not SQLite: any word counts, ranked by weighted hits
            score = _like_score(terms)
            statement = select(Product).where(score > 0, *filters.all)
            ordering = _ORDERINGS.get(query.sort, (score.desc(), Product.rating.desc()))
        total = _count(session, statement)
        page = _page(session, statement, ordering, query, details)
    return total, [(product, explain_match(product, terms) if terms and explain else None) for product in page]


def _words_overlap(term: str, word: str) -> bool:
    """Same word up to an ending: what the stemmed prefix query treats as a hit ("running" ~ "run")."""
    return word.startswith(term) or (len(word) >= 3 and term.startswith(word))


def explain_match(product: Product, terms: tuple[str, ...]) -> str:
    """A short "why it matched" line: which search words hit which fields."""
    hit_terms: list[str] = []
    hit_fields: list[str] = []
    for field_name in FTS_COLUMNS:
        words = WORD.findall(str(getattr(product, field_name)).lower())
        field_terms = [term for term in terms if any(_words_overlap(term, word) for word in words)]
        if field_terms:
            hit_fields.append(field_name)
            hit_terms.extend(term for term in field_terms if term not in hit_terms)
    if not hit_terms:
        return "related words in the description"
    return f"{', '.join(hit_fields)} match '{' '.join(hit_terms)}'"


def _fts_matches(match: str, filters: CatalogFilters, scored: bool) -> Select:
    """rowids (and bm25 scores, lower is better) of the products whose text matches and that pass the key filters.

    The key filters enter as one list of allowed rowids written ``+rowid IN (...)``: the ``+`` keeps SQLite from
    probing the FTS index once per filtered product instead (minutes at a million products), and bm25,
    the expensive part, is computed only for rows that pass. The precomputed product sets (colour and size
    filters, drafts, options ruled out) are checked on the matched rowids directly, without a join to ``products``.
    """
    conditions = filters.keys
    columns = [literal_column(f"{FTS_TABLE}.rowid").label("rid")]
    if scored:
        weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
        columns.append(literal_column(f"bm25({FTS_TABLE}, {weights})").label("score"))
    statement = (select(*columns).select_from(table(FTS_TABLE))
                 .where(text(f"{FTS_TABLE} MATCH :match").bindparams(match=match)))
    if conditions:
        allowed = select(literal_column("products.rowid")).select_from(Product).where(*conditions)
        statement = statement.where(literal_column(f"+{FTS_TABLE}.rowid").in_(allowed))
    return statement.where(*filters.set_conditions(literal_column(f"+{FTS_TABLE}.rowid")))


def _matched_products(match: str, filters: CatalogFilters, scored: bool,
                      best: int | None = None) -> tuple[Select, CTE]:
    """Products whose text matches and that pass every filter, plus the (rid, score) CTE to order by.

    The CTE is materialised so the text match runs once and products are then looked up by rowid, never
    the other way round (SQLite would otherwise probe the FTS index once per filtered product). With
    ``best`` (and scores) only the matches scoring at least as well as the ``best``-th one that passes the
    filters are joined in full, ties included so that pages stay consistent: at 100k products an
    any-word match can be 20k rows, and sorting them as whole product rows was most of a query's time.
    """
    rows = filters.rows
    matches = _fts_matches(match, filters, scored).cte("matches").prefix_with("MATERIALIZED")
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


def _count(session: Session, statement: Select) -> int:
    return session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()


def _page(session: Session, statement: Select, ordering: tuple, query: ParsedQuery,
          details: bool = True) -> list[Product]:
    statement = statement.order_by(*ordering, Product.id).offset(query.offset).limit(query.limit)
    if not details:
        statement = statement.options(lazyload("*"))
    return list(session.execute(statement).scalars())


def _fts_search(session: Session, query: ParsedQuery, terms: tuple[str, ...],
                filters: CatalogFilters, details: bool = True) -> tuple[int, list[Product]]:
    """The FTS5 path of :func:`lexical_search`: all words first, any word if too few products have them all.

    Category/brand narrow the text match itself (see :func:`_fts_matches`); the row filters are checked on
    the joined rows, where a loose one ("under 100") costs a lookup per match rather than a list of half
    the catalog. Counting needs no scores.
    """
    by_relevance = query.sort is SortOrder.relevance
    total, page = 0, []
    for match in fts_match_expressions(terms):
        match = f"({match}){filters.fts_unmentioned}"  # ruled-out words leave the text match itself
        statement, matches = _matched_products(match, filters, scored=by_relevance, best=query.offset + query.limit)
        counted = (_matched_products(match, filters, scored=False)[0] if filters.rows
                   else _fts_matches(match, filters, scored=False))
        total = _count(session, counted)
        if total >= ALL_WORDS_ENOUGH:
            break
    if total:
        ordering = (matches.c.score.asc(), Product.rating.desc()) if by_relevance else _ORDERINGS[query.sort]
        page = _page(session, statement, ordering, query, details)
    return total, page
