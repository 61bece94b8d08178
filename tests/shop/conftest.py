"""Fixtures for the reference shop tests: the API over a fresh copy of the small seeded shop.

The seeded template (300 products, 20 customers, seed 7) and its per-test copy come from the project's
``tests/conftest.py`` (``data_dir``), so tests may change stock, carts and orders freely.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shop.api import create_shop_app
from shop.auth import DEMO_LOGIN, start_session
from shop.db import Database
from shop.models import Order, Product, User
from shop.vectors import TextEncoder, get_encoder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    yield database
    database.engine.dispose()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_shop_app(db)) as test_client:
        yield test_client


class ShopState:
    """Direct access to the test database, to arrange a scene and to check the API against the rows."""

    def __init__(self, db: Database, client: TestClient) -> None:
        self.db = db
        self.client = client

    def login(self, login: str) -> dict[str, str]:
        """Authorization headers for a seeded customer: ``demo`` through the demo login (POST /login), anyone
        else through a session made in the database, as a password sign-in would (seeded customers have no
        password; password sign-in itself is tested in test_shop_auth.py)."""
        if login == DEMO_LOGIN:
            response = self.client.post("/login", json={"login": login})
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}
        with self.db.session() as session:
            user = session.execute(select(User).where(User.login == login)).scalar_one()
            token, _ = start_session(session, user, timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    def product(self, product_id: str) -> Product:
        """A fresh read of one product straight from the database (not through the API)."""
        with self.db.session() as session:
            product = session.get(Product, product_id)
            assert product is not None
            return product

    def products(self) -> list[Product]:
        with self.db.session() as session:
            return list(session.execute(select(Product).order_by(Product.id)).scalars())

    def set_stock(self, product_id: str, stock: int) -> None:
        """All ``stock`` units in the product's first variant, none in the others (the product's total agrees)."""
        with self.db.session() as session:
            product = session.get(Product, product_id)
            product.stock = stock
            for position, variant in enumerate(product.variants):
                variant.stock = stock if position == 0 else 0

    def order_count(self) -> int:
        with self.db.session() as session:
            return len(session.execute(select(Order.id)).all())

    def pick(self, *, min_stock: int = 1, colors: bool | None = None, sizes: bool | None = None,
             exclude: tuple[str, ...] = ()) -> Product:
        """The cheapest product with at least ``min_stock`` units and (no) colors/sizes as asked; one with
        neither has no options at all (a single variant)."""
        for product in sorted(self.products(), key=lambda product: (product.price, product.id)):
            if product.id in exclude or product.stock < min_stock:
                continue
            if colors is False and sizes is False and len(product.variants) != 1:
                continue
            if colors is not None and bool(product.colors) != colors:
                continue
            if sizes is not None and bool(product.sizes) != sizes:
                continue
            return product
        raise AssertionError("the seeded catalog has no such product")


@pytest.fixture
def state(db: Database, client: TestClient) -> ShopState:
    return ShopState(db, client)


@pytest.fixture
def demo(state: ShopState) -> dict[str, str]:
    return state.login("demo")


@pytest.fixture
def other_customer(db: Database) -> str:
    """Login of a seeded customer other than demo who has past orders."""
    with db.session() as session:
        return session.execute(
            select(User.login).join(Order, Order.user_id == User.id).where(User.login != "demo")
            .order_by(User.id).limit(1)
        ).scalar_one()


@pytest.fixture(scope="session")
def encoder() -> TextEncoder:
    """The real sentence encoder (dense search, help center), loaded once."""
    return get_encoder()
