"""Speech fixtures shared by the voice and app tests (a pytest plugin, see tests/conftest.py): spoken commands
made with espeak-ng and the real Whisper model, loaded once per run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from evals.synthetic_speech import Encoding, encode, missing_tools, speak, with_silence
from voice.asr import AsrOptions, Transcriber
from voice.prompt import CatalogVocabulary

SHARED_SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"
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
