"""Hybrid catalog search over the seeded test shop: meaning + words, filters honoured, reasons given."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from shop.db import Database
from shop.search.dense import DenseIndex, DenseIndexOptions
from shop.search import (
    SearchParams,
    SortOrder,
    apply_spoken_filters,
    hybrid_search,
    lexical_search,
    search_products,
    use_dense_index,
)


@pytest.fixture(scope="module")
def shop_db(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A read-only copy of the seeded test shop (300 products) for this module."""
    directory = tmp_path_factory.mktemp("hybrid")
    shutil.copy(seeded_template, directory / "shop.db")
    database = Database(f"sqlite:///{directory / 'shop.db'}")
    yield database
    database.engine.dispose()


@pytest.fixture(scope="module")
def index(shop_db: Database, tmp_path_factory: pytest.TempPathFactory, encoder) -> DenseIndex:
    dense = DenseIndex(DenseIndexOptions(chroma_path=tmp_path_factory.mktemp("chroma"), chroma_url=None),
                       encoder=encoder)
    with shop_db.sessions() as session:
        dense.sync(session)
    return dense


@pytest.fixture
def session(shop_db: Database) -> Iterator[Session]:
    with shop_db.sessions() as s:
        yield s


@pytest.fixture
def hybrid_enabled(index: DenseIndex) -> Iterator[DenseIndex]:
    use_dense_index(index)
    yield index
    use_dense_index(None)  # other tests expect the lexical default


def categories(hits: list) -> list[str]:
    return [product.category for product, _ in hits]


@pytest.mark.parametrize(
    ("said", "category"),
    [("labtop for school", "Laptops"), ("copy maker", "Coffee Makers"), ("dutch often", "Cookware"),
     ("head phones for gaming", "Headphones"), ("wind breaker", "Jackets"), ("lawn mover", "Gardening"),
     ("teddy bare", "Toys")],
)
def test_misheard_queries_find_the_right_category(session: Session, index: DenseIndex, said: str,
                                                  category: str) -> None:
    _, hits = hybrid_search(session, apply_spoken_filters(SearchParams(q=said, limit=3)), index)
    assert categories(hits)[0] == category


def test_hybrid_finds_what_lexical_misses(session: Session, index: DenseIndex) -> None:
    """ "labtop" matches no word, so lexical search ranks school backpacks first; meaning finds the laptop."""
    params = apply_spoken_filters(SearchParams(q="labtop for school", limit=3))
    _, lexical = lexical_search(session, params)
    _, hybrid = hybrid_search(session, params, index)
    assert "Laptops" not in categories(lexical)
    assert categories(hybrid)[0] == "Laptops"


def test_filters_hold_for_every_hit(session: Session, index: DenseIndex) -> None:
    params = SearchParams(q="warm jacket", color="black", max_price=200, in_stock=True, limit=20)
    total, hits = hybrid_search(session, params, index)
    assert hits and total >= len(hits)
    for product, _ in hits:
        assert "Black" in product.colors and product.price <= 200 and product.stock > 0


def test_each_hit_says_why_it_matched(session: Session, index: DenseIndex) -> None:
    _, hits = hybrid_search(session, SearchParams(q="noise cancelling headphones", limit=10), index)
    assert all(why for _, why in hits)
    both = [why for _, why in hits if "similar in meaning" in why and "match" in why]
    assert both, "a product found by words and by meaning should say both"


def test_sorting_by_price_sorts_the_fused_results(session: Session, index: DenseIndex) -> None:
    _, hits = hybrid_search(session, SearchParams(q="running shoes", sort=SortOrder.price_asc, limit=10), index)
    prices = [product.price for product, _ in hits]
    assert len(prices) == 10 and prices == sorted(prices)


def test_pages_do_not_overlap(session: Session, index: DenseIndex) -> None:
    first = hybrid_search(session, SearchParams(q="headphones", limit=5), index)[1]
    second = hybrid_search(session, SearchParams(q="headphones", limit=5, offset=5), index)[1]
    assert not {p.id for p, _ in first} & {p.id for p, _ in second}


def test_search_products_is_hybrid_only_when_configured(session: Session, hybrid_enabled: DenseIndex) -> None:
    _, hits = search_products(session, SearchParams(q="headphones under fifty bucks", limit=5))
    assert categories(hits) == ["Headphones"] * 5
    assert all(product.price <= 50 for product, _ in hits)
    assert any("similar in meaning" in why for _, why in hits)
    use_dense_index(None)
    _, lexical_hits = search_products(session, SearchParams(q="headphones under fifty bucks", limit=5))
    assert not any("similar in meaning" in (why or "") for _, why in lexical_hits)


def test_filler_only_query_is_a_listing(session: Session, index: DenseIndex) -> None:
    total, hits = hybrid_search(session, SearchParams(q="show me something please", limit=5), index)
    assert total > 100 and all(why is None for _, why in hits)
