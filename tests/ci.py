"""The rule for tests that need an outside component (Postgres, a Chroma server, nginx): where it is missing
they skip locally but fail under CI (``CI`` set), where scripts/install-system-deps.sh and the test extra
provide it: a test that never runs must not count as passing."""

from __future__ import annotations

import os

import pytest


def unavailable(component: str, reason: str) -> None:
    """Skip locally; fail under CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{component} is required under CI: {reason}", pytrace=False)
    pytest.skip(f"{component} not available: {reason}")
