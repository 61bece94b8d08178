"""The real recogniser (bundled Whisper tiny.en): shopping words, real human speech, silence, sharing."""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evals.synthetic_speech import Encoding, speak, with_silence
from tests.speech import SHARED_SPEECH
from voice.asr import AsrOptions, AsrUnavailable, OpenAIWhisperBackend, Transcriber
from voice.audio import AudioLimits, decode_audio
from voice.prompt import CatalogVocabulary

pytestmark = pytest.mark.slow


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing transcripts."""
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()


def test_a_browser_recording_of_a_command_is_transcribed(
    transcriber: Transcriber, recording: Callable[[Encoding], bytes]
) -> None:
    audio = decode_audio(recording("webm"), AudioLimits())
    result = transcriber.transcribe(audio.samples)
    heard = words(result.text)
    assert {"running", "shoes"} <= set(heard), result.text
    assert "50" in heard or "fifty" in heard, result.text
    assert result.heard_speech and result.language == "en"
    assert result.audio_seconds == pytest.approx(audio.seconds)


def test_the_jfk_clip_is_transcribed_faithfully(transcriber: Transcriber) -> None:
    clip = SHARED_SPEECH / "whisper_jfk.flac"
    if not clip.exists():
        pytest.skip(f"real speech clip not found at {clip} (the project's ../shared/data/speech)")
    text = " ".join(words(transcriber.transcribe(decode_audio(clip.read_bytes(), AudioLimits()).samples).text))
    for phrase in ("my fellow americans", "your country", "do for you"):
        assert phrase in text, text


def test_silence_and_noise_are_not_speech(transcriber: Transcriber) -> None:
    silence = np.zeros(2 * 16_000, np.float32)
    hiss = np.random.default_rng(1).normal(0, 0.02, 2 * 16_000).astype(np.float32)
    for samples in (silence, hiss):
        result = transcriber.transcribe(samples)
        assert not result.heard_speech, f"Whisper invented {result.text!r} from no speech"


def test_the_domain_prompt_carries_the_template_and_catalog_names(speech_tools: None) -> None:
    primed = Transcriber(AsrOptions())
    primed.use_vocabulary(CatalogVocabulary(categories=("Running Shoes",), brands=("Zentro",)))
    primed.transcribe(speak("hello"))
    assert primed.domain_prompt is not None
    assert primed.domain_prompt.endswith("Categories: Running Shoes. Brands: Zentro.")
    assert "shop" in primed.domain_prompt
    primed.use_vocabulary(CatalogVocabulary(categories=("Toys",)))  # the catalog changed after start-up
    primed.transcribe(speak("hello"))
    assert primed.domain_prompt.endswith("Categories: Toys.")

    plain = Transcriber(AsrOptions(domain_prompt=False))
    plain.transcribe(speak("hello"))
    assert plain.domain_prompt is None


def test_the_domain_prompt_fixes_the_word_cart(speech_tools: None) -> None:
    # Without shopping context tiny.en hears this espeak-ng "cart" as "card" (measured); the prompt fixes it.
    samples = with_silence(speak("add the blue backpack to my cart"))
    primed = Transcriber(AsrOptions()).transcribe(samples)
    assert "cart" in words(primed.text), primed.text


def test_transcriptions_from_many_threads_are_serialised_and_all_right(
    transcriber: Transcriber, command_samples: np.ndarray
) -> None:
    results: list[str] = []
    running = 0
    most_at_once = 0
    guard = threading.Lock()
    original = transcriber._backend.transcribe  # type: ignore[union-attr]

    def counting(samples: np.ndarray, prompt: str | None) -> tuple[str, str]:
        nonlocal running, most_at_once
        with guard:
            running += 1
            most_at_once = max(most_at_once, running)
        try:
            return original(samples, prompt)
        finally:
            with guard:
                running -= 1

    transcriber._backend.transcribe = counting  # type: ignore[union-attr,method-assign]
    try:
        threads = [threading.Thread(target=lambda: results.append(transcriber.transcribe(command_samples).text))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        del transcriber._backend.transcribe  # type: ignore[union-attr]
    assert most_at_once == 1
    assert len(results) == 3 and all("running" in words(text) for text in results), results


def test_a_transcriber_loads_its_model_on_first_use_not_when_made() -> None:
    transcriber = Transcriber(AsrOptions(beam_size=2, cpu_threads=1))
    assert transcriber.options.beam_size == 2
    assert transcriber._backend is None, "the model must load on first use (or load()), not when the app is built"


def test_a_missing_model_is_reported_clearly(tmp_path: Path) -> None:
    broken = Transcriber(AsrOptions(model=str(tmp_path / "no-such-model")))
    with pytest.raises(AsrUnavailable, match="VOICESHOP_ASR_MODEL"):
        broken.transcribe(np.zeros(16_000, np.float32))


class OpenAIWhisperModuleDouble(types.ModuleType):
    """A test double of the ``whisper`` package: records how the backend drives it."""

    def __init__(self) -> None:
        super().__init__("whisper")
        self.calls: list[dict[str, Any]] = []
        self.tokenizer = types.SimpleNamespace(get_tokenizer=lambda multilingual: types.SimpleNamespace(
            encode=lambda text: text.split()))

    def load_model(self, name: str, device: str) -> Any:
        self.calls.append({"load": name, "device": device})
        return types.SimpleNamespace(is_multilingual=False)

    def transcribe(self, model: Any, audio: np.ndarray, **options: Any) -> dict[str, Any]:
        self.calls.append({"seconds": len(audio) / 16_000, **options})
        return {"text": " add it to my cart ", "language": "en"}


def test_openai_whisper_backend_drives_the_package_with_vad_and_prompt(
    monkeypatch: pytest.MonkeyPatch, command_samples: np.ndarray
) -> None:
    double = OpenAIWhisperModuleDouble()
    torch_threads: list[int] = []
    monkeypatch.setitem(sys.modules, "whisper", double)
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=torch_threads.append))
    backend = OpenAIWhisperBackend(AsrOptions(backend="openai-whisper", model="base.en", beam_size=3, cpu_threads=2))
    assert torch_threads == [2], "torch must get the ASR thread budget, not every core"
    padded = np.concatenate([np.zeros(3 * 16_000, np.float32), command_samples])
    assert backend.transcribe(padded, "Shop words.") == ("add it to my cart", "en")
    load, call = double.calls
    assert load == {"load": "base.en", "device": "cpu"}
    assert call["initial_prompt"] == "Shop words." and call["beam_size"] == 3 and call["fp16"] is False
    assert call["seconds"] < len(padded) / 16_000 - 2, "VAD should have cut the leading silence"
    assert backend.count_tokens("two words") == 2


def test_openai_whisper_backend_without_its_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "whisper", None)  # makes `import whisper` fail
    with pytest.raises(AsrUnavailable, match=r"voiceshop\[voice-openai\]"):
        OpenAIWhisperBackend(AsrOptions(backend="openai-whisper"))
