"""Run-level figures: tau-bench pass^k, percentiles and the summary's accuracies."""

from __future__ import annotations

from math import comb

import pytest

from evals.metrics import pass_hat_k, percentile, summarize
from evals.results import Check, ScenarioResult, TrialResult, TurnResult


def test_pass_hat_k_follows_tau_bench() -> None:
    # A scenario passing 2 of 4 trials: pass^1 = 0.5, pass^2 = C(2,2)/C(4,2) = 1/6.
    assert pass_hat_k([(2, 4)], 1) == pytest.approx(0.5)
    assert pass_hat_k([(2, 4)], 2) == pytest.approx(1 / 6)
    assert pass_hat_k([(2, 4), (4, 4)], 2) == pytest.approx((1 / 6 + 1) / 2)
    assert pass_hat_k([(3, 3), (2, 3)], 3) == pytest.approx(0.5)
    assert pass_hat_k([(5, 8)], 3) == pytest.approx(comb(5, 3) / comb(8, 3))
    with pytest.raises(ValueError):
        pass_hat_k([(1, 1)], 2)


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0], 50) == pytest.approx(1.5)


def turn(passed_actions: bool | None, args: tuple[int, int] = (0, 0), wer: float | None = None,
         kind: str = "say", timings: dict[str, float] | None = None) -> TurnResult:
    checks = [] if passed_actions is None else [Check(name="actions", expected="", passed=passed_actions)]
    return TurnResult(index=0, kind=kind, checks=checks, actions_checked=passed_actions is not None,
                      args_expected=args[0], args_matched=args[1], wer=wer, timings=timings or {})


def test_summary_figures() -> None:
    good = TrialResult(trial=0, turns=[turn(True, (2, 2), timings={"llm": 1.0, "total": 2.0}),
                                       turn(None, kind="speak", wer=0.2, timings={"asr": 0.5, "total": 3.0})])
    bad = TrialResult(trial=1, turns=[turn(False, (2, 1), timings={"llm": 3.0, "total": 4.0}),
                                      turn(True, kind="speak", wer=0.4)])
    errored = TrialResult(trial=0, error="boom")
    summary = summarize([ScenarioResult(id="a", file="f", line=1, trials=[good, bad]),
                         ScenarioResult(id="b", file="f", line=9, trials=[errored, errored])])
    assert summary.scenarios == 2 and summary.trials == 4 and summary.turns == 4
    assert summary.scenario_pass_rate == pytest.approx(1 / 4)
    assert summary.pass_hat_k[1] == pytest.approx((0.5 + 0) / 2)
    assert summary.pass_hat_k[2] == pytest.approx(0.0)
    assert summary.action_accuracy == pytest.approx(2 / 3)
    assert summary.argument_accuracy == pytest.approx(3 / 4)
    assert summary.voice_turns == 2 and summary.mean_wer == pytest.approx(0.3)
    assert summary.latency["llm"].n == 2 and summary.latency["llm"].p50 == pytest.approx(2.0)
    assert summary.latency["asr"].n == 1 and "tools" not in summary.latency
    assert summary.errors == 2
