"""What a run records: the JSON report's schema, shared by the runner, the reports and ``compare``.

Pydantic models so that ``compare`` reads back exactly what ``run`` wrote (and rejects anything else
with a clear message instead of a KeyError).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, computed_field

from agent.state import ActionRecord  # the product's own record of a chosen action

SCHEMA = "voiceshop-eval/1"
STAGES = ("asr", "llm", "tools", "total")  # latency stages reported, in pipeline order


class Check(BaseModel):
    """One expectation and its outcome; ``reason`` says why it failed (empty when it passed)."""

    name: str  # e.g. "actions", "reply_contains_any", "final.cart"
    expected: str
    passed: bool
    reason: str = ""


class ShownProduct(BaseModel):
    id: str
    name: str = ""


class TurnResult(BaseModel):
    """One customer turn: what was said or heard, what the assistant did, and the checks."""

    index: int
    kind: str  # say | speak | audio: how the turn was sent (a speak turn run with --speak-as-text is "say")
    text: str | None = None  # say/speak text (the WER reference of a voice turn)
    audio: str | None = None  # the clip of an audio turn
    transcript: str | None = None  # what ASR heard, for voice turns
    wer: float | None = None
    reply: str = ""
    actions: list[ActionRecord] = Field(default_factory=list)
    confirmed: ActionRecord | None = None  # a checkout/cancel that this turn's "yes" (or "no") settled
    shown: list[ShownProduct] = Field(default_factory=list)  # products shown this turn, in order
    checks: list[Check] = Field(default_factory=list)
    actions_checked: bool = False  # the scenario listed `actions` for this turn
    args_expected: int = 0  # argument matchers listed for this turn's actions
    args_matched: int = 0
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage
    error: str | None = None  # the turn could not run (HTTP error, missing espeak-ng, ...)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    @property
    def actions_match(self) -> bool:
        return any(c.name == "actions" and c.passed for c in self.checks)


class TrialResult(BaseModel):
    """One run of a scenario on a fresh shop (``--repeat k`` gives k of them)."""

    trial: int
    turns: list[TurnResult] = Field(default_factory=list)
    final_checks: list[Check] = Field(default_factory=list)
    error: str | None = None  # set when the trial stopped early
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return (self.error is None and all(t.passed for t in self.turns)
                and all(c.passed for c in self.final_checks))

    def failed_checks(self) -> list[tuple[str, Check]]:
        """(where, check) for every failed expectation, in scenario order."""
        failed = [(f"turn {t.index + 1}", c) for t in self.turns for c in t.checks if not c.passed]
        return failed + [("final", c) for c in self.final_checks if not c.passed]


class ScenarioResult(BaseModel):
    id: str
    file: str
    line: int
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    trials: list[TrialResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passes(self) -> int:
        return sum(t.passed for t in self.trials)


class Latency(BaseModel):
    n: int
    p50: float
    p95: float


class Summary(BaseModel):
    """Run-level figures, as the contract's "What the runner reports" lists them."""

    scenarios: int
    trials: int
    scenario_pass_rate: float  # passed trials / trials
    pass_hat_k: dict[int, float]  # tau-bench pass^k for k = 1..repeat
    turns: int
    action_accuracy: float | None  # turns whose actions match / turns that list actions
    argument_accuracy: float | None  # argument matchers that matched / argument matchers listed
    voice_turns: int
    mean_wer: float | None
    latency: dict[str, Latency]  # per stage, seconds
    errors: int  # trials that stopped on an error


class RunConfig(BaseModel):
    """How the run was made, so two reports can be told apart."""

    suites: list[str]
    llm: str  # "embedded", a URL, or the name of a scripted test LLM
    llm_model: str | None = None
    repeat: int = 1
    concurrency: int = 1
    speak_as_text: bool = False
    machine: str = ""
    started_at: datetime
    seconds: float = 0.0


class RunReport(BaseModel):
    schema_: str = Field(default=SCHEMA, alias="schema")
    config: RunConfig
    summary: Summary
    scenarios: list[ScenarioResult]

    model_config = {"populate_by_name": True}
