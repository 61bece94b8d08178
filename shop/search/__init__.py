"""Catalog search: spoken-style text plus filters, ranked lexically, or hybrid once product vectors exist.

Read in this order:

- :mod:`shop.search.query`: :func:`parse_query` understands a request once (numbers said as words, a
  size, "in stock", price bounds, search words) into a frozen :class:`ParsedQuery`.
- :mod:`shop.search.filters`: that query's filters as SQL, resolved once per search.
- :mod:`shop.search.lexical`: the FTS5 index and BM25 ranking (``LIKE`` off SQLite).
- :mod:`shop.search.dense`: the product vectors in ChromaDB, kept in sync with the catalog.
- :mod:`shop.search.hybrid`: dense neighbours filtered in SQL, fused with the lexical ranking.
- :mod:`shop.search.resolve`: filters grounded in the catalog, and relaxed (saying what) until something matches.

:class:`CatalogSearch` is the entry point: the shop app owns one, lexical until the server attaches a
synced dense index (``search.use_dense_index(index)``). Nothing here is module-level state.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from shop.search.filters import FilterSets, needs_options
from shop.search.hybrid import Neighbours, NeighboursOnce, dense_search, hybrid_search
from shop.search.lexical import SearchHit, drop_search_index, ensure_search_index, lexical_search
from shop.search.query import ParsedQuery, SortOrder, parse_query
from shop.search.resolve import CatalogVocabulary, SearchOutcome, ground_in_catalog, search_relaxing

if TYPE_CHECKING:  # the dense side pulls in chromadb/onnxruntime: imported only when a dense index is used
    from shop.search.dense import DenseIndex

__all__ = [
    "CatalogSearch", "ParsedQuery", "SearchHit", "SearchOutcome", "SortOrder", "dense_search", "drop_search_index",
    "ensure_search_index", "hybrid_search", "lexical_search", "parse_query",
]


class CatalogSearch:
    """The shop's product search: lexical, or hybrid while a dense index is attached; thread-safe."""

    def __init__(self, dense_index: DenseIndex | None = None) -> None:
        self._dense_index = dense_index
        self.vocabulary = CatalogVocabulary()
        # Vector lookups run here while the request's thread ranks lexically (threads start on first use).
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dense-search")

    @property
    def dense_index(self) -> DenseIndex | None:
        return self._dense_index

    def use_dense_index(self, index: DenseIndex | None) -> None:
        """Make searches hybrid with ``index`` (attach it after ``index.sync``); None: lexical only."""
        self._dense_index = index

    def search(self, session: Session, query: ParsedQuery) -> SearchOutcome:
        """The customer-facing search: filters grounded in the catalog, relaxed until something matches
        (:mod:`shop.search.resolve`), with what was applied, relaxed and ignored."""
        grounded = ground_in_catalog(query, self.vocabulary.facets(session))
        # Kept per catalog change: what colour/size filters and exclusions need, and the drafts.
        sets = self.vocabulary.filter_sets(session, with_options=needs_options(grounded))
        index = NeighboursOnce(self._dense_index) if self._dense_index is not None else None
        return search_relaxing(lambda q: self.search_products(session, q, sets, index), grounded)

    def search_products(self, session: Session, query: ParsedQuery, sets: FilterSets | None = None,
                        index: Neighbours | None = None) -> tuple[int, list[SearchHit]]:
        """How many products match ``query`` as given and its page, each with why it matched (None without
        search words). No grounding, no relaxation: see :meth:`search`. ``sets``: the catalog's drafts and
        option values (:class:`~shop.search.filters.FilterSets`; None: read now). ``index``: the attached
        dense index by default."""
        if index is None:
            index = self._dense_index
        if index is None:
            return lexical_search(session, query, sets=sets)
        return hybrid_search(session, query, index, self._workers, sets)
