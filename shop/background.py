"""Threads for the shop's background work (embedding the catalog, fitting the recommender, following
changes), started at the lowest CPU priority.

On a 2-core machine a first-start catalog embedding at normal priority took half of the cores for over a
minute, and every customer turn in that time missed the LLM's deadline. At nice 19 the scheduler gives a
turn's threads nearly all of the cores whenever they want them, and the background work the rest. Threads
such work starts (BLAS, OpenMP) inherit the priority. Only dedicated threads are lowered, never a pooled
one, because a thread cannot raise its priority again.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
LOWEST_PRIORITY = 19  # nice value: the scheduler's weight for it is about 1/70 of a normal thread's


def lower_this_thread() -> None:
    """Give the calling thread the lowest CPU priority (Linux: nice is per thread); no-op where unsupported."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: the work still runs
        log.debug("background thread keeps its priority: %s", exc)


def start_thread(target: Callable[[], Any], name: str) -> threading.Thread:
    """A daemon thread running ``target`` at the lowest priority."""

    def run() -> None:
        lower_this_thread()
        target()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def run_in_background(fn: Callable[..., T], *args: Any, name: str) -> concurrent.futures.Future[T]:
    """``fn(*args)`` in its own lowest-priority thread; the future holds its result or exception."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def work() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the future
                future.set_exception(exc)

    start_thread(work, name)
    return future
