"""Hybrid catalog search over the seeded test shop: meaning + words, filters honoured, reasons given."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shop.api import create_shop_app
from shop.db import Database
from shop.search.dense import DenseIndex, DenseIndexOptions
from shop.search import CatalogSearch, SortOrder, lexical_search, parse_query


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


@pytest.fixture(scope="module")
def hybrid(index: DenseIndex) -> CatalogSearch:
    return CatalogSearch(index)


def categories(hits: list) -> list[str]:
    return [product.category for product, _ in hits]


@pytest.mark.parametrize(
    ("said", "category"),
    [("labtop for school", "Laptops"), ("copy maker", "Coffee Makers"), ("dutch often", "Cookware"),
     ("head phones for gaming", "Headphones"), ("wind breaker", "Jackets"), ("lawn mover", "Gardening"),
     ("teddy bare", "Toys")],
)
def test_misheard_queries_find_the_right_category(session: Session, hybrid: CatalogSearch, said: str,
                                                  category: str) -> None:
    _, hits = hybrid.search_products(session, parse_query(said, limit=3))
    assert categories(hits)[0] == category


def test_hybrid_finds_what_lexical_misses(session: Session, hybrid: CatalogSearch) -> None:
    """ "labtop" matches no word, so lexical search ranks school backpacks first; meaning finds the laptop."""
    query = parse_query("labtop for school", limit=3)
    _, lexical = lexical_search(session, query)
    _, fused = hybrid.search_products(session, query)
    assert "Laptops" not in categories(lexical)
    assert categories(fused)[0] == "Laptops"


def test_filters_hold_for_every_hit(session: Session, hybrid: CatalogSearch) -> None:
    query = parse_query("warm jacket", color="black", max_price=200, in_stock=True, limit=20)
    total, hits = hybrid.search_products(session, query)
    assert hits and total >= len(hits)
    for product, _ in hits:
        assert "Black" in product.colors and product.price <= 200 and product.stock > 0


def test_each_hit_says_why_it_matched(session: Session, hybrid: CatalogSearch) -> None:
    _, hits = hybrid.search_products(session, parse_query("noise cancelling headphones", limit=10))
    assert all(why for _, why in hits)
    both = [why for _, why in hits if "similar in meaning" in why and "match" in why]
    assert both, "a product found by words and by meaning should say both"


def test_sorting_by_price_sorts_the_fused_results(session: Session, hybrid: CatalogSearch) -> None:
    _, hits = hybrid.search_products(session, parse_query("running shoes", sort=SortOrder.price_asc, limit=10))
    prices = [product.price for product, _ in hits]
    assert len(prices) == 10 and prices == sorted(prices)


def test_pages_do_not_overlap(session: Session, hybrid: CatalogSearch) -> None:
    first = hybrid.search_products(session, parse_query("headphones", limit=5))[1]
    second = hybrid.search_products(session, parse_query("headphones", limit=5, offset=5))[1]
    assert not {p.id for p, _ in first} & {p.id for p, _ in second}


def test_search_is_hybrid_only_with_a_dense_index(session: Session, index: DenseIndex) -> None:
    search = CatalogSearch()
    query = parse_query("headphones under fifty bucks", limit=5)
    _, lexical_hits = search.search_products(session, query)
    assert not any("similar in meaning" in (why or "") for _, why in lexical_hits)
    search.use_dense_index(index)
    _, hits = search.search_products(session, query)
    assert categories(hits) == ["Headphones"] * 5
    assert all(product.price <= 50 for product, _ in hits)
    assert any("similar in meaning" in why for _, why in hits)
    search.use_dense_index(None)
    _, lexical_again = search.search_products(session, query)
    assert [p.id for p, _ in lexical_again] == [p.id for p, _ in lexical_hits]


def test_the_shop_api_answers_with_the_search_it_owns(shop_db: Database, index: DenseIndex) -> None:
    search = CatalogSearch()
    client = TestClient(create_shop_app(shop_db, search))

    def reasons() -> list[str]:
        response = client.get("/products", params={"q": "noise cancelling headphones", "limit": 5})
        assert response.status_code == 200, response.text
        return [item["match"] for item in response.json()["items"]]

    assert reasons() and not any("similar in meaning" in why for why in reasons())
    search.use_dense_index(index)  # what the server does once the vectors are synced
    assert any("similar in meaning" in why for why in reasons())


def test_filler_only_query_is_a_listing(session: Session, hybrid: CatalogSearch) -> None:
    total, hits = hybrid.search_products(session, parse_query("show me something please", limit=5))
    assert total > 100 and all(why is None for _, why in hits)


def test_a_lexical_miss_falls_back_to_products_similar_in_meaning(session: Session, hybrid: CatalogSearch) -> None:
    query = parse_query("labtop", limit=3)
    assert lexical_search(session, query)[0] == 0  # no word matches: lexical alone would strand the customer
    outcome = hybrid.search(session, query)
    assert outcome.similar_only and outcome.hits[0][0].category == "Laptops"


def test_nothing_found_only_when_nothing_is_close(session: Session, hybrid: CatalogSearch) -> None:
    outcome = hybrid.search(session, parse_query("zqxv blorft quimbly", limit=3))
    assert (outcome.total, outcome.hits, outcome.similar_only) == (0, [], False)


def test_exclusions_hold_for_dense_neighbours_too(session: Session, hybrid: CatalogSearch) -> None:
    outcome = hybrid.search(session, parse_query("sneakers not leather", limit=20))
    assert outcome.hits
    for product, _ in outcome.hits:
        assert "leather" not in f"{product.name} {product.description}".lower()
