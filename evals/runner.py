"""Runs scenarios through the real assistant: the server app, its LangGraph agent and the shop API.

Each trial gets its own copy of the seeded shop and its own app instance, driven in-process through
httpx's ASGI transport, exactly as the web widget drives it over HTTP. The LLM is whatever the options
say: the embedded model, any OpenAI-compatible server, or an injected transport (the scripted test LLMs
of :mod:`evals.scripted_llm`). Trials run concurrently up to ``concurrency``.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx

from evals.client import AssistantClient
from evals.fresh_shop import SeedOptions, ShopTemplate
from evals.matchers import RefContext
from evals.metrics import summarize
from agent.state import ActionRecord
from evals.results import RunConfig, RunReport, ScenarioResult, ShownProduct, TrialResult, TurnResult
from evals.scenario import Scenario, Turn
from evals.scoring import check_final, check_orders, refunds_of, score_turn
from evals.speech import Recording, SpeechSynthesizer, word_error_rate


@runtime_checkable
class TurnScripted(Protocol):
    """An injected LLM transport that wants to know each turn's expectations (the gold-replay double)."""

    def begin_turn(self, turn: Turn, refs: RefContext) -> None: ...


TransportFactory = Callable[[], httpx.AsyncBaseTransport]


@dataclass(frozen=True)
class RunOptions:
    """How to run a set of scenarios. ``llm_url=None`` and no transport factory means the embedded model."""

    repeat: int = 1
    concurrency: int = 1
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_threads: int | None = None  # embedded engine threads (default: LLM_THREADS or the core count)
    speak_as_text: bool = False  # send `speak` text as typed text: no espeak-ng/ASR (fast CI replay)
    seed: SeedOptions = field(default_factory=SeedOptions)
    work_dir: Path | None = None  # scratch space (template and trial databases, shared data directory)
    turn_timeout_s: float = 600.0  # a slow CPU model can take minutes on a long turn
    suites: tuple[str, ...] = ()  # for the report only

    def __post_init__(self) -> None:
        if self.repeat < 1 or self.concurrency < 1:
            raise ValueError("repeat and concurrency must be at least 1")


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def base_settings(options: RunOptions, data_dir: Path, scripted: bool) -> Any:
    """The assistant's settings for this run: the environment's (``MODEL_PATH``, ``LORA_PATH``,
    ``REPLY_MODE``, ...) as the product reads them, with the options on top.

    Trials vary only the shop database and the LLM transport. The data directory is shared: it holds
    what does not depend on the shop's state (the assembled model, indexes, the conversation store,
    whose conversation ids are unique), so it is built once per run, not per trial.
    """
    from app.settings import load_settings

    overrides: dict[str, Any] = {"shop_url": None, "llm_timeout_s": options.turn_timeout_s, "data_dir": data_dir}
    if options.llm_url:
        overrides |= {"llm_base_url": options.llm_url, "llm_model": options.llm_model}
    if options.llm_api_key:
        overrides["llm_api_key"] = options.llm_api_key
    if options.llm_threads:
        overrides["llm_threads"] = options.llm_threads
    # Trials share one process: indexes and models built per trial would dominate the run (lexical search,
    # recommender fitted on first use).
    overrides.setdefault("warm_indexes", False)
    settings = load_settings(**overrides)
    return settings.replace(llm_base_url=None) if scripted else settings


class Runner:
    """Holds what trials share: the seeded template, the synthesiser, the base settings."""

    def __init__(self, settings: Any, template: ShopTemplate, work_dir: Path, speak_as_text: bool,
                 transport_factory: TransportFactory | None = None) -> None:
        self.settings = settings
        self.template = template
        self.work_dir = work_dir
        self.speak_as_text = speak_as_text
        self.transport_factory = transport_factory
        self.synth = SpeechSynthesizer()

    async def run_trial(self, scenario: Scenario, trial: int) -> TrialResult:
        """One pass through the scenario on a fresh shop; never raises (errors land in the result)."""
        from app.main import create_app

        started = time.perf_counter()
        result = TrialResult(trial=trial)
        shop_dir = Path(tempfile.mkdtemp(prefix=f"{scenario.id[:40]}-{trial}-", dir=self.work_dir))
        try:
            database_url = self.template.copy_to(shop_dir / "shop.db")
            transport = self.transport_factory() if self.transport_factory else None
            settings = self.settings.replace(database_url=database_url, llm_transport=transport)
            app = create_app(settings)
            async with app.router.lifespan_context(app), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://voiceshop",
                    timeout=settings.llm.llm_timeout_s) as http:
                await self._converse(scenario, AssistantClient(http), transport, result)
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not end the run: report it, go on
            result.error = _error_text(exc)
        finally:
            shutil.rmtree(shop_dir, ignore_errors=True)
            result.seconds = time.perf_counter() - started
        return result

    async def _converse(self, scenario: Scenario, client: AssistantClient,
                        transport: httpx.AsyncBaseTransport | None, result: TrialResult) -> None:
        await client.login(scenario.user)
        orders_before = await client.orders()
        refunds_before = {refund["id"] for refund in refunds_of(orders_before)}
        shown: list[str] = []  # ids of the products shown most recently: what results[i] names
        for index, turn in enumerate(scenario.turns):
            cart = await client.cart_lines()
            refs = RefContext(results=tuple(shown), cart=tuple(str(line["product_id"]) for line in cart))
            if isinstance(transport, TurnScripted):
                transport.begin_turn(turn, refs)
            turn_result = await self._turn(index, turn, client, refs)
            result.turns.append(turn_result)
            if turn_result.error is not None:
                result.error = f"turn {index + 1}: {turn_result.error}"
                return
            shown = [p.id for p in turn_result.shown] or shown
        if scenario.final is not None:
            cart = await client.cart_lines()
            orders = await client.orders()
            placed = len({str(o["id"]) for o in orders} - {str(o["id"]) for o in orders_before})
            new_refunds = [refund for refund in refunds_of(orders) if refund["id"] not in refunds_before]
            final_refs = RefContext(results=tuple(shown), cart=tuple(str(line["product_id"]) for line in cart))
            result.final_checks = check_final(scenario.final, cart, placed, final_refs) + \
                check_orders(scenario.final, orders, new_refunds, final_refs)

    def _recording(self, turn: Turn) -> Recording:
        if turn.audio is not None:
            media_type = mimetypes.guess_type(turn.audio.name)[0] or "application/octet-stream"
            return Recording(turn.audio.name, media_type, turn.audio.read_bytes())
        return self.synth.recording(turn.speak or "")

    async def _turn(self, index: int, turn: Turn, client: AssistantClient, refs: RefContext) -> TurnResult:
        typed = turn.kind == "say" or turn.kind == "speak" and self.speak_as_text
        result = TurnResult(index=index, kind="say" if typed else turn.kind, text=turn.text,
                            audio=str(turn.audio) if turn.audio else None)
        started = time.perf_counter()
        try:
            if typed:
                response = await client.say(turn.text or "")
            else:
                clip = await asyncio.to_thread(self._recording, turn)
                response = await client.speak(clip.filename, clip.content_type, clip.data)
        except Exception as exc:  # noqa: BLE001 - the turn's error is the result (HTTP status, missing espeak-ng)
            result.error = _error_text(exc)
            return result
        elapsed = time.perf_counter() - started
        result.reply = response.get("reply", "")
        result.actions = [ActionRecord(**a) for a in response.get("actions", []) if a.get("tool") != "reply"]
        if response.get("confirmed"):
            result.confirmed = ActionRecord(**response["confirmed"])
        result.shown = [ShownProduct(id=str(p["id"]), name=p.get("name", "")) for p in response.get("products", [])]
        result.timings = {k: float(v) for k, v in (response.get("timings") or {}).items()}
        result.timings.setdefault("total", elapsed)
        if "transcript" in response:
            result.transcript = response["transcript"]
            if turn.text:
                result.wer = word_error_rate(turn.text, result.transcript or "")
        score = score_turn(turn.expect, result.actions, result.reply, refs)
        result.checks = score.checks
        result.actions_checked = score.actions_checked
        result.args_expected, result.args_matched = score.args_expected, score.args_matched
        if response.get("error"):  # the model could not answer (down, too slow): an outage, not a wrong answer
            result.error = f"the model failed: {response['error']}"
        return result


async def run_scenarios(scenarios: Sequence[Scenario], options: RunOptions,
                        transport_factory: TransportFactory | None = None,
                        on_trial: Callable[[Scenario, TrialResult], None] | None = None) -> RunReport:
    """Run every scenario ``options.repeat`` times and build the report (figures included)."""
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    owned = options.work_dir is None
    work_dir = Path(tempfile.mkdtemp(prefix="voiceshop-eval-")) if owned else options.work_dir
    assert work_dir is not None
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        template = await asyncio.to_thread(ShopTemplate.seed, work_dir, options.seed)
        settings = base_settings(options, work_dir / "data", scripted=transport_factory is not None)
        runner = Runner(settings, template, work_dir, options.speak_as_text, transport_factory)
        gate = asyncio.Semaphore(options.concurrency)

        async def one(scenario: Scenario, trial: int) -> TrialResult:
            async with gate:
                outcome = await runner.run_trial(scenario, trial)
            if on_trial is not None:
                on_trial(scenario, outcome)
            return outcome

        trials = await asyncio.gather(*(one(s, t) for s in scenarios for t in range(options.repeat)))
    finally:
        if owned:
            shutil.rmtree(work_dir, ignore_errors=True)
    results = [
        ScenarioResult(id=s.id, file=s.source.file, line=s.source.line, description=s.description, tags=s.tags,
                       trials=list(trials[i * options.repeat:(i + 1) * options.repeat]))
        for i, s in enumerate(scenarios)
    ]
    if transport_factory is not None:
        llm = getattr(transport_factory, "__name__", "injected transport")
    else:
        model = Path(settings.llm.model_path).name if settings.llm.model_path else "bundled Gemma 3 270M"
        llm = settings.llm.llm_base_url or f"embedded ({model})"
    config = RunConfig(suites=list(options.suites), llm=llm, llm_model=settings.llm.llm_model, repeat=options.repeat,
                       concurrency=options.concurrency, speak_as_text=options.speak_as_text, machine=_machine(),
                       started_at=started_at, seconds=time.perf_counter() - started)
    return RunReport(config=config, summary=summarize(results), scenarios=results)
