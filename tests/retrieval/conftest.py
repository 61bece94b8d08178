"""Fixtures for retrieval tests: the real encoder (loaded once) and throw-away Chroma directories."""

from __future__ import annotations

import pytest

from shop.embedder import TextEncoder, get_encoder


@pytest.fixture(scope="session")
def encoder() -> TextEncoder:
    return get_encoder()
