"""Fixtures of the tools tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shop.api import create_shop_app
from shop.db import Database
from tools import ShopClient


@pytest.fixture
async def shop(data_dir: Path) -> AsyncIterator[ShopClient]:
    """The demo customer's client of the real shop API over a fresh copy of the seeded shop."""
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    transport = httpx.ASGITransport(app=create_shop_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
        token = (await http.post("/login", json={"login": "demo"})).json()["token"]
        yield ShopClient(http, token)
    database.engine.dispose()
