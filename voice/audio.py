"""Check and decode uploaded recordings into the 16 kHz mono samples Whisper expects.

Browsers record webm/opus (Chrome, Edge), ogg/opus (Firefox) or mp4/aac (Safari); people also upload wav,
mp3, m4a and flac. PyAV's bundled FFmpeg decodes all of them, so no system ffmpeg is needed. Every way an
upload can be wrong maps to an :class:`AudioError` carrying the 4xx status and a message a person can act on.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
from av.container import InputContainer

SAMPLE_RATE = 16_000
"""Whisper's input rate; every decoded recording is resampled to it."""

ACCEPTED_FORMATS_HINT = "webm/opus, ogg/opus, wav, mp3, m4a or flac"

# FFmpeg demuxers an upload may be read with. FFmpeg applies the list before probing, so a playlist or
# other container that could make it open further files or URLs (HLS, concat, ...) is refused outright.
_DEMUXER_ALLOWLIST = "matroska,ogg,wav,mp3,mov,flac,aac"

# Containers some browsers label as video even when the recording holds only audio.
_AUDIO_CAPABLE_TYPES = frozenset(
    {"video/webm", "video/ogg", "video/mp4", "application/ogg", "application/octet-stream"}
)


@dataclass(frozen=True)
class AudioLimits:
    """Upper bounds for one spoken turn: a command is a few seconds, so these only stop abuse and mistakes."""

    max_bytes: int = 10 * 1024 * 1024
    max_seconds: float = 30.0


@dataclass(frozen=True)
class DecodedAudio:
    """A recording as float32 samples in [-1, 1] at :data:`SAMPLE_RATE`, mono."""

    samples: np.ndarray

    @property
    def seconds(self) -> float:
        """Length of the recording in seconds."""
        return len(self.samples) / SAMPLE_RATE


class AudioError(Exception):
    """An upload that cannot be transcribed; ``status_code`` is the HTTP status to answer with."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def check_upload(data: bytes, content_type: str | None, limits: AudioLimits) -> None:
    """Reject empty, oversized and plainly non-audio uploads before spending any time decoding them."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and not (media_type.startswith("audio/") or media_type in _AUDIO_CAPABLE_TYPES):
        raise AudioError(
            415, f"Unsupported upload type '{media_type}': send a recording as {ACCEPTED_FORMATS_HINT}."
        )
    if not data:
        raise AudioError(400, "The audio upload is empty: nothing was recorded.")
    if len(data) > limits.max_bytes:
        raise AudioError(
            413, f"The audio upload is larger than the {limits.max_bytes // (1024 * 1024)} MB limit."
        )


def decode_audio(data: bytes, limits: AudioLimits) -> DecodedAudio:
    """Decode ``data`` to 16 kHz mono float32, stopping as soon as it runs past ``limits.max_seconds``.

    The duration is checked while decoding because MediaRecorder's webm files carry no duration header.
    """
    max_samples = int(limits.max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    decoded = 0
    try:
        with av.open(
            io.BytesIO(data),
            mode="r",
            options={"format_whitelist": _DEMUXER_ALLOWLIST},
            metadata_errors="ignore",
        ) as container:
            if not container.streams.audio:
                raise AudioError(422, "The upload has no audio track.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in _frames_until_damage(container):
                frame.pts = None  # recordings cut short can have gaps; the resampler needs no timestamps
                for resampled in resampler.resample(frame):
                    chunks.append(resampled.to_ndarray().reshape(-1))
                    decoded += resampled.samples
                if decoded > max_samples:
                    raise AudioError(
                        413, f"The recording is longer than the {limits.max_seconds:g} s limit for one turn."
                    )
            for resampled in resampler.resample(None):  # flush what the resampler still holds
                chunks.append(resampled.to_ndarray().reshape(-1))
    except av.error.FFmpegError as error:
        raise AudioError(
            422, f"Could not decode the upload as audio ({ACCEPTED_FORMATS_HINT} expected): {error.strerror}."
        ) from error
    if not chunks:
        raise AudioError(422, "The upload contains no audio samples.")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return DecodedAudio(samples=samples)


def _frames_until_damage(container: InputContainer) -> Iterator[av.AudioFrame]:
    """Yield audio frames, ending quietly at damaged data once some audio came through.

    A recording stopped mid-write (a closed tab, a dropped connection) ends in a broken packet: what came
    before it is still worth transcribing. Damage before any audio means the file is not audio at all.
    """
    frames = container.decode(audio=0)
    yielded = False
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            if yielded:
                return
            raise
        yielded = True
        yield frame
