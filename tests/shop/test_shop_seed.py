"""The seeder: determinism, catalog coverage, customers with history, and the CLI."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shop.db import Database
from shop.auth import password_matches
from shop.models import (Address, CartLine, Order, OrderLine, OrderStatus, PaymentMethod, Product,
                         RefundState, User, UserRole)
from shop.search import CatalogSearch, parse_query
from shop.seed import SeedError, main, seed_database

# The contract every helper relies on (see the project brief): exact names.
CATEGORIES = {
    "Running Shoes", "Sneakers", "Headphones", "Speakers", "Laptops", "Smartphones", "Smartwatches", "Jackets",
    "T-Shirts", "Jeans", "Backpacks", "Cookware", "Coffee Makers", "Kitchen Appliances", "Skincare", "Makeup",
    "Hair Care", "Gardening", "Toys", "Fitness Equipment", "Smart Home", "Books",
}
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PRODUCT_COLUMNS = ("id", "name", "brand", "category", "description", "price", "rating", "review_count", "stock",
                   "colors", "sizes")


def seeded(path: Path, **kwargs) -> Database:
    database = Database(f"sqlite:///{path}")
    seed_database(database, now=NOW, **kwargs)
    return database


def snapshot(database: Database) -> tuple[list[tuple], list[tuple], list[tuple]]:
    with database.session() as session:
        products = [(*(getattr(p, c) for c in PRODUCT_COLUMNS),
                     [(v.sku, v.options, v.price, v.stock) for v in p.variants], [m.name for m in p.modifiers])
                    for p in session.execute(select(Product).order_by(Product.id)).scalars()]
        users = session.execute(select(User.id, User.login, User.name, User.role).order_by(User.id)).all()
        orders = session.execute(select(Order.id, Order.user_id, Order.status, Order.total, Order.tracking_number,
                                        Order.created_at).order_by(Order.id)).all()
    return products, [tuple(u) for u in users], [tuple(o) for o in orders]


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    first = snapshot(seeded(tmp_path / "a.db", products=120, customers=10, seed=3))
    second = snapshot(seeded(tmp_path / "b.db", products=120, customers=10, seed=3))
    other = snapshot(seeded(tmp_path / "c.db", products=120, customers=10, seed=4))
    assert first == second
    assert first[0] != other[0] and first[2] != other[2]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Database:
    return seeded(tmp_path_factory.mktemp("seed") / "shop.db", products=2000, customers=60, seed=7)


def test_catalog_covers_every_category_with_plausible_rows(catalog: Database) -> None:
    with catalog.session() as session:
        products = session.execute(select(Product)).scalars().all()
    assert len(products) == 2000
    assert sorted(int(p.id.removeprefix("p")) for p in products) == list(range(1, 2001))
    per_category = Counter(p.category for p in products)
    assert set(per_category) == CATEGORIES
    assert min(per_category.values()) >= 40
    assert 0.03 <= sum(p.stock == 0 for p in products) / len(products) <= 0.08
    assert all(1.0 <= p.rating <= 5.0 and p.price > 0 and p.review_count >= 0 for p in products)
    assert all(1 <= p.description.count(".") and len(p.description) > 30 for p in products)
    assert len({p.name for p in products}) > 1000
    shoes = [p for p in products if p.category == "Running Shoes"]
    assert all(p.sizes and p.colors for p in shoes)
    assert all(set(p.sizes) <= {"XS", "S", "M", "L", "XL", "XXL"} for p in products if p.category == "T-Shirts")
    laptops = [p.price for p in products if p.category == "Laptops"]
    tees = [p.price for p in products if p.category == "T-Shirts"]
    assert min(laptops) > max(tees)


def test_descriptions_give_search_material(catalog: Database) -> None:
    with catalog.session() as session:
        for words in ("waterproof", "wireless", "noise cancelling", "trail running"):
            total, _ = CatalogSearch().search_products(session, parse_query(words))
            assert total > 0, words


def test_demo_customer_history(catalog: Database) -> None:
    with catalog.session() as session:
        demo = session.execute(select(User).where(User.login == "demo")).scalar_one()
        orders = session.execute(select(Order).where(Order.user_id == demo.id)).scalars().all()
        cart = session.execute(select(CartLine).where(CartLine.user_id == demo.id)).scalars().all()
    assert (demo.id, demo.name, demo.role, demo.password_hash) == (1, "Demo Customer", UserRole.customer, None)
    assert len({order.status for order in orders}) >= 5
    assert cart == []


def test_every_after_purchase_flow_can_be_tried_as_demo(catalog: Database) -> None:
    """Addresses, payment methods and orders in the states each flow needs, from the first start."""
    with catalog.session() as session:
        demo = session.execute(select(User).where(User.login == "demo")).scalar_one()
        orders = session.execute(select(Order).where(Order.user_id == demo.id).order_by(Order.id)).scalars().all()
        addresses = session.execute(select(Address).where(Address.user_id == demo.id)).scalars().all()
        methods = session.execute(select(PaymentMethod).where(PaymentMethod.user_id == demo.id)
                                  .order_by(PaymentMethod.id)).scalars().all()
        categories = {line.product_id: session.get(Product, line.product_id).category
                      for order in orders for line in order.lines}
    assert [order.status for order in orders] == [
        OrderStatus.delivered, OrderStatus.returned, OrderStatus.cancelled, OrderStatus.delivered,
        OrderStatus.shipped, OrderStatus.processing, OrderStatus.pending]
    assert sorted((a.label, a.is_default) for a in addresses) == [("home", True), ("work", False)]
    assert [(m.kind.value, m.last_digits, m.balance, m.is_default) for m in methods] == [
        ("card", "4242", None, True), ("paypal", None, None, False), ("gift_card", "7890", 250.0, False),
        ("gift_card", "1111", 5.0, False)]
    recent = orders[3]  # delivered days ago, inside the return window, with running shoes in it
    assert NOW - timedelta(days=13) <= recent.delivered_at.replace(tzinfo=UTC) <= NOW - timedelta(days=6)
    assert "Running Shoes" in {categories[line.product_id] for line in recent.lines}
    assert orders[0].delivered_at.replace(tzinfo=UTC) < NOW - timedelta(days=150)  # past the window
    assert all(order.payment_method_id == methods[0].id for order in orders)
    assert all(order.shipping_address["line1"] == "12 Orchard Lane" for order in orders)


def test_orders_are_consistent_and_show_taste(catalog: Database) -> None:
    with catalog.session() as session:
        users = session.execute(select(User)).scalars().all()
        orders = session.execute(select(Order)).scalars().all()
        categories = dict(session.execute(select(Product.id, Product.category)).all())
        lines = session.execute(select(OrderLine)).scalars().all()
    assert len(users) == 61 and len({u.login for u in users}) == 61  # 60 customers and the owner
    assert all(u.login == u.login.lower() and " " not in u.login for u in users)
    # No seeded customer can sign in with a password until one is set; nothing derives a credential.
    assert [u.login for u in users if u.role is UserRole.owner] == ["owner"]
    assert all(u.password_hash is None for u in users if u.role is UserRole.customer)
    assert {order.status for order in orders} == set(OrderStatus)
    for order in orders:
        assert order.payment_method.user_id == order.user_id and order.shipping_address["recipient"]
        if order.status is OrderStatus.return_requested:
            assert all(line.returned_quantity == line.quantity for line in order.lines)
            assert [(t.reason, t.amount, t.state) for t in order.transactions] == [
                ("return", order.total, RefundState.awaiting_items)]
        if order.status is OrderStatus.exchange_requested:
            swapped = [line for line in order.lines if line.exchange]
            assert swapped and all(line.exchange["sku"] != line.sku for line in swapped)
    for order in orders:
        assert order.lines and 0 < order.total == round(sum(line.unit_price * line.quantity for line in order.lines), 2)
        has_tracking = order.status in (OrderStatus.shipped, OrderStatus.delivered, OrderStatus.returned,
                                        OrderStatus.return_requested, OrderStatus.exchange_requested)
        assert bool(order.tracking_number) == has_tracking
        created = order.created_at.replace(tzinfo=UTC)
        assert NOW - timedelta(days=366) <= created <= NOW
    # Taste: a customer's most bought category takes a far larger share than 1 in 22.
    by_user: dict[int, Counter] = {}
    order_user = {order.id: order.user_id for order in orders}
    for line in lines:
        by_user.setdefault(order_user[line.order_id], Counter())[categories[line.product_id]] += 1
    shares = [counter.most_common(1)[0][1] / sum(counter.values())
              for counter in by_user.values() if sum(counter.values()) >= 6]
    assert shares and sum(shares) / len(shares) > 0.4


def test_refuses_a_seeded_database_without_reset(tmp_path: Path) -> None:
    database = seeded(tmp_path / "shop.db", products=30, customers=3)
    with pytest.raises(SeedError, match="--reset"):
        seed_database(database, products=30, customers=3)
    seed_database(database, products=40, customers=3, reset=True)
    with database.session() as session:
        assert len(session.execute(select(Product.id)).all()) == 40


def owner(database: Database) -> User:
    with database.session() as session:
        return session.execute(select(User).where(User.role == UserRole.owner)).scalar_one()


def test_owner_password_is_the_one_given_or_a_random_one_reported_once(tmp_path: Path) -> None:
    given = seeded(tmp_path / "given.db", products=30, customers=2, owner_password="correct horse battery")
    assert password_matches(owner(given), "correct horse battery")
    assert not password_matches(owner(given), "correct horse battery!")

    first = seed_database(Database(f"sqlite:///{tmp_path / 'a.db'}"), products=30, customers=2)
    second = seed_database(Database(f"sqlite:///{tmp_path / 'b.db'}"), products=30, customers=2)
    assert first.owner_password and second.owner_password and first.owner_password != second.owner_password
    assert password_matches(owner(Database(f"sqlite:///{tmp_path / 'a.db'}")), first.owner_password)
    with pytest.raises(SeedError, match="OWNER_PASSWORD"):
        seeded(tmp_path / "short.db", products=30, customers=2, owner_password="short")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OWNER_PASSWORD", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--products", "50", "--customers", "4", "--seed", "2", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "50 products" in out
    printed = out.split("Owner account 'owner', password ", 1)[1].split(" ", 1)[0]
    assert password_matches(owner(Database(url)), printed)
    assert main(["--products", "50", "--database-url", url]) == 1
    assert "--reset" in capsys.readouterr().err
    assert main(["--products", "60", "--customers", "4", "--database-url", url, "--reset"]) == 0
    database = Database(url)
    with database.session() as session:
        total, hits = CatalogSearch().search_products(session, parse_query(session.get(Product, "p60").name))
    assert total > 0 and "p60" in {product.id for product, _ in hits[:10]}


def test_the_catalog_has_options_variants_and_add_ons(catalog: Database) -> None:
    with catalog.session() as session:
        products = session.execute(select(Product)).scalars().all()
        for product in products:
            names = [option.name for option in product.options]
            assert len(product.variants) == math.prod(len(option.values) for option in product.options)
            assert product.price == min(variant.price for variant in product.variants)
            assert product.stock == sum(variant.stock for variant in product.variants)
            assert product.colors == next((o.values for o in product.options if o.name == "Color"), [])
            assert product.sizes == next((o.values for o in product.options if o.name == "Size"), [])
            assert all(list(variant.options) == names for variant in product.variants)
        by_category = {category: [p for p in products if p.category == category] for category in CATEGORIES}
        for category, option in (("Smartphones", "Storage"), ("Laptops", "Storage"), ("Backpacks", "Material"),
                                 ("Coffee Makers", "Capacity")):
            priced = [p for p in by_category[category] if option in {o.name for o in p.options}]
            assert priced, category
            assert any(len({v.price for v in p.variants}) > 1 for p in priced), category  # priced per variant
        assert all(p.modifiers for p in by_category["Toys"] + by_category["Books"])
        assert len({v.sku for p in products for v in p.variants}) == sum(len(p.variants) for p in products)
