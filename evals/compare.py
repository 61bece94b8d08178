"""Run-to-run comparison: which scenarios and which figures got better or worse from report A to B."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from evals.results import RunReport, ScenarioResult


@dataclass(frozen=True)
class CompareOptions:
    """When a change counts. Latencies are noisy on a shared machine, so they need a relative margin."""

    latency_tolerance: float = 0.10  # relative change of a p50/p95 below this is noise
    score_tolerance: float = 0.0  # absolute change of a rate (pass rate, accuracy, WER) below this is noise


@dataclass(frozen=True)
class ScenarioChange:
    id: str
    before: str  # "2/3"
    after: str
    newly_failing: tuple[str, ...] = ()  # failed checks in B that passed (or were absent) in A


@dataclass(frozen=True)
class MetricChange:
    name: str
    before: float
    after: float
    better: str  # "higher" or "lower"
    unit: str = "%"

    def show(self, value: float) -> str:
        return f"{value:.1%}" if self.unit == "%" else f"{value:.2f} s"

    def __str__(self) -> str:
        delta = self.after - self.before
        sign = "+" if delta >= 0 else "-"
        shown = f"{abs(delta) * 100:.1f} points" if self.unit == "%" else f"{abs(delta):.2f} s"
        return f"{self.name}: {self.show(self.before)} → {self.show(self.after)} ({sign}{shown})"


@dataclass
class Comparison:
    regressions: list[ScenarioChange] = field(default_factory=list)
    improvements: list[ScenarioChange] = field(default_factory=list)
    metric_regressions: list[MetricChange] = field(default_factory=list)
    metric_improvements: list[MetricChange] = field(default_factory=list)
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.regressions or self.metric_regressions)


def _rate(result: ScenarioResult) -> float:
    return result.passes / len(result.trials) if result.trials else 0.0


def _failed_checks(result: ScenarioResult) -> set[str]:
    return {f"{where} {check.name}" for t in result.trials for where, check in t.failed_checks()} | {
        f"error: {t.error}" for t in result.trials if t.error}


def _metrics(report: RunReport) -> Iterator[tuple[str, float | None, str, str]]:
    """(name, value, better, unit) for every figure worth comparing."""
    s = report.summary
    yield "scenario pass rate", s.scenario_pass_rate, "higher", "%"
    for k, value in s.pass_hat_k.items():
        yield f"pass^{k}", value, "higher", "%"
    yield "action accuracy", s.action_accuracy, "higher", "%"
    yield "argument accuracy", s.argument_accuracy, "higher", "%"
    yield "mean WER", s.mean_wer, "lower", "%"
    for stage, latency in s.latency.items():
        yield f"{stage} p50", latency.p50, "lower", "s"
        yield f"{stage} p95", latency.p95, "lower", "s"


def compare(a: RunReport, b: RunReport, options: CompareOptions = CompareOptions()) -> Comparison:
    result = Comparison()
    before = {r.id: r for r in a.scenarios}
    after = {r.id: r for r in b.scenarios}
    result.only_in_a = sorted(before.keys() - after.keys())
    result.only_in_b = sorted(after.keys() - before.keys())
    for scenario_id in sorted(before.keys() & after.keys()):
        old, new = before[scenario_id], after[scenario_id]
        if _rate(new) == _rate(old):
            continue
        change = ScenarioChange(scenario_id, f"{old.passes}/{len(old.trials)}", f"{new.passes}/{len(new.trials)}",
                                tuple(sorted(_failed_checks(new) - _failed_checks(old))))
        (result.regressions if _rate(new) < _rate(old) else result.improvements).append(change)

    old_metrics = {name: value for name, value, _, _ in _metrics(a)}
    for name, value, better, unit in _metrics(b):
        previous = old_metrics.get(name)
        if value is None or previous is None:
            continue
        margin = options.latency_tolerance * previous if unit == "s" else options.score_tolerance
        delta = value - previous
        if abs(delta) <= margin:
            continue
        change = MetricChange(name, previous, value, better, unit)
        worse = delta > 0 if better == "lower" else delta < 0
        (result.metric_regressions if worse else result.metric_improvements).append(change)
    return result


def render(comparison: Comparison, a_name: str, b_name: str) -> str:
    """Markdown: regressions first (what a reviewer must look at), then improvements."""
    lines = [f"# Eval comparison: {a_name} → {b_name}", ""]

    def scenarios(title: str, changes: list[ScenarioChange]) -> None:
        lines.append(f"## {title} ({len(changes)} scenarios)")
        lines.extend(f"- `{c.id}`: {c.before} → {c.after} passed"
                     + "".join(f"\n  - now failing: {check}" for check in c.newly_failing) for c in changes)
        lines.append("")

    def metrics(title: str, changes: list[MetricChange]) -> None:
        lines.append(f"## {title} ({len(changes)} figures)")
        lines.extend(f"- {c}" for c in changes)
        lines.append("")

    scenarios("Regressions", comparison.regressions)
    metrics("Worse figures", comparison.metric_regressions)
    scenarios("Improvements", comparison.improvements)
    metrics("Better figures", comparison.metric_improvements)
    if comparison.only_in_a or comparison.only_in_b:
        lines.append("## Scenarios in one report only")
        lines.extend(f"- only in {a_name}: `{s}`" for s in comparison.only_in_a)
        lines.extend(f"- only in {b_name}: `{s}`" for s in comparison.only_in_b)
        lines.append("")
    return "\n".join(lines)
