"""``voiceshop eval``: run scenario suites, validate them, compare two runs.

    voiceshop eval run PATH... --report out.json [--html out.html] [--markdown out.md] [--repeat k]
                      [--llm-url URL --llm-model NAME] [--concurrency N] [--speak-as-text] [--gold-replay]
    voiceshop eval validate PATH...
    voiceshop eval compare A.json B.json [--fail-on-regression]

``python -m evals ...`` is the same without the ``voiceshop eval`` prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from evals.compare import CompareOptions, compare, render
from evals.report import ReportError, headline, read_report, write_reports
from evals.results import TrialResult
from evals.scenario import Scenario, ScenarioError, load_suites

EXIT_INVALID = 2  # unusable input: scenario files or reports


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text}")
    return value


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``run``, ``validate`` and ``compare`` to a subcommand group."""
    run = commands.add_parser("run", help="run scenario suites and write reports")
    run.add_argument("paths", nargs="+", type=Path, help="scenario files or directories (every *.yaml below)")
    run.add_argument("--report", type=Path, required=True, help="JSON report to write")
    run.add_argument("--html", type=Path, help="also write an HTML report with every transcript")
    run.add_argument("--markdown", type=Path,
                     help="Markdown summary of figures and failures (default: beside the JSON report, .md)")
    run.add_argument("--repeat", type=_positive, default=1, help="trials per scenario; reports pass^1..pass^k")
    run.add_argument("--llm-url", help="an OpenAI-compatible server (e.g. http://host:8000/v1); "
                                       "default: the embedded model (or LLM_BASE_URL)")
    run.add_argument("--llm-model", help="model name to send to --llm-url")
    run.add_argument("--llm-threads", type=_positive, help="threads of the embedded engine (default LLM_THREADS)")
    run.add_argument("--concurrency", type=_positive,
                     help="scenarios run at once (default: 1 for the embedded engine, 4 for a server)")
    run.add_argument("--speak-as-text", action="store_true",
                     help="send speak turns as typed text (no espeak-ng, no ASR): a fast text-only run")
    run.add_argument("--gold-replay", action="store_true",
                     help="self-check: a scripted test LLM replays each scenario's expected actions; "
                          "every scenario should pass (this tests the scenarios and the harness, not a model)")
    run.add_argument("--min-pass-rate", type=_fraction,
                     help="exit with status 1 when the scenario pass rate is below this fraction")
    run.add_argument("--work-dir", type=Path, help="scratch directory (kept); default: a temporary one")
    run.set_defaults(run=_run)

    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("paths", nargs="+", type=Path)
    validate.set_defaults(run=_validate)

    comparison = commands.add_parser("compare", help="regressions and improvements from report A to report B")
    comparison.add_argument("a", type=Path, help="the reference report (e.g. main's)")
    comparison.add_argument("b", type=Path, help="the new report")
    comparison.add_argument("--latency-tolerance", type=_fraction, default=CompareOptions.latency_tolerance,
                            help="relative latency change treated as noise (default 0.10)")
    comparison.add_argument("--fail-on-regression", action="store_true", help="exit with status 1 on any regression")
    comparison.set_defaults(run=_compare)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Hook for ``voiceshop``'s CLI: adds ``voiceshop eval run|validate|compare``."""
    evaluate = commands.add_parser("eval", help="offline evaluation: run scenario suites, compare runs")
    add_commands(evaluate.add_subparsers(dest="eval_command", required=True))


def _load(paths: Sequence[Path]) -> list[Scenario] | None:
    try:
        return load_suites(paths)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return None


def _validate(args: argparse.Namespace) -> int:
    scenarios = _load(args.paths)
    if scenarios is None:
        return EXIT_INVALID
    turns = sum(len(s.turns) for s in scenarios)
    voice = sum(t.kind != "say" for s in scenarios for t in s.turns)
    print(f"{len(scenarios)} scenarios, {turns} turns ({voice} voice): all valid")
    return 0


def _run(args: argparse.Namespace) -> int:
    from evals.runner import RunOptions, run_scenarios

    scenarios = _load(args.paths)
    if scenarios is None:
        return EXIT_INVALID
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the progress lines
    remote = args.llm_url is not None
    options = RunOptions(
        repeat=args.repeat, concurrency=args.concurrency or (4 if remote or args.gold_replay else 1),
        llm_url=args.llm_url, llm_model=args.llm_model, llm_threads=args.llm_threads,
        speak_as_text=args.speak_as_text, work_dir=args.work_dir, suites=tuple(map(str, args.paths)),
    )
    factory = None
    if args.gold_replay:
        from evals.scripted_llm import GoldReplayLLM

        factory = GoldReplayLLM
    total = len(scenarios) * args.repeat
    done = 0

    def progress(scenario: Scenario, trial: TrialResult) -> None:
        nonlocal done
        done += 1
        verdict = "pass" if trial.passed else "FAIL"
        print(f"[{done}/{total}] {verdict} {scenario.id} ({trial.seconds:.1f} s)"
              + (f": {trial.error}" if trial.error else ""), file=sys.stderr, flush=True)

    report = asyncio.run(run_scenarios(scenarios, options, factory, on_trial=progress))
    markdown = args.markdown or args.report.with_suffix(".md")  # the contract: a readable report beside the JSON
    write_reports(report, args.report, args.html, markdown)
    print(headline(report))
    print(f"report: {args.report}" + "".join(f", {p}" for p in (args.html, markdown) if p))
    if args.min_pass_rate is not None and report.summary.scenario_pass_rate < args.min_pass_rate:
        print(f"scenario pass rate {report.summary.scenario_pass_rate:.1%} is below {args.min_pass_rate:.1%}",
              file=sys.stderr)
        return 1
    return 0


def _compare(args: argparse.Namespace) -> int:
    try:
        a, b = read_report(args.a), read_report(args.b)
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    result = compare(a, b, CompareOptions(latency_tolerance=args.latency_tolerance))
    print(render(result, str(args.a), str(args.b)))
    return 1 if args.fail_on_regression and result.regressed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_commands(parser.add_subparsers(dest="eval_command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)
