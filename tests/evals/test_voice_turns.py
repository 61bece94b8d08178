"""Voice turns end to end: espeak-ng speech and recorded clips through the server's real ASR (Whisper).

The gold-replay test LLM (a test double) chooses the actions, so these tests check the voice path of the
harness (synthesis, upload, transcript, WER) rather than the model. They need espeak-ng (installed by
.ci/run); without it they are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from evals.results import RunReport
from evals.runner import RunOptions, run_scenarios
from evals.scenario import load_suites
from evals.scripted_llm import GoldReplayLLM

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"),
]


def run_gold(paths: list[Path]) -> RunReport:
    return asyncio.run(run_scenarios(load_suites(paths), RunOptions(), GoldReplayLLM))


def test_spoken_turns_are_transcribed_scored_and_pass() -> None:
    report = run_gold([SUITES / "voice.yaml"])
    spoken = [turn for s in report.scenarios for t in s.trials for turn in t.turns if turn.kind == "speak"]
    assert report.summary.scenario_pass_rate == 1.0, [t.failed_checks() for s in report.scenarios
                                                      for t in s.trials if not t.passed]
    assert len(spoken) >= 15
    assert all(turn.transcript and turn.wer is not None for turn in spoken)
    assert all("asr" in turn.timings for turn in spoken)
    assert report.summary.mean_wer is not None and report.summary.mean_wer < 0.5, "ASR heard mostly other words"
    assert report.summary.latency["asr"].n == len(spoken)


def test_an_audio_clip_with_its_reference_text(tmp_path: Path) -> None:
    clip = tmp_path / "clips" / "orders.wav"
    clip.parent.mkdir()
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(clip), "show me my orders"], check=True)
    (tmp_path / "audio.yaml").write_text(
        "id: audio-clip\nturns:\n  - audio: clips/orders.wav\n    say: show me my orders\n"
        "    expect:\n      actions: [{tool: list_orders}]\n", encoding="utf-8")
    report = run_gold([tmp_path])
    [turn] = report.scenarios[0].trials[0].turns
    assert turn.kind == "audio" and turn.audio == str(clip)
    assert turn.transcript and "order" in turn.transcript.lower()
    assert turn.wer is not None and turn.wer <= 0.5
    assert report.summary.scenario_pass_rate == 1.0
