"""Alembic environment for the reference shop's schema (``shop/models.py`` is the target).

Runs from the command line (``alembic -x url=<database URL> upgrade head``, see alembic.ini) and from
:meth:`shop.db.Database.create_schema`, which hands over its own open connection.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shop.db import default_database_url, make_engine
from shop.migrations import include_name
from shop.models import Base

# Any constant: replicas starting together on one Postgres database migrate one after another.
MIGRATION_LOCK_ID = 0x766F6963  # "voic"


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        # SQLite cannot ALTER most things in place; batch mode copies the table, so later revisions work there too.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:  # Database.create_schema: its connection and transaction
        run_migrations(connection)
        return
    # The command line names the database: `alembic -x url=postgresql+psycopg://… upgrade head` (default:
    # var/shop.db). Settings come from the environment only through app.settings, which the shop cannot import.
    url = context.get_x_argument(as_dictionary=True).get("url") or default_database_url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not set up for this project: run them against a database")
run_migrations_online()
