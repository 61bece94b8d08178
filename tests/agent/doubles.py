"""Test doubles for the understanding tests (never used by the product)."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import httpx


class ScriptedCompletions(httpx.AsyncBaseTransport):
    """Stands in for llama.cpp's ``POST /completions``: answers queued texts and records each request."""

    def __init__(self, *texts: str) -> None:
        self.queue: deque[str] = deque(texts)
        self.requests: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread())
        self.requests.append({"path": request.url.path, **body})
        text = self.queue.popleft() if self.queue else " reply ack"
        return httpx.Response(200, json={"choices": [{"text": text}],
                                         "usage": {"prompt_tokens": 10, "completion_tokens": 3}})


class KeywordEncoder:
    """A tiny bag-of-words encoder standing in for MiniLM in few-shot index tests."""

    def __init__(self, vocabulary: list[str]) -> None:
        self.vocabulary = vocabulary

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        rows = np.array([[float(word in text.split()) for word in self.vocabulary] for text in texts], dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.clip(norms, 1e-9, None)
