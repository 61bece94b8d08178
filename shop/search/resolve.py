"""What a search really applies: filters grounded in the catalog, and relaxed until something is found.

A voice customer must never be stranded by a filter. Two steps around the ranking make sure of it:

1. **Grounding** (:func:`ground_in_catalog`): a brand, category, colour or size filter is kept only if the
   catalog has it (matched to the shop's own spelling, "nike" -> "Nike"); otherwise its words are searched
   for instead ("brand: Water Bottle" finds water bottles) and the outcome says so (``ignored``). Whether
   the customer *said* it is checked earlier, by :func:`shop.search.query.parse_query` with ``said``.
2. **Relaxation** (:data:`RELAX_ORDER`): a filtered search that matches nothing drops one constraint at a
   time, the least certain first, until something matches, and the outcome lists what it dropped
   (``relaxed``) so the reply can say "No Nike running shoes under $50; the closest are ... from $62".
   A dropped price bound sorts what is found by price towards that bound (the closest first). What the
   customer ruled out is never relaxed: showing leather to someone who said "not leather" is worse than
   showing nothing. With no filters left, "nothing found" means neither a word matched nor a product was
   similar enough in meaning (the hybrid ranker's similarity floor).

Why this order: a colour is the least certain (often misheard, and a close colour is a fair offer); a
price bound next (budgets stretch, and "the closest are from $62" is a precise offer); then a size (it may
be in stock again soon), stock itself, the brand (named on purpose), and the category last (it is what the
customer is looking for).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from shop.models import Product, ProductOption
from shop.search.filters import (FilterSets, OptionIndex, ProductKey, canonical_name, is_sqlite, read_drafts,
                                 read_option_index)
from shop.search.lexical import SearchHit
from shop.search.query import STOP_WORDS, ParsedQuery, SortOrder, search_words

RELAX_ORDER = ("color", "price", "size", "in_stock", "brand", "category")
PRICE_RELAX_POOL = 3  # pages of relevant matches a dropped price bound re-sorts by price
VOCABULARY_MAX_AGE_S = 5.0  # how stale the catalog's facet values may be before the next search re-checks them


@dataclass(frozen=True)
class Facets:
    """The values a filter can take in this catalog, each in the shop's own spelling."""

    brands: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    option_values: tuple[str, ...] = ()  # of every option, any name (Material, Storage, Roast...)

    def of(self, name: str) -> tuple[str, ...]:
        return {"brand": self.brands, "category": self.categories, "color": self.colors, "size": self.sizes}[name]


class CatalogVocabulary:
    """The catalog's facet values, drafts and option value sets, re-read when the catalog changed (checked at
    most every few seconds).

    Checking costs one ``count``/``max(updated_at)`` query; re-reading the values (a scan of the option
    lists) happens only after a change, so searches do not pay for it and edits show up without a restart.
    The option value sets (:class:`~shop.search.filters.OptionIndex`, what exclusions need; ~0.6 s at 100k
    products) are read at the first search with exclusions after the options changed, not after a checkout.
    """

    def __init__(self, max_age_s: float = VOCABULARY_MAX_AGE_S) -> None:
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._facets = Facets()
        self._drafts: frozenset[ProductKey] = frozenset()
        self._options: OptionIndex | None = None
        self._options_fingerprint: tuple[Any, ...] | None = None
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked = float("-inf")

    def _refresh(self, session: Session) -> None:
        """Re-read what changed with the catalog (called holding the lock)."""
        now = time.monotonic()
        if now - self._checked < self.max_age_s and self._fingerprint is not None:
            return
        fingerprint = tuple(session.execute(select(func.count(), func.max(Product.updated_at))).one())
        if fingerprint != self._fingerprint:
            self._facets, self._drafts = _read_facets(session), read_drafts(session)
            # A checkout's stock update moves updated_at but no option: the value sets stay. The loader
            # rewrites a changed product's options (and colors/sizes with them), so their ids move on.
            options = (fingerprint[0], *session.execute(select(func.count(), func.max(ProductOption.id))).one())
            if options != self._options_fingerprint:
                self._options, self._options_fingerprint = None, options
            self._fingerprint = fingerprint
        self._checked = now

    def facets(self, session: Session) -> Facets:
        with self._lock:
            self._refresh(session)
            return self._facets

    def filter_sets(self, session: Session, with_options: bool) -> FilterSets:
        """The drafts and, ``with_options``, the option index of this catalog (see :func:`needs_options`)."""
        with self._lock:
            self._refresh(session)
            if with_options and self._options is None:
                self._options = read_option_index(session)
            return FilterSets(self._drafts, self._options if with_options else None, is_sqlite(session))


def _read_facets(session: Session) -> Facets:
    def distinct(column: Any) -> tuple[str, ...]:
        return tuple(session.execute(select(column).distinct().order_by(column)).scalars())

    def listed(table: str, column: Any) -> tuple[str, ...]:
        if is_sqlite(session):  # table and column are ours (JSON list columns), never user input
            rows = session.execute(text(f'SELECT DISTINCT value FROM {table}, json_each({table}."{column.key}")'))
            return tuple(sorted(str(v) for v in rows.scalars()))
        values = {str(v) for lists in session.execute(select(column)).scalars() for v in lists or ()}
        return tuple(sorted(values))

    return Facets(distinct(Product.brand), distinct(Product.category), listed("products", Product.colors),
                  listed("products", Product.sizes), listed("product_options", ProductOption.values))


def ground_in_catalog(query: ParsedQuery, facets: Facets) -> ParsedQuery:
    """``query`` with each filter in the shop's spelling, or searched for as words where the shop lacks it."""
    changes: dict[str, Any] = {}
    ignored = list(query.ignored)
    words: list[str] = []
    for name in ("category", "brand", "color", "size"):
        value = getattr(query, name)
        if value is None:
            continue
        stored = canonical_name(value, facets.of(name))
        if stored is not None:
            changes[name] = stored
            continue
        changes[name] = None
        ignored.append((name, value, "not in catalog"))
        if name != "size":  # "size 13" in a shop without it is no search word
            words.append(value.lower())
    if words:
        text_words = " ".join(dict.fromkeys([*query.text.split(), *" ".join(words).split()]))
        changes.update(text=text_words, terms=search_words(text_words))
    if changes.get("category", query.category) is None:
        changes["category_terms"] = ()
    return replace(query, **changes, ignored=tuple(ignored))


def _without(query: ParsedQuery, name: str) -> tuple[ParsedQuery, list[dict[str, Any]]]:
    """``query`` without one constraint of :data:`RELAX_ORDER`, and what was dropped (empty: it had none)."""
    if name == "price":
        bounds = {"min_price": query.min_price, "max_price": query.max_price}
        dropped = [{"filter": bound, "value": value} for bound, value in bounds.items() if value is not None]
        if not dropped:
            return query, []
        return replace(query, min_price=None, max_price=None), dropped
    value = getattr(query, name)
    if value is None or value is False:
        return query, []
    return (replace(query, **{name: None}, **({"category_terms": ()} if name == "category" else {})),
            [{"filter": name, "value": value}])


@dataclass
class SearchOutcome:
    """A search's results and what it applied, relaxed and ignored, in the shop's words (facts for a reply)."""

    total: int
    hits: list[SearchHit]
    query: ParsedQuery  # as finally applied
    relaxed: list[dict[str, Any]] = field(default_factory=list)  # [{"filter": "max_price", "value": 50}], in order

    @property
    def applied(self) -> dict[str, Any]:
        """The filters the results satisfy, and the words searched for (filler dropped)."""
        q = self.query
        said = " ".join(word for word in q.text.split() if word not in STOP_WORDS)  # "i need headphones" -> "headphones"
        values = {"query": said or None, "category": q.category, "brand": q.brand, "color": q.color, "size": q.size,
                  "min_price": q.min_price, "max_price": q.max_price, "in_stock": q.in_stock or None,
                  "exclude": list(q.exclude) or None}
        return {name: value for name, value in values.items() if value is not None}

    @property
    def ignored(self) -> list[dict[str, str]]:
        return [{"filter": name, "value": value, "reason": why} for name, value, why in self.query.ignored]

    @property
    def similar_only(self) -> bool:
        """Whether no result matched the words, only the meaning (the dense fallback)."""
        return bool(self.hits) and all((why or "").startswith("similar in meaning") for _, why in self.hits)


def search_relaxing(rank: Callable[[ParsedQuery], tuple[int, list[SearchHit]]],
                    query: ParsedQuery) -> SearchOutcome:
    """Rank ``query``; while nothing matches, drop the next constraint of :data:`RELAX_ORDER` and rank again."""
    total, hits = rank(query)
    relaxed: list[dict[str, Any]] = []
    for name in RELAX_ORDER:
        if total or query.offset:  # a later page of a search that matched is not relaxed into another search
            break
        looser, dropped = _without(query, name)
        if not dropped:
            continue
        query = looser
        relaxed += dropped
        if name == "price" and query.sort is SortOrder.relevance:
            total, hits = _closest_price(rank, query, cheapest_first=any(d["filter"] == "max_price" for d in dropped))
        else:
            total, hits = rank(query)
    return SearchOutcome(total, hits, query, relaxed)


def _closest_price(rank: Callable[[ParsedQuery], tuple[int, list[SearchHit]]], query: ParsedQuery,
                   cheapest_first: bool) -> tuple[int, list[SearchHit]]:
    """The most relevant matches with the price nearest the dropped bound first: over a budget, the cheapest."""
    total, pool = rank(replace(query, limit=query.limit * PRICE_RELAX_POOL))
    pool.sort(key=lambda hit: hit[0].price, reverse=not cheapest_first)
    return total, pool[: query.limit]
