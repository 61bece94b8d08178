"""The shop's schema comes from Alembic migrations: they reach the models exactly, on SQLite and Postgres.

"No diff" is Alembic's own autogenerate comparison (what ``alembic revision --autogenerate`` would write),
so a model changed without a migration fails here.
"""

from __future__ import annotations

import subprocess
import sys
from argparse import Namespace
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from shop.db import VERSION_TABLE, Database, migration_config
from shop.migrations import include_name
from shop.models import Base, CartLine, IdempotencyKey, Order, OrderStatus, Product, User, UserRole, Variant
from shop.search import ensure_search_index

REPO = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory.from_config(migration_config()).get_current_head()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a new database on the throwaway Postgres server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.engine.dispose()


def schema_diff(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name, "compare_type": True})
        return compare_metadata(context, Base.metadata)


def revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_build_exactly_the_models(database: Database) -> None:
    database.create_schema()
    assert revision(database) == HEAD
    assert schema_diff(database) == []
    ensure_search_index(database.engine)  # SQLite's FTS tables are not models and must not show up as a diff
    assert schema_diff(database) == []


def test_a_model_change_without_a_migration_shows_as_a_diff(database: Database) -> None:
    database.create_schema()
    with database.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {IdempotencyKey.__tablename__}"))
    diff = schema_diff(database)
    assert [(change[0], change[1].name) for change in diff] == [("add_table", IdempotencyKey.__tablename__)]


def test_upgrading_twice_and_downgrading_work(database: Database) -> None:
    database.create_schema()
    database.create_schema()  # already at head: nothing to do
    config = migration_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(database.engine).get_table_names()) == {VERSION_TABLE}
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []


# Imports first, then "ready", then the migration as soon as a line arrives: the processes start it together.
REPLICA = ("import sys; from shop.db import Database; database = Database(sys.argv[1]); print('ready', flush=True); "
           "sys.stdin.readline(); database.create_schema()")


def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    # Separate processes, as replicas are, each running `alembic upgrade head` on the same empty database.
    replicas = [subprocess.Popen([sys.executable, "-c", REPLICA, database_url], cwd=REPO, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(3)]
    for replica in replicas:
        assert replica.stdout.readline().strip() == "ready", replica.communicate(timeout=60)[1]
    for replica in replicas:
        replica.stdin.write("go\n")
        replica.stdin.flush()
    outcomes = [(replica.communicate(timeout=120)[1], replica.returncode) for replica in replicas]
    assert [stderr for stderr, returncode in outcomes if returncode != 0] == []
    database = Database(database_url)
    try:
        assert revision(database) == HEAD and schema_diff(database) == []
    finally:
        database.engine.dispose()


def test_a_database_made_before_migrations_is_adopted(database: Database) -> None:
    # What create_all() made before there were migrations, before idempotency keys existed: revision 0001's
    # tables (the models have moved on since) without that one and without a migration record.
    config = migration_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(f"DROP TABLE {IdempotencyKey.__tablename__}"))
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []


def test_a_database_from_before_sign_in_is_migrated(database: Database) -> None:
    """What create_all() made before sign-in (revision 0001's tables: a fixed token per customer, no migration
    record) keeps its customers, now with roles and sessions. Such databases used to be refused."""
    config = migration_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO users (id, login, name, token) VALUES (1, 'ada', 'Ada', 'old-1'), "
                                "(2, 'bo', 'Bo', 'old-2')"))
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))  # as create_all() left it: no migration record
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []
    with database.sessions() as session:
        users = session.execute(select(User.login, User.role, User.password_hash).order_by(User.id)).all()
    assert users == [("ada", UserRole.customer, None), ("bo", UserRole.customer, None)]
    assert "token" not in {column["name"] for column in inspect(database.engine).get_columns("users")}


def test_the_alembic_command_line_migrates_the_database_it_is_given(database_url: str) -> None:
    # What `alembic -x url=... upgrade head` does from the repository root.
    command.upgrade(Config(str(REPO / "alembic.ini"), cmd_opts=Namespace(x=[f"url={database_url}"])), "head")
    database = Database(database_url)
    try:
        assert revision(database) == HEAD and schema_diff(database) == []
    finally:
        database.engine.dispose()


def _database_at_0002_with_carts_and_orders(database: Database) -> None:
    """Revision 0002's schema with three products, two customers' carts and two orders in it."""
    config = migration_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        stamp = "'2026-01-02 03:04:05+00:00'"
        connection.execute(text(
            "INSERT INTO products (id, name, brand, category, description, price, rating, review_count, stock, "
            f"colors, sizes, created_at, updated_at) VALUES "
            f"('p1', 'Trail Shoe', 'Nordpeak', 'Running Shoes', '', 89.99, 4.5, 10, 7, '[\"Black\", \"Red\"]', "
            f"'[\"9\", \"10\"]', {stamp}, {stamp}), "
            f"('p2', 'Tee', 'Urbanite', 'T-Shirts', '', 19.99, 4.0, 3, 5, '[\"White\"]', '[]', {stamp}, {stamp}), "
            f"('p3', 'Novel', 'Inkwell', 'Books', '', 12.5, 4.9, 1, 0, '[]', '[]', {stamp}, {stamp})"))
        connection.execute(text("INSERT INTO users (id, login, name, role) VALUES (1, 'ada', 'Ada', 'customer'), "
                                "(2, 'bo', 'Bo', 'customer')"))
        connection.execute(text(
            "INSERT INTO cart_lines (id, user_id, product_id, quantity, color, size, added_at) VALUES "
            f"(1, 1, 'p1', 2, 'red', '10', {stamp}), (2, 1, 'p2', 1, NULL, NULL, {stamp}), "
            f"(3, 2, 'p1', 1, 'Black', NULL, {stamp}), (4, 2, 'p3', 3, NULL, NULL, {stamp})"))
        connection.execute(text(
            "INSERT INTO orders (id, user_id, status, total, tracking_number, created_at, updated_at) VALUES "
            f"(1, 1, 'delivered', 102.49, '1ZVS1', {stamp}, {stamp}), (2, 2, 'pending', 89.99, NULL, {stamp}, {stamp})"))
        connection.execute(text(
            "INSERT INTO order_lines (id, order_id, product_id, name, unit_price, quantity, color, size) VALUES "
            "(1, 1, 'p1', 'Trail Shoe', 89.99, 1, 'Black', '9'), (2, 1, 'p3', 'Novel', 12.5, 1, NULL, NULL), "
            "(3, 2, 'p1', 'Trail Shoe', 89.99, 1, NULL, '10')"))


def test_a_database_from_before_variants_keeps_its_carts_and_orders(database: Database) -> None:
    """A database made by revision 0002 (products with color/size lists, carts and orders naming a color and
    size) upgrades to variants: every product becomes Color x Size variants, every line points at its variant."""
    _database_at_0002_with_carts_and_orders(database)
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []

    with database.sessions() as session:
        shoe = session.get(Product, "p1")
        assert (shoe.handle, shoe.price, shoe.stock, shoe.colors, shoe.sizes) == ("p1", 89.99, 7, ["Black", "Red"],
                                                                                  ["9", "10"])
        assert [(option.name, option.values) for option in shoe.options] == [("Color", ["Black", "Red"]),
                                                                             ("Size", ["9", "10"])]
        assert [variant.options for variant in shoe.variants] == [
            {"Color": "Black", "Size": "9"}, {"Color": "Black", "Size": "10"},
            {"Color": "Red", "Size": "9"}, {"Color": "Red", "Size": "10"}]
        assert [variant.stock for variant in shoe.variants] == [2, 2, 2, 1]  # 7 split, the sum unchanged
        assert {variant.price for variant in shoe.variants} == {89.99}
        assert len({variant.sku for variant in shoe.variants}) == 4
        assert [len(session.get(Product, pid).variants) for pid in ("p2", "p3")] == [1, 1]

        lines = session.execute(select(CartLine).order_by(CartLine.id)).scalars().all()
        assert [(line.id, line.user_id, line.product_id, line.quantity) for line in lines] == [
            (1, 1, "p1", 2), (2, 1, "p2", 1), (3, 2, "p1", 1), (4, 2, "p3", 3)]
        assert all(line.variant.product_id == line.product_id for line in lines)
        assert [line.variant.options for line in lines] == [
            {"Color": "Red", "Size": "10"}, {"Color": "White"}, {"Color": "Black", "Size": "9"}, {}]
        assert [(line.color, line.size) for line in lines] == [("Red", "10"), ("White", None), ("Black", "9"),
                                                               (None, None)]

        orders = session.execute(select(Order).order_by(Order.id)).scalars().all()
        assert [(order.id, order.user_id, order.status.value, order.total) for order in orders] == [
            (1, 1, "delivered", 102.49), (2, 2, "pending", 89.99)]
        order_lines = [line for order in orders for line in order.lines]
        assert [(line.product_id, line.name, line.unit_price, line.quantity, line.options) for line in order_lines] == [
            ("p1", "Trail Shoe", 89.99, 1, {"Color": "Black", "Size": "9"}), ("p3", "Novel", 12.5, 1, {}),
            ("p1", "Trail Shoe", 89.99, 1, {"Size": "10"})]
        variants = [session.get(Variant, line.variant_id) for line in order_lines]
        assert [variant.options for variant in variants] == [{"Color": "Black", "Size": "9"}, {},
                                                             {"Color": "Black", "Size": "10"}]
        assert [line.sku for line in order_lines] == [variant.sku for variant in variants]


def test_a_database_at_0003_keeps_its_rows_and_every_product_is_published(database: Database) -> None:
    """A database made at revision 0003 (options and variants, the head before drafts) with carts and orders
    upgrades to ``published``: nothing lost, every existing product published, searchable and sellable."""
    _database_at_0002_with_carts_and_orders(database)
    config = migration_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    counts = {table: _count(database, table) for table in ("products", "variants", "cart_lines", "orders",
                                                           "order_lines", "users")}
    assert counts["products"] == 3 and counts["cart_lines"] == 4 and counts["order_lines"] == 3
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []
    assert {table: _count(database, table) for table in counts} == counts
    with database.sessions() as session:
        assert [product.published for product in session.execute(select(Product)).scalars()] == [True] * 3
        lines = session.execute(select(CartLine).order_by(CartLine.id)).scalars().all()
        assert [(line.user_id, line.product_id, line.quantity, line.variant.options) for line in lines] == [
            (1, "p1", 2, {"Color": "Red", "Size": "10"}), (1, "p2", 1, {"Color": "White"}),
            (2, "p1", 1, {"Color": "Black", "Size": "9"}), (2, "p3", 3, {})]
    with database.engine.begin() as connection:  # a row written without the column (an old client) is published
        connection.execute(text(
            "INSERT INTO products (id, name, brand, category, description, price, rating, review_count, stock, "
            "colors, sizes, created_at, updated_at, handle, tags) VALUES ('p4', 'Mug', 'Kiln', 'Kitchen', '', 9, 4, "
            "1, 2, '[]', '[]', '2026-01-02 03:04:05+00:00', '2026-01-02 03:04:05+00:00', 'p4', '[]')"))
    with database.sessions() as session:
        assert session.get(Product, "p4").published is True


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # our table names


def test_a_database_from_before_the_after_purchase_changes_keeps_its_carts_and_orders(database: Database) -> None:
    """A database at revision 0003 (variants) upgrades to returns, exchanges and refunds: carts, orders and
    keys stay; delivered orders count as delivered when last updated, so the return window applies; and the
    way back puts orders in a new state into the nearest old one."""
    config = migration_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        stamp = "'2026-01-02 03:04:05+00:00'"
        connection.execute(text(
            "INSERT INTO products (id, name, brand, category, description, price, rating, review_count, stock, "
            "colors, sizes, created_at, updated_at, handle, tags) VALUES "
            f"('p1', 'Tee', 'Urbanite', 'T-Shirts', '', 19.99, 4.0, 3, 5, '[]', '[]', {stamp}, {stamp}, 'tee', '[]')"))
        connection.execute(text("INSERT INTO variants (id, product_id, position, sku, options, price, stock, available) "
                                "VALUES (1, 'p1', 0, 'TEE-1', '{}', 19.99, 5, true)"))
        connection.execute(text("INSERT INTO users (id, login, name, role) VALUES (1, 'ada', 'Ada', 'customer')"))
        connection.execute(text("INSERT INTO cart_lines (id, user_id, product_id, variant_id, quantity, modifier_ids, "
                                f"modifier_key, added_at) VALUES (1, 1, 'p1', 1, 2, '[]', '', {stamp})"))
        connection.execute(text(
            "INSERT INTO orders (id, user_id, status, total, tracking_number, created_at, updated_at) VALUES "
            f"(1, 1, 'delivered', 19.99, '1ZVS1', {stamp}, '2026-01-05 00:00:00+00:00'), "
            f"(2, 1, 'pending', 39.98, NULL, {stamp}, {stamp})"))
        connection.execute(text(
            "INSERT INTO order_lines (id, order_id, product_id, name, unit_price, quantity, variant_id, sku, options, "
            "modifiers) VALUES (1, 1, 'p1', 'Tee', 19.99, 1, 1, 'TEE-1', '{}', '[]'), "
            "(2, 2, 'p1', 'Tee', 19.99, 2, 1, 'TEE-1', '{}', '[]')"))
        connection.execute(text("INSERT INTO idempotency_keys (id, user_id, key, operation, order_id, created_at) "
                                f"VALUES (1, 1, 'k1', 'checkout', 2, {stamp})"))
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []

    with database.sessions() as session:
        orders = session.execute(select(Order).order_by(Order.id)).scalars().all()
        assert [(o.id, o.status, o.total, o.shipping_address, o.payment_method_id) for o in orders] == [
            (1, OrderStatus.delivered, 19.99, None, None), (2, OrderStatus.pending, 39.98, None, None)]
        assert orders[0].delivered_at.replace(tzinfo=None) == datetime(2026, 1, 5)
        assert orders[1].delivered_at is None
        assert [(line.quantity, line.returned_quantity, line.exchange) for o in orders for line in o.lines] == [
            (1, 0, None), (2, 0, None)]
        assert [(line.user_id, line.quantity) for line in session.execute(select(CartLine)).scalars()] == [(1, 2)]
        assert session.execute(select(IdempotencyKey.key, IdempotencyKey.order_id)).all() == [("k1", 2)]
        orders[0].status = OrderStatus.return_requested  # a new state, and a long one, fits the column
        orders[1].status = OrderStatus.pending_items_modified
        session.commit()

    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT id, status FROM orders ORDER BY id")).all() == [
            (1, "delivered"), (2, "pending")]
        assert connection.execute(text("SELECT count(*) FROM cart_lines")).scalar_one() == 1
    assert "payment_methods" not in inspect(database.engine).get_table_names()
    database.create_schema()
    assert revision(database) == HEAD and schema_diff(database) == []
