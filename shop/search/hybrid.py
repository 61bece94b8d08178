"""Dense and hybrid ranking: the product vectors' neighbours, alone or fused with the lexical ranking.

The vector index (:mod:`shop.search.dense`) knows nothing of filters: it returns the nearest products,
and the query's SQL filters (:mod:`shop.search.filters`) are applied to those neighbours here. Hybrid
search fuses them with :func:`shop.search.lexical.lexical_search` by reciprocal rank, so words that match
exactly and words that only mean the same ("earbuds" for "headphones", a misheard "snickers") both count.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from shop.models import Product
from shop.search.filters import CatalogFilters, FilterSets, catalog_filters, product_key
from shop.search.lexical import SearchHit, explain_match, lexical_search
from shop.search.query import ParsedQuery, SortOrder

if TYPE_CHECKING:  # the dense side pulls in chromadb/onnxruntime: imported only when a dense index is used
    from shop.search.dense import DenseIndex

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


class Neighbours(Protocol):
    """What the hybrid ranker asks of a vector index."""

    def search(self, query: str, n: int = 100) -> list[tuple[str, float]]: ...


class NeighboursOnce:
    """One customer search's vector lookups. A relaxed retry asks for the same text again, and the index knows
    no filters, so its answer is the same: looked up (and the text embedded) once, a shorter list cut from a
    longer one."""

    def __init__(self, index: Neighbours) -> None:
        self._index = index
        self._found: dict[str, tuple[int, list[tuple[str, float]]]] = {}

    def search(self, query: str, n: int = 100) -> list[tuple[str, float]]:
        asked, found = self._found.get(query, (0, []))
        if asked < n:
            asked, found = n, self._index.search(query, n)
            self._found[query] = (asked, found)
        return found[:n]


def _dense_request(query: ParsedQuery, filters: CatalogFilters, depth: int) -> tuple[str, int]:
    """What to ask the vector index: the text and how many neighbours.

    The filters run in SQL on the neighbours (Chroma's own metadata filters scan the whole collection);
    with filters set, more neighbours are fetched so that enough survive.
    """
    # An unknown category is words to search for, as on the lexical side.
    text = f"{query.text} {query.category}" if filters.unknown_category else query.text
    return text, depth * DENSE_OVERSAMPLE if filters.any else depth


def _passing(session: Session, neighbours: list[tuple[str, float]], filters: CatalogFilters,
             depth: int) -> list[tuple[str, float]]:
    """The similar-enough neighbours that pass every filter, most similar first."""
    neighbours = [(pid, sim) for pid, sim in neighbours if sim >= DENSE_MIN_SIMILARITY]
    if not neighbours or not filters.any:
        return neighbours[:depth]
    # The product sets are checked here, not in SQL: SQLite would walk a 37k-product colour set to find the
    # few hundred neighbours in it.
    rows = session.execute(select(Product.id, product_key(session))
                           .where(Product.id.in_([pid for pid, _ in neighbours]), *filters.sql))
    passing = {pid for pid, key in rows if filters.admits(key)}
    return [(pid, sim) for pid, sim in neighbours if pid in passing][:depth]


def _load(session: Session, ids: list[str], details: bool = True) -> dict[str, Product]:
    """Products by id; ``details=False`` without their options and variants (enough to rank or sort them).

    With details, products already loaded without them are loaded again, their variants included."""
    if not ids:
        return {}
    statement = select(Product).where(Product.id.in_(ids))
    statement = statement.execution_options(populate_existing=True) if details else statement.options(lazyload("*"))
    return {p.id: p for p in session.execute(statement).scalars()}


def dense_search(session: Session, query: ParsedQuery, index: DenseIndex,
                 sets: FilterSets | None = None) -> tuple[int, list[SearchHit]]:
    """Vector search alone, with the same filters (for comparison in the retrieval benchmark)."""
    if not query.terms:
        return lexical_search(session, query, sets=sets)
    filters = catalog_filters(session, query, sets)
    depth = max(FUSION_DEPTH, query.offset + query.limit)
    text, fetch = _dense_request(query, filters, depth)
    ranked = _passing(session, index.search(text, fetch), filters, depth)
    page = ranked[query.offset : query.offset + query.limit]
    products = _load(session, [pid for pid, _ in page])
    return len(ranked), [(products[pid], f"similar in meaning ({sim:.2f})") for pid, sim in page if pid in products]


def hybrid_search(session: Session, query: ParsedQuery, index: Neighbours, workers: Executor,
                  sets: FilterSets | None = None) -> tuple[int, list[SearchHit]]:
    """Lexical (BM25) and dense rankings fused by reciprocal rank; each hit says why it matched.

    A product found by both rankers rises to the top. ``total`` counts the lexical matches plus the
    dense-only ones among the top :data:`FUSION_DEPTH`. Sorting by price or rating sorts the fused
    candidates; a query with no search words is a plain filtered listing. The vector lookup runs on
    ``workers`` while this thread ranks lexically. ``sets``: see :func:`shop.search.filters.catalog_filters`.
    """
    if not query.terms:
        return lexical_search(session, query, sets=sets)
    depth = max(FUSION_DEPTH, query.offset + query.limit)
    filters = catalog_filters(session, query, sets)
    # The query embedding and vector lookup run on a worker thread while SQLite ranks lexically here (both
    # release the GIL): one search costs the slower of the two instead of their sum.
    text, fetch = _dense_request(query, filters, depth)
    neighbours = workers.submit(index.search, text, fetch)
    lexical_total, lexical = lexical_search(
        session, replace(query, sort=SortOrder.relevance, limit=depth, offset=0), filters, explain=False,
        details=False,
    )
    dense = _passing(session, neighbours.result(), filters, depth)

    scores: dict[str, float] = {}
    for rank, (product, _) in enumerate(lexical):
        scores[product.id] = 1.0 / (RRF_K + rank + 1)
    similarity = dict(dense)
    for rank, (pid, _) in enumerate(dense):
        scores[pid] = scores.get(pid, 0.0) + DENSE_WEIGHT / (RRF_K + rank + 1)

    products = {product.id: product for product, _ in lexical}
    ordered = sorted(scores, key=lambda pid: scores[pid], reverse=True)  # stable: ties keep lexical order
    if query.sort is not SortOrder.relevance:
        products.update(_load(session, [pid for pid in ordered if pid not in products], details=False))
        key, descending = {SortOrder.price_asc: (lambda p: p.price, False),
                           SortOrder.price_desc: (lambda p: p.price, True),
                           SortOrder.rating: (lambda p: p.rating, True)}[query.sort]
        ordered.sort(key=lambda pid: key(products[pid]), reverse=descending)
    page = ordered[query.offset : query.offset + query.limit]
    products.update(_load(session, page))  # the page with its variants, as the API shows them

    lexical_ids = {product.id for product, _ in lexical}
    total = lexical_total + sum(1 for pid, _ in dense if pid not in lexical_ids)
    hits: list[SearchHit] = []
    for pid in page:
        if pid not in products:
            continue  # deleted since the ranking was made
        reasons = []
        if pid in lexical_ids:
            reasons.append(explain_match(products[pid], query.terms))
        if pid in similarity:
            reasons.append(f"similar in meaning ({similarity[pid]:.2f})")
        hits.append((products[pid], "; ".join(reasons)))
    return total, hits
