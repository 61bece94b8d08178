"""The shipped suites cover what the issue asks: every action, references, confirmations, errors, voice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.scenario import Scenario, load_suites
from tools import TOOLS

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return load_suites([SUITES])


def test_at_least_80_valid_scenarios(scenarios: list[Scenario]) -> None:
    assert len(scenarios) >= 80


def test_every_action_of_the_contract_is_expected_somewhere(scenarios: list[Scenario]) -> None:
    expected = Counter(a.tool for s in scenarios for t in s.turns for a in t.expect.actions or [])
    missing = set(TOOLS) - {"reply"} - set(expected)
    assert not missing, f"no scenario expects {sorted(missing)}"
    # A plain reply is never listed: "actions: []" on a turn is how a reply-only answer is expected.
    assert any(t.expect.actions == [] and t.say for s in scenarios for t in s.turns)


def test_at_least_15_voice_turns(scenarios: list[Scenario]) -> None:
    assert sum(t.kind != "say" for s in scenarios for t in s.turns) >= 15


def _said(scenarios: list[Scenario], words: str) -> list[str]:
    return [s.id for s in scenarios if any(words in (t.text or "").lower() for t in s.turns)]


@pytest.mark.parametrize("words", ["the second one", "make it two", "the blue one instead", "yes", "no",
                                   "changed my mind"])
def test_references_and_confirmations_are_said(scenarios: list[Scenario], words: str) -> None:
    assert _said(scenarios, words), f"no scenario has a turn saying {words!r}"


def test_refs_to_results_and_cart_are_used(scenarios: list[Scenario]) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in SUITES.glob("*.yaml"))
    assert 'ref: "results[' in text and 'ref: "cart[' in text


@pytest.mark.parametrize("tag, at_least", [("errors", 8), ("faq", 8), ("out-of-scope", 3), ("confirmation", 8),
                                           ("privacy", 2), ("multi-turn", 30), ("reference", 20)])
def test_tagged_areas_have_enough_scenarios(scenarios: list[Scenario], tag: str, at_least: int) -> None:
    assert sum(tag in s.tags for s in scenarios) >= at_least
