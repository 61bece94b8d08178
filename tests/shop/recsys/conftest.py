"""A small hand-made shop for the recommender tests: clear co-purchase patterns, one brand-new product.

Built directly with ``shop.db.Database`` and the ORM models (not the seeder), in a temporary SQLite file,
so every expectation below follows from rows the tests can read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.db import Database
from shop.models import CartLine, Order, OrderLine, OrderStatus, Product, User, Variant
from shop.recsys.service import Recommender, RecommenderOptions
from shop.search import ensure_search_index

# id, name, category, description
PRODUCTS = [
    ("p1", "Barista Pro Espresso Machine", "Coffee Makers",
     "A 15-bar pump espresso machine with a steam wand for lattes and cappuccinos."),
    ("p2", "Precision Burr Coffee Grinder", "Kitchen Appliances",
     "Conical burr grinder with 40 grind settings, from fine espresso to coarse French press."),
    ("p3", "Drip Coffee Maker 12-Cup", "Coffee Makers", "Programmable drip coffee maker with a thermal carafe."),
    ("p4", "Milk Frothing Pitcher", "Cookware", "Stainless steel milk jug for steaming milk and latte art."),
    ("p5", "Expandable Garden Hose 50 ft", "Gardening",
     "Lightweight expandable hose with a spray nozzle for watering the garden."),
    ("p6", "Bypass Pruning Shears", "Gardening", "Sharp steel pruning shears for cutting branches and shrubs."),
    ("p7", "Leather Garden Gloves", "Gardening", "Thorn-proof gloves for gardening and pruning roses."),
    ("p8", "Wireless Noise Cancelling Headphones", "Headphones",
     "Over-ear Bluetooth headphones with active noise cancelling and a 30-hour battery."),
    ("p9", "Sport Wireless Earbuds", "Headphones", "Sweat-resistant wireless earbuds for running and workouts."),
    ("p10", "Trail Running Shoe", "Running Shoes", "Grippy trail running shoe with a rock plate for mountain trails."),
    ("p11", "Road Running Shoe", "Running Shoes", "Cushioned road running shoe for daily training and marathons."),
    ("p12", "Non-Slip Yoga Mat", "Fitness Equipment", "A 6 mm thick non-slip yoga mat for home workouts."),
    ("p13", "Portable Bluetooth Speaker", "Speakers", "Waterproof portable speaker with deep bass for the beach."),
    ("p14", "The Silent Orbit", "Books", "A science fiction novel about a lost space station."),
    # Nobody has bought this one yet: only its text can connect it to anything.
    ("p20", "Compact Home Espresso Maker", "Coffee Makers",
     "A small 15-bar espresso maker with a milk frother for cappuccino and latte at home."),
]

# customer login -> orders (oldest first), each a list of product ids
ORDERS = {
    "coffee1": [["p1", "p2"]], "coffee2": [["p1"], ["p2", "p4"]], "coffee3": [["p2", "p1"]],
    "coffee4": [["p1", "p2", "p9"]], "coffee5": [["p3"], ["p1", "p2"]],
    "garden1": [["p5", "p6"]], "garden2": [["p6", "p7"], ["p5"]], "garden3": [["p5", "p6", "p7"]],
    "garden4": [["p5"], ["p6", "p9"]],
    "runner1": [["p10", "p9"]], "runner2": [["p11", "p9"]], "runner3": [["p10"], ["p9", "p12"]],
    "runner4": [["p11", "p12"]],
    "espresso_fan": [["p14"], ["p1"]],  # latest order: the espresso machine
    "newbie": [],  # no orders at all
}


@dataclass(frozen=True)
class SmallShop:
    database: Database
    users: dict[str, int]  # login -> user id

    def session(self) -> Session:
        return self.database.sessions()


def _build(path: Path) -> SmallShop:
    database = Database(f"sqlite:///{path}")
    database.create_schema()
    ensure_search_index(database.engine)  # before the inserts: its triggers index every product
    start = datetime(2025, 1, 1, tzinfo=UTC)
    users: dict[str, int] = {}
    with database.session() as session:
        for product_id, name, category, description in PRODUCTS:
            session.add(Product(id=product_id, name=name, brand="Acme", category=category, description=description,
                                price=20.0, rating=4.0, review_count=10, stock=25, colors=[], sizes=[]))
            session.add(Variant(product_id=product_id, position=0, sku=product_id, price=20.0, stock=25))
        session.flush()
        for number, (login, orders) in enumerate(ORDERS.items()):
            user = User(login=login, name=login.title())
            session.add(user)
            session.flush()
            users[login] = user.id
            for position, product_ids in enumerate(orders):
                created = start + timedelta(days=10 * position, hours=number)
                order = Order(user_id=user.id, status=OrderStatus.delivered, total=20.0 * len(product_ids),
                              created_at=created, updated_at=created)
                order.lines = [OrderLine(product_id=pid, name=pid, unit_price=20.0, quantity=1) for pid in product_ids]
                session.add(order)
    return SmallShop(database, users)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SmallShop]:
    small_shop = _build(tmp_path / "shop.db")
    yield small_shop
    small_shop.database.engine.dispose()


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by every test: each product text is encoded once for the whole run."""
    return tmp_path_factory.mktemp("embeddings") / "cache.npz"


@pytest.fixture
def recommender(embedding_cache: Path) -> Iterator[Recommender]:
    """The real recommender (real encoder), without the schedule: tests trigger refits themselves."""
    instance = Recommender(RecommenderOptions(refit_interval_s=0, embedding_cache=embedding_cache))
    yield instance
    instance.stop()
    instance.wait_for_refit()


def place_order(session: Session, user_id: int, product_ids: list[str], status: OrderStatus = OrderStatus.pending,
                when: datetime | None = None) -> None:
    when = when or datetime.now(UTC)
    order = Order(user_id=user_id, status=status, total=20.0 * len(product_ids), created_at=when, updated_at=when)
    order.lines = [OrderLine(product_id=pid, name=pid, unit_price=20.0, quantity=1) for pid in product_ids]
    session.add(order)
    session.commit()


def add_to_cart(session: Session, user_id: int, product_id: str) -> None:
    variant = session.execute(select(Variant).where(Variant.product_id == product_id)).scalar_one()
    session.add(CartLine(user_id=user_id, product_id=product_id, variant_id=variant.id, quantity=1))
    session.commit()


def set_stock(session: Session, product_id: str, stock: int) -> None:
    product = session.get(Product, product_id)
    assert product is not None
    product.stock = stock
    for variant in product.variants:
        variant.stock = stock
    session.commit()
