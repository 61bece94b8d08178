"""Shared fixtures: a small seeded shop (built once, copied per test) and app factories."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.settings import Settings, load_settings
from tests.postgres import PostgresServer, running_postgres
from tests.scripted_llm import ScriptedLLM

# The speech fixtures (espeak-ng commands, the real Whisper model) serve both tests/voice and tests/app.
pytest_plugins = ["tests.speech"]

SMALL_SHOP = {"products": 300, "customers": 20, "seed": 7}


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from shop.db import Database
    from shop.seed import seed_database

    path = tmp_path_factory.mktemp("template") / "shop.db"
    database = Database(f"sqlite:///{path}")
    database.create_schema()
    seed_database(database, **SMALL_SHOP)
    database.engine.dispose()
    return path


@pytest.fixture
def data_dir(tmp_path: Path, seeded_template: Path) -> Path:
    """A fresh copy of the seeded shop for one test."""
    shutil.copy(seeded_template, tmp_path / "shop.db")
    return tmp_path


AppClient = Callable[..., "asynccontextmanager[httpx.AsyncClient]"]


@asynccontextmanager
async def running_app(settings: Settings, login: str | None = "demo") -> AsyncIterator[httpx.AsyncClient]:
    """The real server app (lifespan included) behind an in-process client, signed in as ``login``."""
    from app.main import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=60) as client:
        client.app = app  # type: ignore[attr-defined]
        if login:
            response = await client.post("/api/login", json={"login": login})
            assert response.status_code == 200, response.text
            client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        yield client


@pytest.fixture
def scripted_llm() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
def settings(data_dir: Path, scripted_llm: ScriptedLLM) -> Settings:
    return load_settings(data_dir=data_dir, llm_transport=scripted_llm, max_tool_steps=3, warm_indexes=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole test run (skips locally, fails under CI, if unavailable)."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on that server for one test, as a ``postgresql+psycopg://`` URL."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
