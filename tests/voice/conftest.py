"""Fixtures for the voice tests: spoken commands made with espeak-ng, the real Whisper model, a small app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI

from tests.voice.doubles import ScriptedAssistantDouble, StaticCustomersDouble
from voice.asr import AsrOptions, Transcriber
from voice.prompt import CatalogVocabulary
from voice.routes import router
from voice.synthetic_speech import Encoding, encode, missing_tools, speak, with_silence

SHARED_SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech"
COMMAND = "show me running shoes under fifty dollars"
SEEDED_CATEGORIES = (
    "Running Shoes", "Sneakers", "Headphones", "Speakers", "Laptops", "Smartphones", "Smartwatches", "Jackets",
    "T-Shirts", "Jeans", "Backpacks", "Cookware", "Coffee Makers", "Kitchen Appliances", "Skincare", "Makeup",
    "Hair Care", "Gardening", "Toys", "Fitness Equipment", "Smart Home", "Books",
)


@pytest.fixture(scope="session")
def speech_tools() -> None:
    """Skip, saying why, where espeak-ng or FFmpeg is missing (.ci/run installs both)."""
    if missing := missing_tools():
        pytest.skip(f"needs {', '.join(missing)}: apt-get install espeak-ng ffmpeg")


@pytest.fixture(scope="session")
def command_samples(speech_tools: None) -> np.ndarray:
    """COMMAND spoken by espeak-ng, with the pauses of a push-to-talk press around it."""
    return with_silence(speak(COMMAND))


@pytest.fixture(scope="session")
def recording(command_samples: np.ndarray) -> Callable[[Encoding], bytes]:
    """COMMAND encoded in a given container, cached per container."""
    cache: dict[str, bytes] = {}

    def make(encoding: Encoding) -> bytes:
        if encoding not in cache:
            cache[encoding] = encode(command_samples, encoding)
        return cache[encoding]

    return make


@pytest.fixture(scope="session")
def transcriber() -> Transcriber:
    """The real default recogniser (bundled tiny.en, int8), primed with the seeded catalog's categories as
    the server primes it, loaded once for the whole run."""
    shared = Transcriber(AsrOptions(cpu_threads=1))
    shared.use_vocabulary(CatalogVocabulary(categories=SEEDED_CATEGORIES))
    shared.load()
    return shared


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
    return app
