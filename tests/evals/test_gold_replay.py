"""The harness end to end, through the real server, agent, tools and shop, with scripted test LLMs.

GoldReplayLLM (a test double) acts out each scenario's expected actions: every shipped scenario must pass,
which proves the runner, the scoring and the scenarios together. WrongAnswerLLM (a test double) makes one
kind of mistake: exactly the expectations about that mistake must fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from evals.report import read_report, render_markdown
from evals.results import RunReport, TrialResult
from evals.runner import RunOptions, run_scenarios
from evals.scenario import Scenario, load_suites
from evals.scripted_llm import GoldReplayLLM, WrongAnswerLLM

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "evals" / "suites"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Scenario]:
    return {s.id: s for s in load_suites([SUITES])}


def run(scenarios: list[Scenario], factory: Callable[[], httpx.AsyncBaseTransport],
        **options: object) -> RunReport:
    return asyncio.run(run_scenarios(scenarios, RunOptions(**options), factory))  # type: ignore[arg-type]


def failures(report: RunReport) -> str:
    return render_markdown(report).split("## Failures", 1)[1]


def test_gold_replay_passes_every_shipped_scenario(shipped: dict[str, Scenario]) -> None:
    report = run(list(shipped.values()), GoldReplayLLM, speak_as_text=True, concurrency=4)
    assert report.summary.errors == 0, failures(report)
    assert report.summary.scenario_pass_rate == 1.0, failures(report)
    assert report.summary.action_accuracy == 1.0 and report.summary.argument_accuracy == 1.0


def only_trial(report: RunReport) -> TrialResult:
    [scenario] = report.scenarios
    [trial] = scenario.trials
    return trial


def failed(trial: TrialResult) -> dict[str, str]:
    return {f"{where} {check.name}": check.reason for where, check in trial.failed_checks()}


def test_a_silent_llm_fails_the_actions_and_the_cart(shipped: dict[str, Scenario]) -> None:
    trial = only_trial(run([shipped["cart-add-the-second-one"]], lambda: WrongAnswerLLM("silent")))
    reasons = failed(trial)
    assert set(reasons) == {"turn 1 actions", "turn 2 actions", "turn 2 reply_contains_any", "final final.cart",
                            "final final.cart_size"}
    assert "action 1: expected search_products, got nothing" in reasons["turn 1 actions"]
    assert "0 cart lines" in reasons["final final.cart_size"]
    # The greeting scenario expects no tool: a model that never acts is right there.
    assert only_trial(run([shipped["chat-greeting"]], lambda: WrongAnswerLLM("silent"))).passed


def test_a_model_outage_is_a_trial_error_not_a_wrong_answer(shipped: dict[str, Scenario]) -> None:
    from tests.scripted_llm import ScriptedLLM

    def unreachable_llm() -> ScriptedLLM:
        llm = ScriptedLLM()
        llm.fail_with = httpx.ConnectError("connection refused")
        return llm

    report = run([shipped["chat-greeting"]], unreachable_llm)
    trial = only_trial(report)
    assert trial.error is not None and trial.error.startswith("turn 1: the model failed:"), trial.error
    assert "could not be reached" in trial.error and report.summary.errors == 1


def test_wrong_arguments_fail_with_each_argument_named(shipped: dict[str, Scenario]) -> None:
    report = run([shipped["cart-add-the-second-one"]], lambda: WrongAnswerLLM("wrong_args"))
    reasons = failed(only_trial(report))
    assert "search_products: query: expected something containing 'headphone'" in reasons["turn 1 actions"]
    assert "search_products: max_price: expected about 50" in reasons["turn 1 actions"]
    # The wrong search showed nothing, so "the second one" names no product: no valid action, empty cart.
    assert "action 1: expected add_to_cart, got nothing" in reasons["turn 2 actions"]
    assert {"final final.cart", "final final.cart_size"} <= set(reasons)
    assert report.summary.argument_accuracy == 0.0 and report.summary.action_accuracy == 0.0


def test_a_wrong_product_late_in_a_scenario_fails_only_what_depends_on_it(shipped: dict[str, Scenario]) -> None:
    report = run([shipped["cart-add-the-second-one"]], lambda: WrongAnswerLLM("wrong_args", frozenset({1})))
    trial = only_trial(report)
    reasons = failed(trial)
    assert set(reasons) == {"turn 2 actions", "final final.cart"}, reasons
    shown = [p.id for p in trial.turns[0].shown]
    added = trial.turns[1].actions[0].args["product_id"]
    assert added != shown[1]
    assert f"product_id: expected results[1] = {shown[1]!r}, got {added!r}" in reasons["turn 2 actions"]
    assert "quantity: expected about 1" in reasons["turn 2 actions"]
    assert report.summary.argument_accuracy == pytest.approx(2 / 4)  # query, max_price right; product_id, quantity wrong


def test_a_wrong_tool_fails_the_actions_and_the_confirmation_flow(shipped: dict[str, Scenario]) -> None:
    trial = only_trial(run([shipped["checkout-confirmed"]], lambda: WrongAnswerLLM("wrong_tool")))
    reasons = failed(trial)
    assert "expected search_products, got view_cart" in reasons["turn 1 actions"]
    assert "expected checkout, got view_cart" in reasons["turn 3 actions"]
    assert "0 orders were placed" in reasons["final final.orders_placed"]
    assert "turn 4 actions" not in reasons, "the customer's yes had nothing to confirm: still no action"


def test_runs_a_suite_from_a_directory_outside_the_repository(tmp_path: Path) -> None:
    suite = tmp_path / "my-suite"
    suite.mkdir()
    shutil.copy(SUITES / "cart.yaml", suite / "cart.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VOICESHOP_DATA_DIR")}
    result = subprocess.run(
        [sys.executable, "-m", "evals", "run", "my-suite", "--report", "out/report.json", "--html", "out/report.html",
         "--gold-replay", "--speak-as-text"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = read_report(tmp_path / "out" / "report.json")
    assert report.summary.scenarios == 12 and report.summary.scenario_pass_rate == 1.0
    assert "cart-make-it-two" in (tmp_path / "out" / "report.html").read_text()
    assert "| scenario pass rate | 100.0% |" in (tmp_path / "out" / "report.md").read_text(), "Markdown beside JSON"
    assert not (tmp_path / "var").exists(), "the harness must not write into the working directory"


def test_a_broken_scenario_file_stops_the_run_with_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\nturns:\n  - say: hi\n    expect:\n      actions:\n"
                                       "        - tool: add_to_cart\n          args: {product_id: {ref: first}}\n")
    result = subprocess.run([sys.executable, "-m", "evals", "run", "bad.yaml", "--report", "r.json"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "bad.yaml:7:" in result.stderr and "turns[0].expect.actions[0].args.product_id" in result.stderr
    assert 'expected "results[i]" or "cart[i]"' in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_repeat_gives_pass_hat_k_on_a_fresh_shop_each_time(shipped: dict[str, Scenario]) -> None:
    # Adding the same product twice to one shop would leave quantity 2: passing twice proves a fresh copy.
    report = run([shipped["cart-add-the-second-one"]], GoldReplayLLM, repeat=3)
    assert [t.passed for t in report.scenarios[0].trials] == [True, True, True]
    assert report.summary.trials == 3 and report.summary.pass_hat_k == {1: 1.0, 2: 1.0, 3: 1.0}


def test_a_silent_llm_leaves_the_order_and_refunds_as_they_were(shipped: dict[str, Scenario]) -> None:
    scenario = shipped["after-purchase-return-shoes-from-last-order"]
    trial = only_trial(run([scenario], lambda: WrongAnswerLLM("silent")))
    reasons = failed(trial)
    assert {"final final.orders", "final final.refunds", "final final.refunds_made"} <= set(reasons), reasons
    assert "order 4 delivered" in reasons["final final.orders"]
    assert reasons["final final.refunds_made"].startswith("0 refunds were made")
