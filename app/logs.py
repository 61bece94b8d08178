"""Log lines as text for a terminal or JSON for a log collector, each tagged with the turn it belongs to.

The turn id lives in a context variable: set once when a turn starts (:func:`turn`), it follows the turn into
the agent, the tools, the in-process shop and worker threads (asyncio and AnyIO copy the context), so every
record emitted on the way carries it, with no logger having to pass it along.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]  # checked where it is read: app.settings.AppOptions (LOG_FORMAT)

_turn_id: ContextVar[str | None] = ContextVar("turn_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(turn_id)s]: %(message)s"
# Field names as most log collectors expect them; anything passed as ``extra=`` is added as its own field.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(turn_id)s"
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


def current_turn_id() -> str | None:
    return _turn_id.get()


@contextmanager
def turn() -> Iterator[str]:
    """Run one customer turn under a fresh turn id (yielded, to hand back to the client)."""
    token = _turn_id.set(uuid.uuid4().hex)
    try:
        yield _turn_id.get() or ""
    finally:
        _turn_id.reset(token)


class TurnIdFilter(logging.Filter):
    """Adds ``turn_id`` to each record: the current turn's id, or ``-`` outside a turn (start-up, access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.turn_id = _turn_id.get() or "-"
        return True


def log_handler(log_format: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler (stderr by default) writing ``log_format`` lines that carry the turn id."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(TurnIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields=JSON_RENAMES, json_ensure_ascii=False))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """Send every logger's records (uvicorn's too, when it is started with ``log_config=None``) to stderr."""
    logging.basicConfig(level=level, handlers=[log_handler(log_format)], force=True)
