"""Spoken test commands made on the spot: espeak-ng speaks, FFmpeg encodes like a browser would.

Used by tests, the ASR benchmark and the eval harness's ``speak:`` turns, never by the product itself.
Needs the Debian packages ``espeak-ng`` and ``ffmpeg`` (checked by :func:`missing_tools`).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from voice.audio import SAMPLE_RATE

Encoding = Literal["webm", "ogg", "wav", "mp3", "m4a", "flac"]

# FFmpeg output settings per container, chosen to match what browsers and phones produce.
_ENCODER_ARGS: dict[str, list[str]] = {
    "webm": ["-c:a", "libopus", "-b:a", "32k", "-f", "webm"],  # Chrome/Edge MediaRecorder
    "ogg": ["-c:a", "libopus", "-b:a", "32k", "-f", "ogg"],  # Firefox MediaRecorder
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
    "m4a": ["-c:a", "aac", "-b:a", "64k", "-f", "mp4"],  # Safari MediaRecorder, phone voice memos
    "flac": ["-c:a", "flac", "-f", "flac"],
}


@dataclass(frozen=True)
class SyntheticVoice:
    """An espeak-ng voice (``espeak-ng --voices=en`` lists them) at a speaking rate and pitch."""

    name: str = "en-us"
    words_per_minute: int = 160
    pitch: int = 50

    @property
    def label(self) -> str:
        """Short name for tables: voice@rate."""
        return f"{self.name}@{self.words_per_minute}"


def missing_tools() -> list[str]:
    """The command-line tools this module needs that are not installed."""
    return [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]


def speak(text: str, voice: SyntheticVoice = SyntheticVoice()) -> np.ndarray:
    """Say ``text`` and return 16 kHz mono float32 samples."""
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice.name, "-s", str(voice.words_per_minute), "-p", str(voice.pitch), text],
        check=True,
        capture_output=True,
    ).stdout
    return _read_wav_samples(wav)


def with_silence(samples: np.ndarray, before_s: float = 0.3, after_s: float = 0.3) -> np.ndarray:
    """Pad with silence, like the moments around a push-to-talk command."""
    return np.concatenate(
        [np.zeros(int(before_s * SAMPLE_RATE), np.float32), samples, np.zeros(int(after_s * SAMPLE_RATE), np.float32)]
    )


def with_noise(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """Mix in white noise at ``snr_db`` decibels below the speech's power (a fan, a busy room)."""
    rng = np.random.default_rng(seed)
    speech_power = float(np.mean(samples**2))
    noise = rng.normal(0.0, np.sqrt(speech_power / 10 ** (snr_db / 10)), samples.shape)
    return np.clip(samples + noise, -1.0, 1.0).astype(np.float32)


def encode(samples: np.ndarray, encoding: Encoding, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Encode 16 kHz mono float32 samples as a file in ``encoding``, resampled to ``sample_rate``."""
    pcm = _wav_bytes(samples)
    with tempfile.TemporaryDirectory() as folder:
        # mp4 needs a seekable output, so every format goes through a file for uniformity.
        target = Path(folder) / f"out.{encoding}"
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", "pipe:0", "-ar", str(sample_rate), "-ac", "1",
             *_ENCODER_ARGS[encoding], str(target)],
            input=pcm,
            check=True,
            capture_output=True,
        )
        return target.read_bytes()


def _wav_bytes(samples: np.ndarray) -> bytes:
    """16-bit PCM WAV at 16 kHz (the stdlib writer: no converter needed for this step)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _read_wav_samples(wav: bytes) -> np.ndarray:
    """Resample espeak-ng's 22.05 kHz WAV to 16 kHz float32 through FFmpeg."""
    raw = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-ar", str(SAMPLE_RATE), "-ac", "1", "-f", "s16le", "pipe:1"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0

