"""Upload checks and decoding: every browser format decodes, every bad upload gets its own 4xx."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from evals.synthetic_speech import Encoding, encode
from voice.audio import SAMPLE_RATE, AudioError, AudioLimits, check_upload, decode_audio

LIMITS = AudioLimits()


@pytest.mark.parametrize("encoding", ["webm", "ogg", "wav", "mp3", "m4a", "flac"])
def test_every_browser_format_decodes_to_the_same_length(
    encoding: Encoding, recording: Callable[[Encoding], bytes], command_samples: np.ndarray
) -> None:
    audio = decode_audio(recording(encoding), LIMITS)
    assert audio.samples.dtype == np.float32
    # Codecs add or trim a few milliseconds of priming, never more.
    assert audio.seconds == pytest.approx(len(command_samples) / SAMPLE_RATE, abs=0.06)
    assert 0.1 < float(np.abs(audio.samples).max()) <= 1.0, "the speech was lost in decoding"


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("audio/webm;codecs=opus", True),
        ("audio/ogg; codecs=opus", True),
        ("audio/mp4", True),
        ("video/webm", True),  # how some browsers label an audio-only MediaRecorder file
        ("application/octet-stream", True),
        (None, True),
        ("text/plain", False),
        ("image/png", False),
        ("application/json", False),
    ],
)
def test_upload_type_check(content_type: str | None, accepted: bool) -> None:
    if accepted:
        check_upload(b"x", content_type, LIMITS)
    else:
        with pytest.raises(AudioError) as raised:
            check_upload(b"x", content_type, LIMITS)
        assert raised.value.status_code == 415
        assert "webm" in raised.value.detail


def test_empty_upload_is_a_400() -> None:
    with pytest.raises(AudioError) as raised:
        check_upload(b"", "audio/webm", LIMITS)
    assert raised.value.status_code == 400 and "empty" in raised.value.detail


def test_oversized_upload_is_a_413() -> None:
    check_upload(b"\0" * LIMITS.max_bytes, "audio/wav", LIMITS)
    with pytest.raises(AudioError) as raised:
        check_upload(b"\0" * (LIMITS.max_bytes + 1), "audio/wav", LIMITS)
    assert raised.value.status_code == 413 and "10 MB" in raised.value.detail


def test_recording_longer_than_the_limit_is_a_413(speech_tools: None) -> None:
    long_silence = encode(np.zeros(31 * SAMPLE_RATE, np.float32), "webm")
    assert len(long_silence) < 100_000, "the duration limit must not depend on the byte limit"
    with pytest.raises(AudioError) as raised:
        decode_audio(long_silence, LIMITS)
    assert raised.value.status_code == 413 and "30 s" in raised.value.detail


@pytest.mark.parametrize(
    "garbage",
    [b"this is not audio at all", bytes(range(256)) * 40, b"\x1aE\xdf\xa3" + b"\0" * 100],
    ids=["text", "binary-noise", "webm-magic-then-nothing"],
)
def test_undecodable_bytes_are_a_422(garbage: bytes) -> None:
    with pytest.raises(AudioError) as raised:
        decode_audio(garbage, LIMITS)
    assert raised.value.status_code == 422 and "decode" in raised.value.detail


def test_recording_cut_short_keeps_the_audio_before_the_cut(recording: Callable[[Encoding], bytes]) -> None:
    whole = recording("webm")
    cut = decode_audio(whole[: len(whole) // 2], LIMITS)
    assert 0.5 < cut.seconds < decode_audio(whole, LIMITS).seconds


def test_only_recording_containers_are_opened(speech_tools: None, tmp_path: Path) -> None:
    # FFmpeg can read hundreds of formats, some of which (playlists, concat lists) open further files or
    # URLs; uploads may only use the containers browsers and phones record in. AIFF stands in for the rest.
    target = tmp_path / "tone.aiff"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(target)],
        check=True,
    )
    with av.open(str(target)) as container:  # FFmpeg itself reads it fine...
        assert container.streams.audio
    with pytest.raises(AudioError) as raised:  # ...but an upload may not use it
        decode_audio(target.read_bytes(), LIMITS)
    assert raised.value.status_code == 422


def test_video_without_an_audio_track_is_a_422(speech_tools: None, tmp_path: Path) -> None:
    target = tmp_path / "silent.webm"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=blue:s=32x32:d=1", "-c:v", "libvpx",
         str(target)],
        check=True,
    )
    with pytest.raises(AudioError) as raised:
        decode_audio(target.read_bytes(), LIMITS)
    assert raised.value.status_code == 422 and "no audio track" in raised.value.detail
