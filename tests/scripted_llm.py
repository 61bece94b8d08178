"""ScriptedLLM: a test double for the OpenAI chat-completions endpoint.

It answers each request with the next queued action (as the JSON a real model would produce under the
action schema) and records every request, so graph logic is tested without a model.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import httpx


class ScriptedLLM(httpx.AsyncBaseTransport):
    def __init__(self, *actions: dict[str, Any] | str) -> None:
        self.queue: deque[dict[str, Any] | str] = deque(actions)
        self.requests: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None

    def script(self, *actions: dict[str, Any] | str) -> None:
        """Queue what the model will answer next (a dict is an action; a str is raw, possibly invalid, text)."""
        self.queue.extend(actions)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with is not None:
            raise self.fail_with
        if request.method == "GET" and request.url.path.endswith("/models"):  # the readiness probe
            return httpx.Response(200, json={"object": "list", "data": [{"id": "scripted"}]})
        body = json.loads(await request.aread())
        self.requests.append(body)
        answer = self.queue.popleft() if self.queue else {"action": "reply", "text": "Anything else?"}
        content = answer if isinstance(answer, str) else json.dumps(answer)
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": content}}],
                                         "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
