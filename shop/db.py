"""Database engine and sessions for the reference shop.

SQLite under ``var/`` by default; pass any SQLAlchemy URL (``DATABASE_URL`` in ``app.settings``, e.g.
``postgresql+psycopg://user:pw@host/db``) to use Postgres. The schema comes from the Alembic migrations in
``shop/migrations/`` (:meth:`Database.create_schema` upgrades to the newest at start-up).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATA_DIR = Path("var")  # the app passes its own (settings.app.data_dir)
WRITE_LOCK = "voiceshop_write_lock"  # execution option: this transaction will write, so lock before reading
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's record of the revision a database is at


def default_database_url() -> str:
    """The shop database URL when none is given: a SQLite file in the default data directory."""
    return sqlite_url(DEFAULT_DATA_DIR)


def sqlite_url(data_dir: Path) -> str:
    """The embedded default: ``shop.db`` in the data directory (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'shop.db'}"


def migration_config() -> Config:
    """Alembic's configuration for the shop's migrations, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys so concurrent readers never block a checkout.

    On SQLite, SQLAlchemy rather than the sqlite3 driver emits BEGIN (the recipe in SQLAlchemy's SQLite
    "Transactions" docs): the driver's legacy mode starts a transaction only at the first write, so what a
    request read before it could already be stale. A transaction begun with :func:`begin_write` is a
    ``BEGIN IMMEDIATE``: it holds SQLite's single write lock from its first statement, so simultaneous
    writers run one after another, each reading what the previous one committed.
    """
    url = url or default_database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
            dbapi_conn.isolation_level = None  # the driver emits no BEGIN of its own; _sqlite_begin does
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                _switch_to_wal(cursor)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            immediate = connection.get_execution_options().get(WRITE_LOCK, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _switch_to_wal(cursor: sqlite3.Cursor, attempts: int = 100) -> None:
    """``PRAGMA journal_mode=WAL``, retried: processes opening a new file together can each hold a read lock
    while wanting the write lock for the switch, and SQLite then fails one at once instead of waiting."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a write transaction, before it reads anything.

    SQLite: ``BEGIN IMMEDIATE`` (waits up to the 30 s busy timeout for the write lock), so no other writer
    can change what this transaction reads, and it never fails midway because it read an older snapshot
    than the writer before it committed. Postgres needs no such start: lock the rows that decide the
    outcome with ``SELECT ... FOR UPDATE`` instead (see ``shop.api.lock_customer``).
    """
    if session.in_transaction():
        raise RuntimeError("begin_write must start the session's transaction, not join one already running")
    session.connection(execution_options={WRITE_LOCK: True})


_MIGRATION_LOCK = threading.Lock()


class Database:
    """An engine plus a session factory; one per process, shared by API and seeder."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_database_url()
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        """Bring the schema up to the newest migration (``alembic upgrade head`` on this engine).

        Safe when several processes start at once: on SQLite the migration runs in a ``BEGIN IMMEDIATE``
        transaction, on Postgres under an advisory lock (``shop/migrations/env.py``); whoever comes second
        finds the schema current and does nothing. Within one process migrations take turns, because
        Alembic keeps its running context in a module-level proxy.
        """
        from alembic import command

        with _MIGRATION_LOCK, self.engine.connect() as connection:
            connection.execution_options(**{WRITE_LOCK: True})
            with connection.begin():
                config = migration_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def reset_schema(self) -> None:
        """Drop every table and migrate again from an empty database (the seeder's ``--reset``)."""
        from sqlalchemy import text

        from shop.models import Base

        Base.metadata.drop_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
        self.create_schema()

    def is_empty(self) -> bool:
        """True when there is no schema yet or no product in it (a first start)."""
        from sqlalchemy import func, inspect, select

        from shop.models import Product

        if not inspect(self.engine).has_table(Product.__tablename__):
            return True
        with self.sessions() as session:
            return not session.scalar(select(func.count()).select_from(Product))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
