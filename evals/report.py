"""Reports of a run: the JSON (always), an HTML page and a Markdown summary for people.

The JSON is the :class:`evals.results.RunReport` model as is; ``compare`` reads it back. The HTML shows
every scenario's transcript with each failed expectation and its reason; the Markdown gives the headline
figures and the failures (suited to a CI log or a pull-request comment).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from pydantic import ValidationError

from evals.results import SCHEMA, STAGES, RunReport

TEMPLATES = Path(__file__).resolve().parent / "templates"


class ReportError(ValueError):
    """A file that is not a report of this harness (or of another schema version)."""


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["percent"] = _percent
    env.filters["seconds"] = _seconds
    env.globals["STAGES"] = STAGES
    return env


def render_html(report: RunReport) -> str:
    return _environment(autoescape=True).get_template("report.html.j2").render(report=report)


def render_markdown(report: RunReport) -> str:
    return _environment(autoescape=False).get_template("report.md.j2").render(report=report)


def headline(report: RunReport) -> str:
    """The few figures worth a glance (printed by the CLI, quoted in the README)."""
    s = report.summary
    pass_k = ", ".join(f"pass^{k} {_percent(v)}" for k, v in s.pass_hat_k.items())
    lines = [
        (f"{s.scenarios} scenarios × {report.config.repeat} = {s.trials} trials, {s.turns} turns "
         f"({s.voice_turns} voice), LLM: {report.config.llm}"),
        (f"scenario pass rate {_percent(s.scenario_pass_rate)} ({pass_k}); action accuracy "
         f"{_percent(s.action_accuracy)}; argument accuracy {_percent(s.argument_accuracy)}; "
         f"mean WER {_percent(s.mean_wer)}; trials stopped by errors: {s.errors}"),
        "latency p50/p95: " + ", ".join(f"{stage} {_seconds(lat.p50)}/{_seconds(lat.p95)}"
                                        for stage, lat in s.latency.items()),
    ]
    return "\n".join(lines)


def write_reports(report: RunReport, json_path: Path, html_path: Path | None = None,
                  markdown_path: Path | None = None) -> None:
    for path, text in ((json_path, report.model_dump_json(indent=2, by_alias=True)),
                       (html_path, render_html(report) if html_path else None),
                       (markdown_path, render_markdown(report) if markdown_path else None)):
        if path is not None and text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def read_report(path: Path) -> RunReport:
    """Load a JSON report written by ``write_reports``; a clear :class:`ReportError` otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the report: {exc.strerror or exc}") from None
    try:
        report = RunReport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "top level"
        raise ReportError(f"{path}: not a {SCHEMA} report ({where}: {first['msg']})") from None
    if report.schema_ != SCHEMA:
        raise ReportError(f"{path}: report schema {report.schema_!r}; this harness reads {SCHEMA!r}")
    return report
