"""Reports (JSON round trip, HTML, Markdown) and the run-to-run comparison, on hand-made run results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.state import ActionRecord
from evals.cli import main
from evals.compare import CompareOptions, compare, render
from evals.metrics import summarize
from evals.report import ReportError, headline, read_report, render_html, render_markdown, write_reports
from evals.results import (
    Check,
    RunConfig,
    RunReport,
    ScenarioResult,
    ShownProduct,
    TrialResult,
    TurnResult,
)


def trial(passed: bool, llm_s: float = 1.0, wer: float = 0.1) -> TrialResult:
    search = TurnResult(index=0, kind="say", text="find <b>running</b> shoes", reply="I found 3 matches.",
                        actions=[ActionRecord(tool="search_products", args={"query": "running shoes"})],
                        shown=[ShownProduct(id="p1", name="Trail Running Shoe")],
                        checks=[Check(name="actions", expected="[search_products(query contains 'shoe')]", passed=True)],
                        actions_checked=True, args_expected=1, args_matched=1,
                        timings={"llm": llm_s, "tools": 0.05, "total": llm_s + 0.1})
    add = TurnResult(index=1, kind="speak", text="add the first one", transcript="add the first one.", wer=wer,
                     reply="Added to your cart.", actions=[ActionRecord(tool="add_to_cart", args={"product_id": "p1"})],
                     checks=[Check(name="actions", expected="[add_to_cart(product_id results[0])]", passed=passed,
                                   reason="" if passed else "action 1 add_to_cart: product_id: expected p1, got p2")],
                     actions_checked=True, args_expected=1, args_matched=int(passed),
                     timings={"asr": 0.8, "llm": llm_s, "total": llm_s + 0.9})
    return TrialResult(trial=0, turns=[search, add],
                       final_checks=[Check(name="final.cart_size", expected="1", passed=True)], seconds=2.0)


def report(outcomes: dict[str, bool], llm_s: float = 1.0, wer: float = 0.1) -> RunReport:
    scenarios = [ScenarioResult(id=name, file="suites/x.yaml", line=i * 10 + 1, description=f"about {name}",
                                trials=[trial(ok, llm_s, wer)]) for i, (name, ok) in enumerate(outcomes.items())]
    config = RunConfig(suites=["suites"], llm="embedded", started_at=datetime(2026, 11, 28, tzinfo=UTC),
                       machine="test machine")
    return RunReport(config=config, summary=summarize(scenarios), scenarios=scenarios)


def test_json_round_trip(tmp_path: Path) -> None:
    original = report({"a": True, "b": False})
    write_reports(original, tmp_path / "out.json")
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["schema"] == "voiceshop-eval/1"
    assert data["scenarios"][1]["trials"][0]["passed"] is False
    assert read_report(tmp_path / "out.json") == original


def test_html_has_transcripts_failures_wer_and_latency() -> None:
    page = render_html(report({"a": True, "b": False}))
    assert "find &lt;b&gt;running&lt;/b&gt; shoes" in page, "customer text is escaped"
    assert "heard:</span> add the first one." in page and "WER 10.0%" in page
    assert "expected p1, got p2" in page
    assert "Failures (1 scenarios)" in page and 'href="#b"' in page and 'href="#a"' not in page
    assert "<td>llm</td><td>4</td><td>1.00 s</td>" in page
    assert "Trail Running Shoe" in page


def test_markdown_lists_failures_with_their_transcript() -> None:
    text = render_markdown(report({"a": True, "b": False}))
    assert "| scenario pass rate | 50.0% |" in text
    assert "### `b`: 0/1 passed (suites/x.yaml:11)" in text
    assert "turn 2, **actions**: expected [add_to_cart(product_id results[0])]; action 1 add_to_cart" in text
    assert "heard \"add the first one.\" (WER 10.0%)" in text
    assert "`a`" not in text
    assert "pass rate 50.0%" in headline(report({"a": True, "b": False}))


def test_compare_lists_scenario_and_metric_changes() -> None:
    before = report({"a": True, "b": False, "gone": True}, llm_s=1.0, wer=0.1)
    after = report({"a": False, "b": True, "new": True}, llm_s=2.0, wer=0.1)
    result = compare(before, after)
    assert [c.id for c in result.regressions] == ["a"] and [c.id for c in result.improvements] == ["b"]
    assert result.regressions[0].newly_failing == ("turn 2 actions",)
    assert result.only_in_a == ["gone"] and result.only_in_b == ["new"]
    worse = {m.name for m in result.metric_regressions}
    assert {"llm p50", "llm p95", "total p50"} <= worse
    assert "mean WER" not in worse and "scenario pass rate" not in worse  # 2/3 both times
    text = render(result, "A.json", "B.json")
    assert "- `a`: 1/1 → 0/1 passed\n  - now failing: turn 2 actions" in text
    assert "llm p50: 1.00 s → 2.00 s (+1.00 s)" in text


def test_latency_noise_within_the_tolerance_is_not_a_change() -> None:
    result = compare(report({"a": True}, llm_s=1.0), report({"a": True}, llm_s=1.05), CompareOptions(0.10))
    assert not result.regressed and not result.metric_improvements


def test_cli_compare_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_reports(report({"a": True}), tmp_path / "a.json")
    write_reports(report({"a": False}), tmp_path / "b.json")
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    assert "## Regressions (1 scenarios)" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--fail-on-regression"]) == 1
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "a.json"), "--fail-on-regression"]) == 0
    (tmp_path / "junk.json").write_text('{"hello": 1}')
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "junk.json")]) == 2
    assert "not a voiceshop-eval/1 report" in capsys.readouterr().err


def test_read_report_errors(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read"):
        read_report(tmp_path / "missing.json")
    (tmp_path / "old.json").write_text(report({"a": True}).model_dump_json(by_alias=True).replace(
        "voiceshop-eval/1", "voiceshop-eval/0"))
    with pytest.raises(ReportError, match="schema 'voiceshop-eval/0'"):
        read_report(tmp_path / "old.json")
