"""Database engine and sessions for the reference shop.

SQLite under ``var/`` by default; pass any SQLAlchemy URL (``DATABASE_URL`` in ``app.settings``, (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user:pw@host/db``) to use Postgres.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATA_DIR = Path("var")  # the app passes its own (settings.agent.data_dir)
WRITE_LOCK = "voiceshop_write_lock"  # execution option: this transaction will write, so lock before reading


def default_database_url() -> str:
    """The shop database URL when none is given: a SQLite file in the default data directory."""
    return sqlite_url(DEFAULT_DATA_DIR)


def sqlite_url(data_dir: Path) -> str:
    """The embedded default: ``shop.db`` in the data directory (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'shop.db'}"


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
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            immediate = connection.get_execution_options().get(WRITE_LOCK, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


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


class SchemaOutdated(RuntimeError):
    """The database was made by an older version whose tables differ from the models (no migrations yet)."""


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutdated` when a table lacks a column the models need, or keeps a required one
    they no longer fill (e.g. ``users.token`` from before real sign-in): queries or inserts would fail later."""
    from sqlalchemy import inspect

    from shop.models import Base

    inspector = inspect(engine)
    problems = []
    for table in Base.metadata.sorted_tables:
        columns = {column["name"]: column for column in inspector.get_columns(table.name)}
        missing = sorted(set(table.columns.keys()) - set(columns))
        leftover = sorted(name for name, column in columns.items() if name not in table.columns
                          and not column["nullable"] and column.get("default") is None)
        if missing:
            problems.append(f"{table.name} lacks {', '.join(missing)}")
        if leftover:
            problems.append(f"{table.name} still requires {', '.join(leftover)}")
    if problems:
        raise SchemaOutdated(f"The shop database at {engine.url!r} is from an older version ({'; '.join(problems)}). "
                             "Recreate it with `voiceshop seed` (or `python -m shop.seed --reset`).")


class Database:
    """An engine plus a session factory; one per process, shared by API and seeder."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_database_url()
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        """Create missing tables; raises :class:`SchemaOutdated` over tables of an older layout."""
        from shop.models import Base

        Base.metadata.create_all(self.engine)
        check_schema(self.engine)

    def reset_schema(self) -> None:
        """Drop and recreate every table (the seeder's ``--reset``)."""
        from shop.models import Base

        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)

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
