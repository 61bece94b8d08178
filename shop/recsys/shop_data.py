"""Read what the recommender learns from out of the shop database: the catalogue and each customer's
orders and cart, in time order.

Signals: a product in an order that was not cancelled or returned counts 1; a cart line counts
``cart_strength`` (interest, not yet a purchase). Cancelled orders say nothing; returned ones say "not
for me", so they are no positive signal, but their products are still never recommended back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from shop.models import CartLine, Order, OrderLine, OrderStatus, Product
from shop.recsys.catalog import CatalogItem
from shop.recsys.embeddings import product_text

NOT_A_SIGNAL = (OrderStatus.cancelled, OrderStatus.returned)


@dataclass
class CustomerActivity:
    """One customer's events (product id, strength), oldest first, and what not to recommend them."""

    events: list[tuple[str, float]] = field(default_factory=list)
    purchased: set[str] = field(default_factory=set)  # in any order that was not cancelled (returns included)
    latest_order: set[str] = field(default_factory=set)  # the newest order that was not cancelled
    in_cart: set[str] = field(default_factory=set)

    def exclusions(self, all_purchased: bool) -> set[str]:
        """Products never to recommend: the cart, the latest order and (by default) everything bought before."""
        bought = self.purchased if all_purchased else self.latest_order
        return bought | self.in_cart


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything the shop stores is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _build(order_rows: Iterable[Row], cart_rows: Iterable[Row], cart_strength: float) -> dict[int, CustomerActivity]:
    """Merge order lines and cart lines per customer in time order."""
    timed: dict[int, list[tuple[datetime, int, str, float]]] = defaultdict(list)
    activity: dict[int, CustomerActivity] = defaultdict(CustomerActivity)
    latest: dict[int, tuple[datetime, int]] = {}
    for row in order_rows:
        created = _utc(row.created_at)
        if row.status is OrderStatus.cancelled:
            continue
        customer = activity[row.user_id]
        customer.purchased.add(row.product_id)
        if row.user_id not in latest or (created, row.order_id) > latest[row.user_id]:
            latest[row.user_id] = (created, row.order_id)
            customer.latest_order = set()
        if latest[row.user_id][1] == row.order_id:
            customer.latest_order.add(row.product_id)
        if row.status not in NOT_A_SIGNAL:
            timed[row.user_id].append((created, row.line_id, row.product_id, 1.0))
    for row in cart_rows:
        activity[row.user_id].in_cart.add(row.product_id)
        timed[row.user_id].append((_utc(row.added_at), row.line_id, row.product_id, cart_strength))
    for user_id, events in timed.items():
        events.sort(key=lambda event: (event[0], event[1]))
        activity[user_id].events = [(product_id, strength) for _, _, product_id, strength in events]
    return dict(activity)


def _order_rows(session: Session, user_id: int | None) -> Iterable[Row]:
    statement = (
        select(Order.user_id, Order.id.label("order_id"), Order.status, Order.created_at,
               OrderLine.id.label("line_id"), OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .order_by(Order.created_at, Order.id, OrderLine.id)
    )
    if user_id is not None:
        statement = statement.where(Order.user_id == user_id)
    return session.execute(statement).all()


def _cart_rows(session: Session, user_id: int | None) -> Iterable[Row]:
    statement = select(CartLine.user_id, CartLine.id.label("line_id"), CartLine.product_id, CartLine.added_at)
    if user_id is not None:
        statement = statement.where(CartLine.user_id == user_id)
    return session.execute(statement).all()


def load_activity(session: Session, user_id: int, cart_strength: float) -> CustomerActivity:
    """One customer's current activity (two small indexed queries; read on every request, so always fresh)."""
    return _build(_order_rows(session, user_id), _cart_rows(session, user_id), cart_strength).get(
        user_id, CustomerActivity()
    )


def load_all_activity(session: Session, cart_strength: float) -> dict[int, CustomerActivity]:
    """Every customer's activity, for a fit."""
    return _build(_order_rows(session, None), _cart_rows(session, None), cart_strength)


def load_catalog(session: Session) -> tuple[list[CatalogItem], list[str]]:
    """All products as model items (sorted by id for a stable layout) and the texts to embed them from."""
    rows = session.execute(
        select(Product.id, Product.name, Product.brand, Product.category, Product.description,
               Product.rating, Product.review_count).order_by(Product.id)
    ).all()
    items = [
        CatalogItem(id=row.id, name=row.name, category=row.category,
                    prior=float(row.rating or 0.0) * math.log1p(row.review_count or 0))
        for row in rows
    ]
    texts = [product_text(row.name, row.category, row.brand, row.description or "") for row in rows]
    return items, texts


def data_signature(session: Session) -> tuple[object, ...]:
    """Changes whenever products, orders or carts change: a scheduled refit skips an unchanged shop."""
    return (
        *session.execute(select(func.count(Product.id), func.max(Product.updated_at))).one(),
        *session.execute(select(func.count(Order.id), func.max(Order.updated_at))).one(),
        *session.execute(select(func.count(CartLine.id), func.max(CartLine.added_at))).one(),
    )
