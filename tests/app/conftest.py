"""Fixtures for the app's voice routes: just the router, with test doubles for the assistant and customers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from app.metrics import TurnMetrics
from app.routes.voice import router
from tests.app.doubles import ScriptedAssistantDouble, StaticCustomersDouble
from voice.asr import Transcriber


@pytest.fixture
def assistant() -> ScriptedAssistantDouble:
    return ScriptedAssistantDouble()


@pytest.fixture
def voice_app(assistant: ScriptedAssistantDouble, transcriber: Transcriber) -> FastAPI:
    """Just the voice router, with the test doubles in place of the assistant and the customer directory."""
    app = FastAPI()
    app.include_router(router)
    app.state.assistant = assistant
    app.state.customers = StaticCustomersDouble()
    app.state.transcriber = transcriber
    app.state.metrics = TurnMetrics()
    return app


@pytest.fixture
def shop_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data dir the command line's settings point at (no database yet)."""
    directory = tmp_path / "var"
    directory.mkdir()
    monkeypatch.setenv("VOICESHOP_DATA_DIR", str(directory))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return directory
