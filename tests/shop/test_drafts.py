"""Drafts (Shopify's Published = FALSE, ``published: false`` in the JSON/YAML format) and exclusions by option,
through the shop API on SQLite and Postgres: a draft is stored but not searchable, not shown, not sold.

``db`` here is a small imported catalog (this module's fixture); ``client`` is the shop API over it
(tests/shop/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shop.auth import start_session
from shop.catalog.files import read_catalog
from shop.catalog.format import CatalogFile
from shop.catalog.load import load_catalog
from shop.db import Database
from shop.models import Product, User

SHOPIFY_FIXTURE = Path(__file__).parent / "catalog" / "shopify_products.csv"  # travel-mug: Published FALSE


def tote(handle: str, title: str, materials: list[str], colours: list[str], published: bool = True) -> dict:
    """A tote bag with a Material and a Colour option, one variant per combination."""
    variants = [{"sku": f"{handle}-{m}-{c}".lower(), "options": {"Material": m, "Colour": c}, "price": 30, "stock": 4}
                for m in materials for c in colours]
    return {"handle": handle, "title": title, "vendor": "Baggins", "category": "Bags",
            "description": "A roomy everyday tote.", "published": published,
            "options": [{"name": "Material", "values": materials}, {"name": "Colour", "values": colours}],
            "variants": variants}


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'shop.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database(url)
    database.create_schema()
    load_catalog(database, read_catalog(SHOPIFY_FIXTURE))
    load_catalog(database, CatalogFile.model_validate({"products": [
        tote("leather-tote", "Market Tote", ["Leather"], ["Black"]),
        tote("mixed-tote", "Harbour Tote", ["Leather", "Canvas"], ["Black", "Navy"]),
        tote("draft-tote", "Secret Tote", ["Canvas"], ["Navy"], published=False),
    ]}))
    yield database
    database.engine.dispose()


@pytest.fixture
def headers(db: Database) -> dict[str, str]:
    with db.session() as session:
        user = User(login="ada", name="Ada")
        session.add(user)
        session.flush()
        token, _ = start_session(session, user, timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def product_id(db: Database, handle: str) -> str:
    with db.session() as session:
        return session.execute(select(Product.id).where(Product.handle == handle)).scalar_one()


def found(client: TestClient, **params: object) -> set[str]:
    response = client.get("/products", params={"limit": 50, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_drafts_are_stored_as_drafts_from_either_format(db: Database) -> None:
    with db.session() as session:
        published = dict(session.execute(select(Product.handle, Product.published)).all())
    assert published["travel-mug"] is False and published["draft-tote"] is False  # CSV and JSON
    assert published["house-blend"] is True and published["leather-tote"] is True


def test_a_draft_is_not_found_by_search_nor_shown(client: TestClient, db: Database) -> None:
    draft, mug = product_id(db, "draft-tote"), product_id(db, "travel-mug")
    totes = found(client, q="tote")
    assert product_id(db, "mixed-tote") in totes and draft not in totes  # the search works, the draft stays out
    assert mug not in found(client, q="travel mug") and draft not in found(client, category="Bags")
    assert draft not in found(client, q="tote", color="Navy")  # nor through a filter it matches
    for pid in (draft, mug):
        response = client.get(f"/products/{pid}")
        assert response.status_code == 404 and pid in response.json()["detail"]


def test_a_draft_cannot_be_added_to_the_cart(client: TestClient, db: Database, headers: dict) -> None:
    draft = product_id(db, "draft-tote")
    response = client.post("/cart/items", json={"product_id": draft, "quantity": 1}, headers=headers)
    assert response.status_code == 404 and draft in response.json()["detail"]
    assert client.get("/cart", headers=headers).json()["lines"] == []
    live = product_id(db, "mixed-tote")
    added = client.post("/cart/items", json={"product_id": live, "quantity": 1, "options": {"Material": "Canvas",
                                                                                            "Colour": "Navy"}},
                        headers=headers)
    assert added.status_code == 200, added.text


def test_publishing_a_draft_by_reimport_makes_it_searchable(client: TestClient, db: Database) -> None:
    draft = product_id(db, "draft-tote")
    client.app.state.search.vocabulary.max_age_s = 0  # see the re-import at once, not within seconds
    assert draft not in found(client, q="secret tote")
    load_catalog(db, CatalogFile.model_validate({"products": [tote("draft-tote", "Secret Tote", ["Canvas"],
                                                                         ["Navy"])]}))
    assert draft in found(client, q="secret tote")
    assert client.get(f"/products/{draft}").status_code == 200


def test_an_option_with_only_ruled_out_values_drops_the_product(client: TestClient, db: Database) -> None:
    """"not leather" drops the tote only made of leather, not the one also in canvas; the same for a colour."""
    only_leather, mixed = product_id(db, "leather-tote"), product_id(db, "mixed-tote")
    assert {only_leather, mixed} <= found(client, q="tote")
    assert found(client, q="tote not leather") & {only_leather, mixed} == {mixed}
    assert found(client, q="tote anything but black") & {only_leather, mixed} == {mixed}
    assert found(client, q="tote", exclude=["black", "navy"]) & {only_leather, mixed} == set()  # every colour out
    assert found(client, exclude=["leather"], category="Bags") & {only_leather, mixed} == {mixed}  # no search words


def test_what_options_rule_out_follows_a_reimport(client: TestClient, db: Database) -> None:
    """The value sets are kept per catalog change: a re-import that adds canvas brings the tote back."""
    only_leather = product_id(db, "leather-tote")
    client.app.state.search.vocabulary.max_age_s = 0
    assert only_leather not in found(client, q="tote not leather")
    load_catalog(db, CatalogFile.model_validate({"products": [tote("leather-tote", "Market Tote",
                                                                         ["Leather", "Canvas"], ["Black"])]}))
    assert only_leather in found(client, q="tote not leather")
