"""The catalog loader: upserts by handle and SKU in one transaction, idempotent, on SQLite and Postgres;
and the customers loader (customers, addresses, past orders)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from shop.auth import password_matches
from shop.catalog.format import CatalogFile, CustomersFile
from shop.catalog.load import CatalogLoadError, load_catalog, load_customers
from shop.db import Database
from shop.models import Address, Modifier, Order, OrderStatus, PaymentMethod, Product, ProductOption, User, Variant

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def catalog(*products: dict) -> CatalogFile:
    return CatalogFile.model_validate({"products": list(products)})


def mug(**changes: object) -> dict:
    product = {
        "handle": "glaze-mug", "title": "Glaze Mug", "vendor": "Kilnworks", "category": "Kitchen", "tags": ["gift"],
        "options": [{"name": "Colour", "values": ["Teal", "Sand"]}, {"name": "Capacity", "values": ["8 oz", "12 oz"]}],
        "variants": [
            {"sku": "MUG-T-8", "options": {"Colour": "Teal", "Capacity": "8 oz"}, "price": 14, "stock": 3},
            {"sku": "MUG-T-12", "options": {"Colour": "Teal", "Capacity": "12 oz"}, "price": 18, "stock": 4,
             "compare_at_price": 22},
            {"sku": "MUG-S-8", "options": {"Colour": "Sand", "Capacity": "8 oz"}, "price": 12, "stock": 9,
             "available": False},
            {"sku": "MUG-S-12", "options": {"Colour": "Sand", "Capacity": "12 oz"}, "price": 18, "stock": 0},
        ],
        "modifiers": [{"name": "Gift wrap", "price": 3.5}],
    }
    return {**product, **changes}


def tee(**changes: object) -> dict:
    product = {
        "handle": "plain-tee", "title": "Plain Tee", "vendor": "Urbanite", "category": "T-Shirts",
        "options": [{"name": "Size", "values": ["S", "M"]}],
        "variants": [{"sku": "TEE-S", "options": {"Size": "S"}, "price": 20, "stock": 5},
                     {"sku": "TEE-M", "options": {"Size": "M"}, "price": 20, "stock": 6}],
    }
    return {**product, **changes}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'shop.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database(url)
    database.create_schema()
    yield database
    database.engine.dispose()


def rows(database: Database) -> dict[str, list[tuple]]:
    """Every catalog row but timestamps, for comparing whole databases."""
    with database.sessions() as session:
        return {
            "products": [tuple(row) for row in session.execute(select(
                Product.id, Product.handle, Product.name, Product.price, Product.stock, Product.colors, Product.sizes,
                Product.tags).order_by(Product.id))],
            "options": [tuple(row) for row in session.execute(select(
                ProductOption.product_id, ProductOption.position, ProductOption.name, ProductOption.values)
                .order_by(ProductOption.product_id, ProductOption.position))],
            "variants": [tuple(row) for row in session.execute(select(
                Variant.id, Variant.product_id, Variant.sku, Variant.options, Variant.price, Variant.compare_at_price,
                Variant.stock, Variant.available).order_by(Variant.id))],
            "modifiers": [tuple(row) for row in session.execute(select(
                Modifier.id, Modifier.product_id, Modifier.name, Modifier.price, Modifier.group).order_by(Modifier.id))],
        }


def test_a_catalog_loads_with_derived_price_stock_and_colours(database: Database) -> None:
    summary = load_catalog(database, catalog(mug(), tee()), now=NOW)
    assert (summary.products_created, summary.variants_created, summary.product_ids) == (2, 6, ("p1", "p2"))
    loaded = rows(database)
    # From the cheapest *available* variant (the 12.00 one is not for sale); stock over the available ones.
    assert loaded["products"] == [
        ("p1", "glaze-mug", "Glaze Mug", 14.0, 7, ["Teal", "Sand"], [], ["gift"]),
        ("p2", "plain-tee", "Plain Tee", 20.0, 11, [], ["S", "M"], []),
    ]
    assert loaded["options"][:2] == [("p1", 0, "Colour", ["Teal", "Sand"]), ("p1", 1, "Capacity", ["8 oz", "12 oz"])]
    assert [(sku, price, was, stock, ok) for _, _, sku, _, price, was, stock, ok in loaded["variants"]][:3] == [
        ("MUG-T-8", 14.0, None, 3, True), ("MUG-T-12", 18.0, 22.0, 4, True), ("MUG-S-8", 12.0, None, 9, False)]
    assert [(product_id, name, price) for _, product_id, name, price, _ in loaded["modifiers"]] == [
        ("p1", "Gift wrap", 3.5)]


def test_reimporting_the_same_file_changes_nothing(database: Database) -> None:
    load_catalog(database, catalog(mug(), tee()), now=NOW)
    first = rows(database)
    summary = load_catalog(database, catalog(mug(), tee()), now=NOW)
    assert (summary.products_created, summary.products_updated, summary.variants_created) == (0, 2, 0)
    assert rows(database) == first


def test_a_changed_file_updates_by_handle_and_sku_and_leaves_other_products_alone(database: Database) -> None:
    load_catalog(database, catalog(mug(), tee()), now=NOW)
    before = rows(database)
    changed = mug(title="Glaze Mug II", variants=[
        {"sku": "MUG-T-8", "options": {"Colour": "Teal", "Capacity": "8 oz"}, "price": 9.5, "stock": 1},
        {"sku": "MUG-S-12", "options": {"Colour": "Sand", "Capacity": "12 oz"}, "price": 18, "stock": 2},
        {"sku": "MUG-S-8-NEW", "options": {"Colour": "Sand", "Capacity": "8 oz"}, "price": 11, "stock": 5},
    ], modifiers=[{"name": "Gift wrap", "price": 4.0, "group": "Wrap"}])
    summary = load_catalog(database, catalog(changed), now=NOW)  # the tee is not in this file
    assert (summary.products_updated, summary.variants_updated, summary.variants_created,
            summary.variants_retired) == (1, 2, 1, 2)
    after = rows(database)
    assert after["products"][1] == before["products"][1]  # left alone
    assert after["products"][0] == ("p1", "glaze-mug", "Glaze Mug II", 9.5, 8, ["Teal", "Sand"], [], ["gift"])
    variants = {sku: (variant_id, price, stock, ok) for variant_id, _, sku, _, price, _, stock, ok in after["variants"]}
    old_ids = {sku: variant_id for variant_id, _, sku, *_ in before["variants"]}
    assert variants["MUG-T-8"] == (old_ids["MUG-T-8"], 9.5, 1, True)  # same row, new price
    assert variants["MUG-T-12"][2:] == (0, False)  # dropped from the file: kept, no longer for sale
    assert variants["MUG-S-8-NEW"][3] is True
    assert after["modifiers"] == [(before["modifiers"][0][0], "p1", "Gift wrap", 4.0, "Wrap")]


def test_nothing_is_stored_when_part_of_a_file_cannot_go_in(database: Database) -> None:
    load_catalog(database, catalog(tee()), now=NOW)
    before = rows(database)
    stolen_sku = mug(variants=[{"sku": "TEE-S", "options": {"Colour": "Teal", "Capacity": "8 oz"}, "price": 1}],
                     options=[{"name": "Colour", "values": ["Teal"]}, {"name": "Capacity", "values": ["8 oz"]}])
    other = tee(handle="other-tee", variants=[{"sku": "OT-S", "options": {"Size": "S"}, "price": 5}],
                options=[{"name": "Size", "values": ["S"]}])
    with pytest.raises(CatalogLoadError, match="TEE-S"):
        load_catalog(database, catalog(other, stolen_sku), now=NOW)
    assert rows(database) == before


def test_the_format_refuses_inconsistent_products() -> None:
    with pytest.raises(ValidationError, match="not a value of option"):
        catalog(tee(variants=[{"sku": "X", "options": {"Size": "XL"}, "price": 1}]))
    with pytest.raises(ValidationError, match="appears twice"):
        catalog(tee(), tee(handle="tee-2"))


# --- customers ---------------------------------------------------------------------------------------------

def customers(**changes: object) -> CustomersFile:
    data = {
        "customers": [
            {"login": "Ada", "name": "Ada Lovelace", "password": "analytical engine",
             "addresses": [{"label": "home", "line1": "1 Engine Row", "city": "London", "postal_code": "N1 9GU",
                            "country": "gb", "default": True}]},
            {"login": "bo", "name": "Bo Diddley"},
        ],
        "orders": [
            {"customer": "ada", "status": "delivered", "created_at": "2026-03-01T10:00:00Z", "tracking_number": "1Z9",
             "lines": [{"sku": "MUG-T-12", "quantity": 2, "modifiers": ["gift wrap"]}, {"sku": "TEE-M"}]},
            {"customer": "bo", "status": "pending", "created_at": "2026-05-01T10:00:00Z",
             "lines": [{"sku": "TEE-S", "unit_price": 15}]},
        ],
    }
    return CustomersFile.model_validate({**data, **changes})


def test_customers_addresses_and_past_orders_load_once(database: Database) -> None:
    load_catalog(database, catalog(mug(), tee()), now=NOW)
    summary = load_customers(database, customers())
    assert (summary.customers_created, summary.addresses, summary.orders_created) == (2, 1, 2)
    again = load_customers(database, customers())
    assert (again.customers_updated, again.orders_created, again.orders_skipped) == (2, 0, 2)
    with database.sessions() as session:
        ada = session.execute(select(User).where(User.login == "ada")).scalar_one()
        assert password_matches(ada, "analytical engine")
        address = session.execute(select(Address).where(Address.user_id == ada.id)).scalar_one()
        assert (address.recipient, address.country, address.is_default) == ("Ada Lovelace", "GB", True)
        orders = session.execute(select(Order).order_by(Order.created_at)).scalars().all()
        assert [(order.status, order.total) for order in orders] == [(OrderStatus.delivered, 63.0),
                                                                    (OrderStatus.pending, 15.0)]
        first = orders[0].lines
        assert [(line.sku, line.unit_price, line.quantity, line.options, line.color, line.size) for line in first] == [
            ("MUG-T-12", 21.5, 2, {"Colour": "Teal", "Capacity": "12 oz"}, "Teal", None),
            ("TEE-M", 20.0, 1, {"Size": "M"}, None, "M")]
        assert first[0].modifiers == [{"name": "Gift wrap", "price": 3.5, "group": None}]
        assert session.get(Variant, first[0].variant_id).sku == "MUG-T-12"
        assert session.scalar(select(func.count()).select_from(Address)) == 1


def test_payment_methods_are_imported_and_updated_never_dropped(database: Database) -> None:
    """Labels and last digits only; a re-import updates a gift card's balance and the default in place, and a
    method the file no longer lists stays, since orders may point at it."""
    load_catalog(database, catalog(tee()), now=NOW)
    wallet = [{"kind": "card", "label": "Visa", "last_digits": "4242", "default": True},
              {"kind": "gift_card", "label": "Gift card", "last_digits": "7890", "balance": 50}]
    ada = {"login": "ada", "name": "Ada Lovelace", "payment_methods": wallet}
    delivered = {"customer": "ada", "status": "return requested", "created_at": "2026-03-01T10:00:00Z",
                 "lines": [{"sku": "TEE-M"}]}
    summary = load_customers(database, customers(customers=[ada], orders=[delivered]))
    assert (summary.payment_methods, summary.orders_created) == (2, 1)
    ada["payment_methods"] = [{"kind": "gift_card", "label": "Gift card", "last_digits": "7890", "balance": 20,
                               "default": True}]
    load_customers(database, customers(customers=[ada], orders=[]))
    with database.sessions() as session:
        methods = session.execute(select(PaymentMethod).order_by(PaymentMethod.id)).scalars().all()
        order = session.execute(select(Order)).scalar_one()
    assert [(m.kind.value, m.last_digits, m.balance, m.is_default) for m in methods] == [
        ("card", "4242", None, False), ("gift_card", "7890", 20.0, True)]
    assert (order.status, order.delivered_at.replace(tzinfo=UTC)) == (OrderStatus.return_requested,
                                                                      datetime(2026, 3, 1, 10, tzinfo=UTC))
    with pytest.raises(ValidationError, match="balance"):
        customers(customers=[{**ada, "payment_methods": [{"kind": "card", "label": "Visa", "balance": 5}]}])


def test_an_unknown_sku_stores_no_customer(database: Database) -> None:
    load_catalog(database, catalog(tee()), now=NOW)
    broken = customers(orders=[{"customer": "bo", "created_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "NOPE"}]}])
    with pytest.raises(CatalogLoadError, match="NOPE"):
        load_customers(database, broken)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
