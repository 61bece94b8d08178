"""Load a catalog (:class:`~shop.catalog.format.CatalogFile`) or customers into the shop database.

One transaction per call, so a file goes in whole or not at all. Products are matched by handle and
variants by SKU: loading the same file twice leaves the same rows, a changed file updates them, and a
product the file does not mention is left alone. A variant of a loaded product that the file no longer
lists is kept (cart and order lines may point at it) but made unavailable with no stock. New products get
the next free ids ``p<n>``. Rows go in with Core ``executemany``, so a seed of thousands of products is quick.

Derived product columns, one rule each: ``price`` is the cheapest available variant's (the cheapest at all
when none is), ``stock`` the sum over available variants, ``colors``/``sizes`` the values of the options
named Color/Colour and Size. An unpublished product's variants are all unavailable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from shop.auth import hash_password
from shop.catalog.format import CatalogFile, CustomersFile, CustomerSpec, ProductSpec
from shop.db import WRITE_LOCK, Database
from shop.models import (Address, Modifier, Order, OrderLine, OrderStatus, PaymentKind, PaymentMethod, Product,
                         ProductOption, User, Variant)

DELIVERED_STATES = (OrderStatus.delivered, OrderStatus.returned, OrderStatus.return_requested,
                    OrderStatus.exchange_requested)

COLOR_OPTIONS = frozenset({"color", "colour"})
SIZE_OPTIONS = frozenset({"size"})
IN_CHUNK = 500  # keys per "IN (...)" query: well under every backend's bound-parameter limit
PRODUCT_ID = re.compile(r"^p(\d+)$")


class CatalogLoadError(ValueError):
    """The file cannot go in as a whole; nothing of it was stored."""


@dataclass
class CatalogLoadSummary:
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_retired: int = 0  # listed before, not in this file: now unavailable
    product_ids: tuple[str, ...] = ()  # of the file's products, in file order


@dataclass
class CustomersLoadSummary:
    customers_created: int = 0
    customers_updated: int = 0
    addresses: int = 0
    payment_methods: int = 0
    orders_created: int = 0
    orders_skipped: int = 0  # already there (same customer and created_at): a re-import


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start:start + IN_CHUNK]


def option_values(spec_options: Iterable[tuple[str, list[str]]], names: frozenset[str]) -> list[str]:
    """The values of the first option whose name is one of ``names`` (any case); [] when none is."""
    return next((list(values) for name, values in spec_options if name.casefold() in names), [])


def named_value(options: Mapping[str, str], names: frozenset[str]) -> str | None:
    """A variant's value for the option whose name is one of ``names`` (any case), if it has one."""
    return next((value for name, value in options.items() if name.casefold() in names), None)


def _sellable(product: ProductSpec) -> list[bool]:
    return [variant.available and product.published for variant in product.variants]


def _product_row(product: ProductSpec, product_id: str, now: datetime) -> dict[str, Any]:
    sellable = _sellable(product)
    prices = [variant.price for variant, ok in zip(product.variants, sellable) if ok] or \
        [variant.price for variant in product.variants]
    options = [(option.name, option.values) for option in product.options]
    return {
        "b_id": product_id, "handle": product.handle, "name": product.title, "brand": product.vendor,
        "category": product.category, "description": product.description, "tags": list(product.tags),
        "price": min(prices), "rating": product.rating, "review_count": product.review_count,
        "stock": sum(variant.stock for variant, ok in zip(product.variants, sellable) if ok),
        "colors": option_values(options, COLOR_OPTIONS), "sizes": option_values(options, SIZE_OPTIONS),
        "published": product.published, "updated_at": now,
    }


def _variant_row(product: ProductSpec, product_id: str, position: int) -> dict[str, Any]:
    variant = product.variants[position]
    return {"product_id": product_id, "position": position, "sku": variant.sku, "options": dict(variant.options),
            "price": variant.price, "compare_at_price": variant.compare_at_price, "stock": variant.stock,
            "available": variant.available and product.published}


def _next_product_number(connection: Connection) -> int:
    numbers = (PRODUCT_ID.match(product_id) for product_id in connection.execute(select(Product.id)).scalars())
    return max((int(match.group(1)) for match in numbers if match), default=0) + 1


@contextmanager
def _write_transaction(db: Database) -> Iterator[Connection]:
    with db.engine.connect() as connection:
        connection.execution_options(**{WRITE_LOCK: True})  # SQLite: BEGIN IMMEDIATE, no reader-turned-writer race
        with connection.begin():
            yield connection


def load_catalog(db: Database, catalog: CatalogFile, *, now: datetime | None = None) -> CatalogLoadSummary:
    """Upsert ``catalog`` by handle and SKU in one transaction (see the module docstring for the rules)."""
    now = now or datetime.now(UTC)
    with _write_transaction(db) as connection:
        return _load_catalog(connection, catalog, now)


def _load_catalog(connection: Connection, catalog: CatalogFile, now: datetime) -> CatalogLoadSummary:
    summary = CatalogLoadSummary()
    products = catalog.products
    existing: dict[str, str] = {}
    for chunk in _chunks([product.handle for product in products]):
        existing.update(connection.execute(select(Product.handle, Product.id).where(Product.handle.in_(chunk))).all())
    known_skus: dict[str, tuple[int, str]] = {}
    all_skus = [variant.sku for product in products for variant in product.variants]
    for chunk in _chunks(all_skus):
        for variant_id, sku, product_id in connection.execute(
                select(Variant.id, Variant.sku, Variant.product_id).where(Variant.sku.in_(chunk))):
            known_skus[sku] = (variant_id, product_id)

    next_number = _next_product_number(connection)
    ids: list[str] = []
    for product in products:
        if product.handle in existing:
            ids.append(existing[product.handle])
        else:
            ids.append(f"p{next_number}")
            next_number += 1
    for product, product_id in zip(products, ids, strict=True):
        for variant in product.variants:
            owner = known_skus.get(variant.sku, (None, product_id))[1]
            if owner != product_id:
                raise CatalogLoadError(f"product {product.handle!r}: SKU {variant.sku!r} already belongs to "
                                       f"product {owner}; a SKU cannot move to another product")

    new_rows, changed_rows = [], []
    for product, product_id in zip(products, ids, strict=True):
        row = _product_row(product, product_id, now)
        if product.handle in existing:
            changed_rows.append(row)
        else:
            new_rows.append({**{key: value for key, value in row.items() if key != "b_id"}, "id": product_id,
                             "created_at": now})
    if new_rows:
        connection.execute(insert(Product), new_rows)
    if changed_rows:
        columns = {key: bindparam(key) for key in changed_rows[0] if key != "b_id"}
        connection.execute(update(Product.__table__).where(Product.__table__.c.id == bindparam("b_id"))
                           .values(columns), changed_rows)
    summary.products_created, summary.products_updated = len(new_rows), len(changed_rows)
    summary.product_ids = tuple(ids)

    changed_ids = [row["b_id"] for row in changed_rows]
    for chunk in _chunks(changed_ids):  # options and modifiers are re-read whole; nothing points at options
        connection.execute(delete(ProductOption).where(ProductOption.product_id.in_(chunk)))
    option_rows = [{"product_id": product_id, "position": position, "name": option.name,
                    "values": list(option.values)}
                   for product, product_id in zip(products, ids) for position, option in enumerate(product.options)]
    if option_rows:
        connection.execute(insert(ProductOption), option_rows)

    insert_variants, update_variants = [], []
    for product, product_id in zip(products, ids, strict=True):
        for position, variant in enumerate(product.variants):
            row = _variant_row(product, product_id, position)
            if variant.sku in known_skus:
                update_variants.append({**row, "b_id": known_skus[variant.sku][0]})
            else:
                insert_variants.append(row)
    if insert_variants:
        connection.execute(insert(Variant), insert_variants)
    if update_variants:
        columns = {key: bindparam(key) for key in update_variants[0] if key not in ("b_id", "product_id", "sku")}
        connection.execute(update(Variant.__table__).where(Variant.__table__.c.id == bindparam("b_id"))
                           .values(columns), update_variants)
    summary.variants_created, summary.variants_updated = len(insert_variants), len(update_variants)
    file_skus = set(all_skus)
    for chunk in _chunks(changed_ids):
        stale = [variant_id for variant_id, sku in connection.execute(
            select(Variant.id, Variant.sku).where(Variant.product_id.in_(chunk))) if sku not in file_skus]
        if stale:
            connection.execute(update(Variant).where(Variant.id.in_(stale)).values(available=False, stock=0))
            summary.variants_retired += len(stale)

    _load_modifiers(connection, products, ids, changed_ids)
    return summary


def _load_modifiers(connection: Connection, products: Sequence[ProductSpec], ids: Sequence[str],
                    changed_ids: Sequence[str]) -> None:
    """Modifiers by (product, name): kept ids for the names still listed, so cart lines keep theirs."""
    known: dict[tuple[str, str], int] = {}
    for chunk in _chunks(list(changed_ids)):
        for modifier_id, product_id, name in connection.execute(
                select(Modifier.id, Modifier.product_id, Modifier.name).where(Modifier.product_id.in_(chunk))):
            known[(product_id, name)] = modifier_id
    inserts, updates, listed = [], [], set()
    for product, product_id in zip(products, ids, strict=True):
        for position, modifier in enumerate(product.modifiers):
            row = {"product_id": product_id, "position": position, "name": modifier.name, "price": modifier.price,
                   "group": modifier.group}
            key = (product_id, modifier.name)
            listed.add(key)
            if key in known:
                updates.append({"b_id": known[key], "position": position, "price": modifier.price,
                                "group": modifier.group})
            else:
                inserts.append(row)
    if inserts:
        connection.execute(insert(Modifier), inserts)
    if updates:
        table = Modifier.__table__
        connection.execute(update(table).where(table.c.id == bindparam("b_id"))
                           .values(position=bindparam("position"), price=bindparam("price"),
                                   group=bindparam("group")), updates)
    gone = [modifier_id for key, modifier_id in known.items() if key not in listed]
    for chunk in _chunks(gone):
        connection.execute(delete(Modifier).where(Modifier.id.in_(chunk)))


# --- customers ---------------------------------------------------------------------------------------------

def _load_payment_methods(connection: Connection, user_id: int, customer: CustomerSpec) -> int:
    """Upsert the customer's payment methods by kind, label and last digits; none is deleted, because orders
    point at the method that paid them. The file's default becomes the only default."""
    known = {(row.kind, row.label, row.last_digits): row.id for row in connection.execute(
        select(PaymentMethod.kind, PaymentMethod.label, PaymentMethod.last_digits, PaymentMethod.id)
        .where(PaymentMethod.user_id == user_id))}
    if any(method.is_default for method in customer.payment_methods):
        connection.execute(update(PaymentMethod).where(PaymentMethod.user_id == user_id).values(is_default=False))
    for method in customer.payment_methods:
        values = {"balance": method.balance, "is_default": method.is_default}
        existing = known.get((PaymentKind(method.kind), method.label, method.last_digits))
        if existing is None:
            connection.execute(insert(PaymentMethod).values(user_id=user_id, kind=PaymentKind(method.kind),
                                                            label=method.label, last_digits=method.last_digits,
                                                            **values))
        else:
            connection.execute(update(PaymentMethod).where(PaymentMethod.id == existing).values(values))
    return len(customer.payment_methods)


def load_customers(db: Database, customers: CustomersFile) -> CustomersLoadSummary:
    """Upsert customers by login (name, password when given, addresses replaced) and add their past orders.

    One transaction. A past order is the customer's order at its ``created_at``: re-importing it is skipped.
    Order lines name variants by SKU and are priced at the SKU's price plus modifiers unless the file gives
    ``unit_price``. An unknown SKU, modifier or login is an error that stores nothing.
    """
    # argon2 is slow on purpose: hash before taking the write lock.
    hashes = {customer.login: hash_password(customer.password) for customer in customers.customers
              if customer.password is not None}
    summary = CustomersLoadSummary()
    with _write_transaction(db) as connection:
        _load_customers(connection, customers, hashes, summary)
    return summary


def _load_customers(connection: Connection, customers: CustomersFile, hashes: dict[str, str],
                    summary: CustomersLoadSummary) -> None:
    logins = [customer.login for customer in customers.customers]
    users: dict[str, int] = {}
    for chunk in _chunks(logins + [order.customer for order in customers.orders]):
        users.update(connection.execute(select(User.login, User.id).where(User.login.in_(chunk))).all())
    for customer in customers.customers:
        values: dict[str, Any] = {"name": customer.name}
        if customer.login in hashes:
            values["password_hash"] = hashes[customer.login]
        if customer.login in users:
            connection.execute(update(User).where(User.id == users[customer.login]).values(values))
            summary.customers_updated += 1
        else:
            users[customer.login] = connection.execute(
                insert(User).values(login=customer.login, **values).returning(User.id)).scalar_one()
            summary.customers_created += 1
        connection.execute(delete(Address).where(Address.user_id == users[customer.login]))
        rows = [{"user_id": users[customer.login], "recipient": address.recipient or customer.name,
                 **address.model_dump(exclude={"recipient"})} for address in customer.addresses]
        if rows:
            connection.execute(insert(Address), rows)
        summary.addresses += len(rows)
        summary.payment_methods += _load_payment_methods(connection, users[customer.login], customer)

    skus = sorted({line.sku for order in customers.orders for line in order.lines})
    variants: dict[str, Any] = {}
    for chunk in _chunks(skus):
        for row in connection.execute(select(Variant.id, Variant.sku, Variant.product_id, Variant.options,
                                             Variant.price, Product.name)
                                      .join(Product, Product.id == Variant.product_id).where(Variant.sku.in_(chunk))):
            variants[row.sku] = row
    modifiers: dict[tuple[str, str], Any] = {}
    for chunk in _chunks(sorted({row.product_id for row in variants.values()})):
        for row in connection.execute(select(Modifier).where(Modifier.product_id.in_(chunk))).mappings():
            modifiers[(row["product_id"], row["name"].casefold())] = row
    for number, order in enumerate(customers.orders, start=1):
        if order.customer not in users:
            raise CatalogLoadError(f"order {number}: no customer with login {order.customer!r}")
        user_id = users[order.customer]
        if connection.execute(select(Order.id).where(Order.user_id == user_id,
                                                      Order.created_at == order.created_at)).first():
            summary.orders_skipped += 1
            continue
        lines = []
        for line in order.lines:
            variant = variants.get(line.sku)
            if variant is None:
                raise CatalogLoadError(f"order {number}: no variant with SKU {line.sku!r}")
            chosen = []
            for name in line.modifiers:
                modifier = modifiers.get((variant.product_id, name.casefold()))
                if modifier is None:
                    raise CatalogLoadError(f"order {number}: SKU {line.sku!r} has no modifier {name!r}")
                chosen.append({"name": modifier["name"], "price": modifier["price"], "group": modifier["group"]})
            unit_price = line.unit_price if line.unit_price is not None else \
                round(variant.price + sum(modifier["price"] for modifier in chosen), 2)
            lines.append({"product_id": variant.product_id, "name": variant.name, "unit_price": unit_price,
                          "quantity": line.quantity, "variant_id": variant.id, "sku": variant.sku,
                          "options": dict(variant.options), "modifiers": chosen,
                          "color": named_value(variant.options, COLOR_OPTIONS),
                          "size": named_value(variant.options, SIZE_OPTIONS)})
        status = OrderStatus(order.status)
        # Without a delivery date in the file, a delivered order counts as delivered when it was placed.
        delivered = order.created_at if status in DELIVERED_STATES else None
        order_id = connection.execute(insert(Order).values(
            user_id=user_id, status=status, tracking_number=order.tracking_number,
            total=round(sum(line["unit_price"] * line["quantity"] for line in lines), 2),
            created_at=order.created_at, updated_at=order.created_at, delivered_at=delivered).returning(Order.id)
        ).scalar_one()
        connection.execute(insert(OrderLine), [{**line, "order_id": order_id} for line in lines])
        summary.orders_created += 1
