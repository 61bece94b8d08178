"""GET /metrics and the turn id in logs, through the real server; ScriptedLLM (a test double) picks actions."""

from __future__ import annotations

import io
import json
import logging
import wave
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.settings import Settings
from app.settings import load_settings
from app.logs import log_handler
from tests.agent.test_graph import put_a_product_in_the_cart, say
from tests.conftest import running_app
from tests.scripted_llm import ScriptedLLM
from voice.asr import AsrUnavailable, Transcription


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset], float]:
    """Every sample of ``GET /metrics``, keyed by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_a_turn_moves_the_latency_and_tool_metrics(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        before = await scrape(client)
        scripted_llm.script({"action": "search_products", "query": "running shoes"})
        body = await say(client, "show me running shoes")
        after = await scrape(client)
    assert body["actions"][0] == {**body["actions"][0], "tool": "search_products", "status": "done"}
    for stage in ("llm", "tools", "total"):
        assert value(after, "voiceshop_turn_seconds_count", stage=stage) == \
            value(before, "voiceshop_turn_seconds_count", stage=stage) + 1, stage
    total = value(after, "voiceshop_turn_seconds_sum", stage="total") - \
        value(before, "voiceshop_turn_seconds_sum", stage="total")
    assert total == pytest.approx(body["timings"]["total"])
    assert value(after, "voiceshop_turn_seconds_count", stage="asr") == 0, "a typed turn has no ASR stage"
    assert value(after, "voiceshop_tool_calls_total", tool="search_products", outcome="ok") == \
        value(before, "voiceshop_tool_calls_total", tool="search_products", outcome="ok") + 1
    assert value(after, "voiceshop_turn_errors_total", stage="llm") == 0


async def test_confirmations_asked_asked_again_accepted_and_declined(settings: Settings,
                                                                    scripted_llm: ScriptedLLM) -> None:
    def confirmations(samples: dict, event: str) -> float:
        return value(samples, "voiceshop_confirmations_total", tool="checkout", event=event)

    async with running_app(settings) as client:
        await put_a_product_in_the_cart(client)
        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "check out")
        assert asked["pending_confirmation"]["asked_again"] is False
        after_ask = await scrape(client)
        assert confirmations(after_ask, "asked") == 1 and confirmations(after_ask, "accepted") == 0

        again = await say(client, "I'm not sure", asked["conversation_id"])
        assert again["pending_confirmation"]["asked_again"] is True
        after_again = await scrape(client)
        assert (confirmations(after_again, "asked"), confirmations(after_again, "asked_again")) == (1, 1)

        done = await say(client, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done"
        after_yes = await scrape(client)
        assert confirmations(after_yes, "accepted") == 1
        assert value(after_yes, "voiceshop_tool_calls_total", tool="checkout", outcome="ok") == 1

        await put_a_product_in_the_cart(client)
        scripted_llm.script({"action": "checkout"})
        asked = await say(client, "check out")
        declined = await say(client, "no", asked["conversation_id"])
        assert declined["confirmed"]["status"] == "cancelled"
        after_no = await scrape(client)
    assert (confirmations(after_no, "asked"), confirmations(after_no, "declined")) == (2, 1)
    assert value(after_no, "voiceshop_tool_calls_total", tool="checkout", outcome="ok") == 1, "a no runs nothing"


async def test_a_model_failure_counts_as_an_llm_error(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        scripted_llm.fail_with = httpx.ConnectError("model server down")
        body = await say(client, "show me running shoes")
        samples = await scrape(client)
    assert body["error"]
    assert value(samples, "voiceshop_turn_errors_total", stage="llm") == 1


class HeardTranscriberDouble:
    """Stands in for Whisper: hears the same words in any recording."""

    loaded = True

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, samples: np.ndarray) -> Transcription:
        return Transcription(text=self.text, language="en", audio_seconds=len(samples) / 16_000, seconds=0.01)


class UnavailableTranscriberDouble:
    """Stands in for a Whisper model that cannot be loaded."""

    loaded = False

    def transcribe(self, samples: np.ndarray) -> Transcription:
        raise AsrUnavailable("no Whisper model here")


def wav(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(np.zeros(int(seconds * 16_000), np.int16).tobytes())
    return buffer.getvalue()


async def test_voice_turns_time_asr_and_count_its_failures(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        upload = {"audio": ("turn.wav", wav(), "audio/wav")}
        client.app.state.transcriber = HeardTranscriberDouble("show me running shoes")
        scripted_llm.script({"action": "search_products", "query": "running shoes"})
        heard = await client.post("/api/voice", files=upload)
        assert heard.status_code == 200, heard.text
        client.app.state.transcriber = UnavailableTranscriberDouble()
        failed = await client.post("/api/voice", files=upload)
        samples = await scrape(client)
    assert failed.status_code == 503, failed.text
    assert heard.json()["turn_id"]
    assert value(samples, "voiceshop_turn_seconds_count", stage="asr") == 1
    assert value(samples, "voiceshop_turn_seconds_sum", stage="asr") == pytest.approx(heard.json()["timings"]["asr"])
    assert value(samples, "voiceshop_turn_errors_total", stage="asr") == 1
    assert value(samples, "voiceshop_turn_errors_total", stage="llm") == 0


@contextmanager
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above meanwhile, as the JSON lines LOG_FORMAT=json writes."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_every_log_line_of_a_turn_carries_its_turn_id(settings: Settings, scripted_llm: ScriptedLLM) -> None:
    async with running_app(settings) as client:
        with json_log() as stream:
            scripted_llm.script({"action": "search_products", "query": "running shoes"})
            first = await say(client, "show me running shoes")
            second = await say(client, "thanks")
            await client.get("/api/cart")  # outside any turn
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["turn_id"] and second["turn_id"] and first["turn_id"] != second["turn_id"]
    of_first = [r for r in records if r["turn_id"] == first["turn_id"]]
    loggers = {r["logger"] for r in of_first}
    # The app's own summary line, and the tools' shop requests (httpx logs each one) deeper down the turn.
    assert {"app.turns", "httpx"} <= loggers, loggers
    summary = next(r for r in of_first if r["logger"] == "app.turns")
    assert summary["level"] == "INFO" and summary["actions"] == ["search_products:done"]
    assert summary["timings"]["total"] == pytest.approx(first["timings"]["total"], abs=1e-4)
    assert any(r["turn_id"] == "-" and "/api/cart" in r["message"] for r in records), "no turn, no id"


def test_log_format_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert load_settings().app.log_format == "text"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert load_settings().app.log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        load_settings()


async def test_shop_requests_name_the_turn() -> None:
    from app import logs
    from app.main import _tag_with_turn_id

    outside = httpx.Request("GET", "http://shop/cart")
    await _tag_with_turn_id(outside)
    assert "X-Turn-Id" not in outside.headers
    with logs.turn() as turn_id:
        inside = httpx.Request("GET", "http://shop/cart")
        await _tag_with_turn_id(inside)
    assert inside.headers["X-Turn-Id"] == turn_id


def test_uvicorn_logs_go_through_the_json_handler_when_configured(capsys: pytest.CaptureFixture[str]) -> None:
    from app.logs import configure_logging

    root = logging.getLogger()
    pytest_handlers, level = root.handlers, root.level
    root.handlers = []  # configure_logging replaces root's handlers; keep pytest's out of its reach
    try:
        configure_logging("json")  # what voiceshop serve does; uvicorn then runs with log_config=None
        logging.getLogger("uvicorn.access").info("GET /health 200")
    finally:
        root.handlers = pytest_handlers
        root.setLevel(level)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["logger"], line["message"], line["turn_id"]) == ("uvicorn.access", "GET /health 200", "-")
