"""Run-level figures: pass rate, tau-bench pass^k, action/argument accuracy, WER and latency percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from math import comb

from evals.results import STAGES, Latency, ScenarioResult, Summary


def pass_hat_k(outcomes: Sequence[tuple[int, int]], k: int) -> float:
    """tau-bench's pass^k: mean over scenarios of C(c, k) / C(n, k), for (c passes, n trials) each.

    The chance that k trials drawn from a scenario's n all pass: it falls with k when a model is
    inconsistent, which a plain pass rate hides.
    """
    usable = [(c, n) for c, n in outcomes if n >= k]
    if not usable or k < 1:
        raise ValueError(f"pass^{k} needs at least {k} trials of every scenario")
    return sum(comb(c, k) / comb(n, k) for c, n in usable) / len(usable)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), the usual definition of p50/p95."""
    if not values:
        raise ValueError("percentile of no values")
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")  # the 1st..99th percentiles
    return float(min(values)) if q <= 0 else cuts[int(q) - 1] if q < 100 else float(max(values))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarize(results: Sequence[ScenarioResult]) -> Summary:
    trials = [t for r in results for t in r.trials]
    turns = [turn for t in trials for turn in t.turns]
    checked = [turn for turn in turns if turn.actions_checked]
    wers = [turn.wer for turn in turns if turn.wer is not None]
    latency: dict[str, Latency] = {}
    for stage in STAGES:
        values = [turn.timings[stage] for turn in turns if stage in turn.timings]
        if values:
            latency[stage] = Latency(n=len(values), p50=percentile(values, 50), p95=percentile(values, 95))
    repeat = min((len(r.trials) for r in results), default=0)
    outcomes = [(r.passes, len(r.trials)) for r in results]
    return Summary(
        scenarios=len(results),
        trials=len(trials),
        scenario_pass_rate=_ratio(sum(t.passed for t in trials), len(trials)) or 0.0,
        pass_hat_k={k: pass_hat_k(outcomes, k) for k in range(1, repeat + 1)},
        turns=len(turns),
        action_accuracy=_ratio(sum(turn.actions_match for turn in checked), len(checked)),
        argument_accuracy=_ratio(sum(t.args_matched for t in turns), sum(t.args_expected for t in turns)),
        voice_turns=sum(turn.kind != "say" for turn in turns),
        mean_wer=statistics.fmean(wers) if wers else None,
        latency=latency,
        errors=sum(t.error is not None for t in trials),
    )
