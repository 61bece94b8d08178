"""The product vectors follow the catalog: new, re-worded and deleted products; price edits cost nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shop.db import Database
from shop.models import Product
from shop.search.dense import DenseIndex, DenseIndexOptions

PRODUCTS = [
    ("t1", "Cloudrun Trail Running Shoe", "Running Shoes", "Stridewell", "Grippy outsole for muddy trails.", 89.0,
     ["Red", "Black"]),
    ("t2", "Nova Noise Cancelling Headphones", "Headphones", "Sonari", "Quiet flights and commutes.", 199.0, ["Black"]),
    ("t3", "Heritage Cast Iron Skillet", "Cookware", "Ironhold", "Sears steaks evenly.", 49.0, ["Black"]),
    ("t4", "Drizzle Rain Jacket", "Jackets", "Stormline", "Waterproof shell with taped seams.", 120.0, ["Red"]),
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'shop.db'}")
    database.create_schema()
    with database.session() as session:
        for pid, name, category, brand, description, price, colors in PRODUCTS:
            session.add(Product(id=pid, name=name, category=category, brand=brand, description=description,
                                price=price, rating=4.0, review_count=3, stock=5, colors=colors, sizes=[]))
    yield database
    database.engine.dispose()


@pytest.fixture
def index(tmp_path: Path, db: Database, encoder) -> DenseIndex:
    dense = DenseIndex(DenseIndexOptions(chroma_path=tmp_path / "chroma", chroma_url=None, refresh_interval_s=0.05),
                       encoder=encoder)
    with db.sessions() as session:
        report = dense.sync(session)
    assert report.embedded == len(PRODUCTS)
    return dense


def top(index: DenseIndex, query: str) -> str:
    return index.search(query, 1)[0][0]


def test_meaning_not_words(index: DenseIndex) -> None:
    assert top(index, "earphones that block out the plane engine") == "t2"
    assert top(index, "pan for frying a steak") == "t3"


def test_results_are_ranked_by_similarity(index: DenseIndex) -> None:
    results = index.search("waterproof jacket for rainy days", 10)
    assert results[0][0] == "t4" and len(results) == len(PRODUCTS)
    similarities = [sim for _, sim in results]
    assert similarities == sorted(similarities, reverse=True) and -1 <= similarities[-1] < similarities[0] <= 1


def test_sync_embeds_only_what_changed(index: DenseIndex, db: Database) -> None:
    with db.sessions() as session:
        assert index.sync(session).unchanged == len(PRODUCTS)
    with db.session() as session:
        session.get(Product, "t3").price = 39.0  # filters live in SQL: nothing to re-embed
        session.get(Product, "t4").description = "Packable shell for spring showers."
    with db.sessions() as session:
        report = index.sync(session)
    assert (report.embedded, report.unchanged) == (1, len(PRODUCTS) - 1)


def test_refresh_follows_renames_and_deletions(index: DenseIndex, db: Database) -> None:
    with db.session() as session:
        product = session.get(Product, "t3")
        product.name, product.category = "Glacier Down Parka", "Jackets"
        product.description = "Warm goose down for arctic winters."
    with db.sessions() as session:
        report = index.refresh(session)
    assert report.embedded == 1
    assert top(index, "warm winter coat for the arctic") == "t3"

    with db.session() as session:
        session.delete(session.get(Product, "t2"))
    with db.sessions() as session:
        assert index.refresh(session).removed == 1
    assert "t2" not in {pid for pid, _ in index.search("noise cancelling headphones", 10)}


def test_refresh_without_changes_does_nothing(index: DenseIndex, db: Database) -> None:
    with db.sessions() as session:
        report = index.refresh(session)
    assert (report.embedded, report.removed) == (0, 0)


def test_follow_picks_up_a_new_product_while_running(index: DenseIndex, db: Database) -> None:
    stop = index.follow(db.sessions)
    try:
        with db.session() as session:
            session.add(Product(id="t5", name="Barista Espresso Machine", category="Coffee Makers", brand="Kaffa",
                                description="15-bar pump and milk frother.", price=250.0, rating=4.5,
                                review_count=9, stock=2, colors=[], sizes=[]))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and index.count() < len(PRODUCTS) + 1:
            time.sleep(0.05)
    finally:
        stop.set()
    assert top(index, "machine to make espresso") == "t5"
