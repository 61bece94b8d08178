"""GET /catalog/vocabulary: the catalog's words with an ETag that moves with every catalog change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shop.api import create_shop_app
from shop.catalog.load import load_catalog
from shop.db import Database
from tests.shop.test_catalog_load import catalog, mug, tee


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Database, TestClient]]:
    database = Database(f"sqlite:///{tmp_path / 'shop.db'}")
    database.create_schema()
    load_catalog(database, catalog(mug(), tee()), now=datetime(2026, 6, 1, tzinfo=UTC))
    with TestClient(create_shop_app(database)) as client:
        yield database, client
    database.engine.dispose()


def test_the_words_of_the_catalog_most_used_first(shop: tuple[Database, TestClient]) -> None:
    _, client = shop
    response = client.get("/catalog/vocabulary")
    assert response.status_code == 200, response.text
    assert response.headers["ETag"].startswith('"')
    assert response.json() == {
        "categories": [{"name": "Kitchen", "count": 1}, {"name": "T-Shirts", "count": 1}],
        "brands": [{"name": "Kilnworks", "count": 1}, {"name": "Urbanite", "count": 1}],
        "options": [{"name": "Capacity", "values": ["8 oz", "12 oz"]}, {"name": "Colour", "values": ["Teal", "Sand"]},
                    {"name": "Size", "values": ["S", "M"]}],
        "modifiers": ["Gift wrap"],
    }


def test_unchanged_is_a_304_and_an_import_changes_the_etag(shop: tuple[Database, TestClient]) -> None:
    database, client = shop
    etag = client.get("/catalog/vocabulary").headers["ETag"]
    unchanged = client.get("/catalog/vocabulary", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    variants = [{**v, "options": {**v["options"], "Colour": v["options"]["Colour"].replace("Sand", "Ocean")}}
                for v in mug()["variants"]]
    recoloured = mug(options=[{"name": "Colour", "values": ["Teal", "Ocean"]},
                              {"name": "Capacity", "values": ["8 oz", "12 oz"]}], variants=variants)
    load_catalog(database, catalog(recoloured, tee()), now=datetime(2026, 6, 2, tzinfo=UTC))
    changed = client.get("/catalog/vocabulary", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert {"name": "Colour", "values": ["Teal", "Ocean"]} in changed.json()["options"]
