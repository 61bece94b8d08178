"""The chat client's bounds: every transport is cut off at the timeout, outages are retried once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from agent.llm import COMPUTE_LOCK, ChatClient, EmbeddedEngine, EmbeddedTransport, LLMError, LLMTimeout, LLMUnavailable


class SlowLLM(httpx.AsyncBaseTransport):
    """Test double: an in-process model that takes ``seconds`` per answer (httpx timeouts don't reach it)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        await asyncio.sleep(self.seconds)
        return httpx.Response(200, json={"choices": [{"message": {"content": "{}"}}]})


class FlakyLLM(httpx.AsyncBaseTransport):
    """Test double: refuses the first connection, answers the next."""

    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 1:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json={"choices": [{"message": {"content": "hello"}}]})


async def test_a_slow_model_is_cut_off_and_retried_once() -> None:
    llm = SlowLLM(seconds=30)
    client = ChatClient("http://llm/v1", "slow", transport=llm, timeout_s=0.3)
    started = time.perf_counter()
    with pytest.raises(LLMTimeout, match="within 0.3 s"):
        await client.complete([{"role": "user", "content": "hi"}])
    assert llm.calls == 2 and time.perf_counter() - started < 2


async def test_the_embedded_engine_is_not_retried_after_a_timeout() -> None:
    """Its completion cannot be interrupted: a retry would only queue behind the abandoned one."""
    llm = SlowLLM(seconds=30)
    client = ChatClient("http://embedded/v1", "slow", transport=llm, timeout_s=0.3, embedded=True)
    with pytest.raises(LLMTimeout):
        await client.complete_raw("hi")
    assert llm.calls == 1


async def test_a_refused_connection_is_retried_and_the_retry_can_succeed() -> None:
    llm = FlakyLLM()
    completion = await ChatClient("http://llm/v1", "flaky", transport=llm).complete([{"role": "user", "content": "hi"}])
    assert completion.content == "hello" and llm.calls == 2


async def test_a_broken_answer_is_an_error_but_no_outage() -> None:
    class NotJSON(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, text="<html>proxy error</html>")

    with pytest.raises(LLMError, match="not JSON") as failure:
        await ChatClient("http://llm/v1", "x", transport=NotJSON()).complete([{"role": "user", "content": "hi"}])
    assert not isinstance(failure.value, LLMUnavailable)


class RecordingEngine:
    """Test double of xllamacpp's server engine: counts the completions it computes."""

    def __init__(self) -> None:
        self.computed = 0

    def handle_completions(self, body: dict) -> dict:
        self.computed += 1
        return {"choices": [{"text": "done"}]}


async def test_an_embedded_request_abandoned_in_the_queue_is_never_computed() -> None:
    engine = object.__new__(EmbeddedEngine)  # the real class around the double, without loading a model
    engine.server, engine.model_path = RecordingEngine(), Path("double.gguf")
    client = ChatClient("http://embedded/v1", "double", transport=EmbeddedTransport(engine), timeout_s=0.3,
                        embedded=True)
    with COMPUTE_LOCK:  # another turn (or Whisper) is using the cores
        with pytest.raises(LLMTimeout):
            await client.complete_raw("hi")
    client.timeout_s = 30
    assert (await client.complete_raw("hi")).content == "done"
    await asyncio.get_running_loop().shutdown_default_executor()  # the abandoned request's thread has ended
    assert engine.server.computed == 1, "only the request someone waited for was computed"
