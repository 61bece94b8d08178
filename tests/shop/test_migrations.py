"""The shop's schema comes from Alembic migrations: they reach the models exactly, on SQLite and Postgres.

"No diff" is Alembic's own autogenerate comparison (what ``alembic revision --autogenerate`` would write),
so a model changed without a migration fails here.
"""

from __future__ import annotations

import subprocess
import sys
from argparse import Namespace
from collections.abc import Iterator
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
from shop.models import Base, IdempotencyKey, User, UserRole
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
    # What create_all() made before there were migrations, before idempotency keys existed.
    older = [table for name, table in Base.metadata.tables.items() if name != IdempotencyKey.__tablename__]
    Base.metadata.create_all(database.engine, tables=older)
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
