"""Background work runs at the lowest CPU priority, and so does every thread it starts."""

from __future__ import annotations

import os
import threading

import pytest

from shop.background import LOWEST_PRIORITY, run_in_background, start_thread


def _own_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_background_threads_and_their_children_run_at_the_lowest_priority() -> None:
    seen: dict[str, int] = {}

    def child() -> None:
        seen["child"] = _own_priority()

    def work() -> None:
        seen["work"] = _own_priority()
        spawned = threading.Thread(target=child)  # as BLAS or OpenMP pools are created by the work
        spawned.start()
        spawned.join()

    start_thread(work, name="test-background").join(timeout=10)
    assert seen == {"work": LOWEST_PRIORITY, "child": LOWEST_PRIORITY}
    assert _own_priority() != LOWEST_PRIORITY, "the caller's priority must not change"


def test_run_in_background_hands_back_the_result_or_the_error() -> None:
    assert run_in_background(sum, [1, 2, 3], name="test-sum").result(timeout=10) == 6
    failed = run_in_background(int, "not a number", name="test-error")
    with pytest.raises(ValueError):
        failed.result(timeout=10)
