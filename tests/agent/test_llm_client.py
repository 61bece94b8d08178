"""The chat client's bounds: every transport is cut off at the timeout, outages are retried once."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from agent.llm import CORES, ChatClient, EmbeddedEngine, EmbeddedTransport, LLMError, LLMTimeout, LLMUnavailable


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
    """Test double of xllamacpp's server engine: counts the completions it computes, streams "done"."""

    def __init__(self) -> None:
        self.computed = 0

    def handle_completions(self, body: dict, on_chunk) -> None:
        self.computed += 1
        on_chunk({"choices": [{"text": "done", "finish_reason": "stop"}], "usage": {"completion_tokens": 1}})


async def test_an_embedded_request_abandoned_in_the_queue_is_never_computed() -> None:
    engine = object.__new__(EmbeddedEngine)  # the real class around the double, without loading a model
    engine.server, engine.model_path = RecordingEngine(), Path("double.gguf")
    engine.pool = ThreadPoolExecutor(max_workers=1)
    client = ChatClient("http://embedded/v1", "double", transport=EmbeddedTransport(engine), timeout_s=0.3,
                        embedded=True)
    with CORES.exclusive:  # Whisper is using the cores
        with pytest.raises(LLMTimeout):
            await client.complete_raw("hi")
    client.timeout_s = 30
    assert (await client.complete_raw("hi")).content == "done"
    engine.pool.shutdown(wait=True)  # the abandoned request's thread has ended
    assert engine.server.computed == 1, "only the request someone waited for was computed"


class StreamingEngine:
    """Test double of xllamacpp's server engine: streams ``tokens`` chunks, ``gap`` seconds apart, and stops
    when the consumer says so (as llama.cpp cancels the task)."""

    def __init__(self, tokens: int, gap: float, first_after: float | None = None) -> None:
        self.tokens, self.gap = tokens, gap
        self.first_after = gap if first_after is None else first_after
        self.streamed: list[int] = []  # tokens streamed per completion

    def handle_completions(self, body: dict, on_chunk) -> None:
        streamed = 0
        self.streamed.append(streamed)
        for index in range(self.tokens):
            time.sleep(self.first_after if index == 0 else self.gap)
            streamed += 1
            self.streamed[-1] = streamed
            last = index == self.tokens - 1
            if on_chunk({"choices": [{"text": "t", "finish_reason": "stop" if last else None}],
                         **({"usage": {"completion_tokens": self.tokens}} if last else {})}):
                return


def engine_around(double, slots: int = 1) -> EmbeddedEngine:
    engine = object.__new__(EmbeddedEngine)  # the real class around the double, without loading a model
    engine.server, engine.model_path, engine.slots = double, Path("double.gguf"), slots
    engine.pool = ThreadPoolExecutor(max_workers=slots)
    return engine


async def test_waiting_for_a_slot_and_sharing_the_cores_is_no_timeout() -> None:
    """Each completion takes longer than the timeout and waits behind the others, but tokens keep coming."""
    engine = engine_around(StreamingEngine(tokens=4, gap=0.1))
    client = ChatClient("http://embedded/v1", "double", transport=EmbeddedTransport(engine), timeout_s=0.3,
                        queue_timeout_s=10, embedded=True)
    answers = await asyncio.gather(*(client.complete_raw("hi") for _ in range(4)))
    assert [answer.content for answer in answers] == ["tttt"] * 4
    assert [answer.completion_tokens for answer in answers] == [4] * 4
    engine.pool.shutdown(wait=True)


async def test_an_engine_that_stalls_between_tokens_times_out() -> None:
    engine = engine_around(StreamingEngine(tokens=2, gap=0.05, first_after=1))
    client = ChatClient("http://embedded/v1", "double", transport=EmbeddedTransport(engine), timeout_s=0.3,
                        queue_timeout_s=10, embedded=True)
    started = time.perf_counter()
    with pytest.raises(LLMTimeout, match="within 0.3 s"):
        await client.complete_raw("hi")
    assert time.perf_counter() - started < 0.9, "cut off at the stall, not when the token finally came"
    engine.pool.shutdown(wait=True)


async def test_a_request_finding_no_free_slot_in_time_is_dropped_unstarted() -> None:
    double = StreamingEngine(tokens=10, gap=0.1)
    engine = engine_around(double)
    client = ChatClient("http://embedded/v1", "double", transport=EmbeddedTransport(engine), timeout_s=1,
                        queue_timeout_s=0.3, embedded=True)
    first = asyncio.create_task(client.complete_raw("hi"))
    await asyncio.sleep(0.05)
    with pytest.raises(LLMTimeout, match="overloaded: no slot came free within 0.3 s"):
        await client.complete_raw("hi")
    assert (await first).content == "t" * 10
    engine.pool.shutdown(wait=True)
    assert double.streamed == [10], "the second request never reached the engine"


async def test_a_running_completion_whose_caller_gave_up_stops_at_its_next_token() -> None:
    double = StreamingEngine(tokens=100, gap=0.02)
    engine = engine_around(double)
    client = ChatClient("http://embedded/v1", "double", transport=EmbeddedTransport(engine), timeout_s=0.3,
                        embedded=True)
    with pytest.raises(LLMTimeout):  # 0.3 s for the whole exchange: no queue allowance
        await client.complete_raw("hi")
    engine.pool.shutdown(wait=True)
    assert double.streamed[0] < 30, double.streamed
