"""LLM server double: ScriptedLLM (tests/scripted_llm.py) behind a real OpenAI-compatible HTTP port.

The API replicas are separate processes, so the scripted model they share must be a process too. The test
queues what the model answers next (``POST /script``) and reads what it was asked (``GET /requests``);
``POST /v1/chat/completions`` answers like ScriptedLLM does in-process. Run:
``python -m uvicorn tests.deploy.llm_double:app --port PORT``.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.scripted_llm import ScriptedLLM

app = FastAPI(title="LLM server double")
scripted = ScriptedLLM()


@app.post("/script")
async def script(actions: list[dict[str, Any]]) -> dict[str, int]:
    scripted.script(*actions)
    return {"queued": len(scripted.queue)}


@app.get("/requests")
async def requests() -> list[dict[str, Any]]:
    return scripted.requests


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/models")
async def models() -> dict[str, Any]:
    """What the replicas' readiness check (``GET /ready``) asks, as on vLLM."""
    return {"object": "list", "data": [{"id": "scripted", "object": "model"}]}


@app.post("/v1/chat/completions")
async def chat_completions(request: Request) -> JSONResponse:
    forwarded = httpx.Request("POST", "http://llm/v1/chat/completions", content=await request.body())
    answer = await scripted.handle_async_request(forwarded)
    return JSONResponse(answer.json(), status_code=answer.status_code)
