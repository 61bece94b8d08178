"""Where conversations are kept between turns: LangGraph's SQLite or Postgres checkpointer.

The graph's state (what was said, the products shown, a pending confirmation with its idempotency key) is
the whole memory of a conversation. In a SQLite file it belongs to one process; on Postgres every API
replica reads and writes the same conversations, so a customer's next turn may land on any of them.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Any constant: replicas starting together create the checkpoint tables one after another.
SETUP_LOCK_ID = 0x63686B70  # "chkp"


def checkpoint_target(url: str | None, data_dir: Path) -> tuple[str, str]:
    """``("sqlite", path)`` or ``("postgres", libpq URL)`` for ``CHECKPOINT_URL`` (default: a file in data_dir).

    Accepts the SQLAlchemy spelling used for ``DATABASE_URL`` too (``postgresql+psycopg://…``), so one
    Postgres URL can serve both settings.
    """
    if not url:
        return "sqlite", str(data_dir / "conversations.db")
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"CHECKPOINT_URL must be a sqlite:///path or postgresql://… URL, got {url!r}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return "sqlite", parsed.database
    if parsed.get_backend_name() == "postgresql" and parsed.host:
        return "postgres", parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    raise ValueError(f"CHECKPOINT_URL must be a sqlite:///path or postgresql://host/db URL, got {url!r}")


async def open_checkpointer(url: str | None, data_dir: Path, stack: AsyncExitStack, *, serde: Any = None) -> Any:
    """The checkpointer for ``url``, (de)serialising with ``serde``; ``stack`` closes its connections."""
    kind, target = checkpoint_target(url, data_dir)
    if kind == "sqlite":
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        Path(target).parent.mkdir(parents=True, exist_ok=True)
        connection = await stack.enter_async_context(aiosqlite.connect(target))
        return AsyncSqliteSaver(connection, serde=serde)
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import AsyncConnection
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool
    except ImportError as exc:
        raise RuntimeError("a Postgres CHECKPOINT_URL needs the postgres extra: pip install -e '.[postgres]'") from exc

    # The connection settings AsyncPostgresSaver requires (see its from_conn_string).
    options = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    async with await AsyncConnection.connect(target, **options) as connection:
        await _take_setup_lock(connection)
        await AsyncPostgresSaver(connection).setup()
    pool = AsyncConnectionPool(target, kwargs=options, min_size=1, max_size=10, open=False)
    await pool.open(wait=True, timeout=30)
    stack.push_async_callback(pool.close)
    return AsyncPostgresSaver(pool, serde=serde)


async def _take_setup_lock(connection: Any, timeout_s: float = 120.0) -> None:
    """One replica at a time runs the saver's ``setup()``, which has no lock of its own (two replicas starting
    together both create its tables, and one fails). The lock is polled, not waited for: ``setup()`` builds
    indexes ``CONCURRENTLY``, which waits for every open transaction, including a replica's blocked
    ``pg_advisory_lock`` call; that deadlocked when two replicas started together."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        row = await (await connection.execute("SELECT pg_try_advisory_lock(%s) AS locked", (SETUP_LOCK_ID,))).fetchone()
        if row["locked"]:
            return  # released when the connection closes
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"another process held the checkpoint set-up lock for over {timeout_s:.0f} s")
        await asyncio.sleep(0.2)
