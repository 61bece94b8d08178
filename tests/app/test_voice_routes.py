"""POST /api/voice and the live WebSocket: real decoding and Whisper, a scripted assistant (test double)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from starlette.testclient import WebSocketDenialResponse

from agent.events import LiveEvent
from app.turns import SILENCE_REPLY
from evals.synthetic_speech import Encoding, encode
from tests.app.doubles import DEMO_TOKEN, RUNNING_SHOE, ScriptedAssistantDouble

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


@pytest.fixture
async def client(voice_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=voice_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=AUTH) as client:
        yield client


async def post_audio(client: httpx.AsyncClient, data: bytes, content_type: str = "audio/webm",
                     **fields: str) -> httpx.Response:
    return await client.post("/api/voice", files={"audio": ("turn.webm", data, content_type)}, data=fields)


@pytest.mark.parametrize(("encoding", "content_type"), [
    ("webm", "audio/webm;codecs=opus"), ("ogg", "audio/ogg;codecs=opus"), ("wav", "audio/wav"),
    ("mp3", "audio/mpeg"), ("m4a", "audio/mp4"),
])
async def test_a_spoken_command_becomes_a_chat_turn(
    client: httpx.AsyncClient, assistant: ScriptedAssistantDouble, recording: Callable[[Encoding], bytes],
    encoding: Encoding, content_type: str,
) -> None:
    response = await post_audio(client, recording(encoding), content_type, conversation_id="c-42")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "running shoes" in body["transcript"].lower()
    assert assistant.heard == [(body["transcript"], "c-42")], "the assistant must get the transcript verbatim"
    assert body["products"] == [RUNNING_SHOE]
    assert body["reply"] == "I found 1 product." and body["conversation_id"] == "c-42"
    assert body["actions"][0]["tool"] == "search_products"
    timings = body["timings"]
    assert (timings["llm"], timings["tools"]) == (0.01, 0.01), "the assistant's own stage timings pass through"
    assert 0 < timings["asr"] < timings["total"], "total covers the whole turn, recognition included"


async def test_silence_gets_a_spoken_retry_prompt_without_waking_the_assistant(
    client: httpx.AsyncClient, assistant: ScriptedAssistantDouble, speech_tools: None
) -> None:
    response = await post_audio(client, encode(np.zeros(3 * 16_000, np.float32), "webm"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reply"] == SILENCE_REPLY and "didn't catch that" in body["reply"]
    assert body["transcript"] == "" and body["actions"] == [] and body["products"] == []
    assert body["conversation_id"], "the client needs an id to continue the conversation"
    assert assistant.heard == []


@pytest.mark.parametrize(("make_upload", "status", "message"), [
    (lambda rec: (b"", "audio/webm"), 400, "empty"),
    (lambda rec: (rec("webm")[:60], "audio/webm"), 422, "decode"),
    (lambda rec: (b"definitely not a recording" * 40, "audio/webm"), 422, "decode"),
    (lambda rec: (b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"), 415, "webm"),
    (lambda rec: (b"hello", "text/plain"), 415, "Unsupported upload type"),
    (lambda rec: (rec("webm") + bytes(10 * 1024 * 1024), "audio/webm"), 413, "10 MB"),
    (lambda rec: (encode(np.zeros(31 * 16_000, np.float32), "webm"), "audio/webm"), 413, "30 s"),
], ids=["empty", "truncated-header", "corrupt", "image", "text", "oversized", "too-long"])
async def test_bad_uploads_get_a_clear_4xx(
    client: httpx.AsyncClient, assistant: ScriptedAssistantDouble, recording: Callable[[Encoding], bytes],
    make_upload: Callable[[Any], tuple[bytes, str]], status: int, message: str,
) -> None:
    data, content_type = make_upload(recording)
    response = await post_audio(client, data, content_type)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert assistant.heard == []


async def test_form_mistakes_are_4xx(client: httpx.AsyncClient) -> None:
    no_file = await client.post("/api/voice", data={"conversation_id": "c-1"})
    assert no_file.status_code == 415  # a form without files is sent url-encoded, not as multipart
    wrong_field = await client.post("/api/voice", files={"file": ("a.webm", b"x", "audio/webm")})
    assert wrong_field.status_code == 422 and "'audio'" in wrong_field.json()["detail"]
    raw_body = await client.post("/api/voice", content=b"x", headers={"Content-Type": "audio/webm"})
    assert raw_body.status_code == 415 and "multipart" in raw_body.json()["detail"]
    bad_id = await post_audio(client, b"x", conversation_id="../../etc/passwd")
    assert bad_id.status_code == 422 and "conversation_id" in bad_id.json()["detail"]


async def test_a_declared_huge_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    async def endless() -> AsyncIterator[bytes]:
        raise AssertionError("the body must not be read")
        yield b""  # pragma: no cover

    response = await client.post("/api/voice", content=endless(),
                                 headers={"Content-Type": "multipart/form-data; boundary=x",
                                          "Content-Length": str(50 * 1024 * 1024)})
    assert response.status_code == 413


async def test_signed_out_callers_get_401(client: httpx.AsyncClient, recording: Callable[[Encoding], bytes]) -> None:
    response = await client.post("/api/voice", files={"audio": ("a.webm", recording("webm"), "audio/webm")},
                                 headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


# ── live WebSocket ──────────────────────────────────────────────────────────────────────────────────────

def receive_turn(socket: Any) -> list[dict[str, Any]]:
    """Events of one turn, up to and including its ``done`` or ``error``."""
    events = []
    while not events or events[-1]["type"] not in ("done", "error"):
        events.append(socket.receive_json())
    return events


def test_live_audio_turn_streams_its_stages(
    voice_app: FastAPI, assistant: ScriptedAssistantDouble, recording: Callable[[Encoding], bytes]
) -> None:
    with TestClient(voice_app, headers=AUTH) as http, http.websocket_connect("/api/live") as socket:
        socket.send_json({"type": "audio", "content_type": "audio/webm", "conversation_id": "c-7"})
        socket.send_bytes(recording("webm"))
        events = receive_turn(socket)
    kinds = [TypeAdapter(LiveEvent).validate_python(event).type for event in events]  # each one a typed event
    assert kinds == ["transcribing", "transcript", "thinking", "action", "tool_result", "reply", "done"]
    transcript = events[1]["text"]
    assert "running shoes" in transcript.lower()
    done = events[-1]["response"]
    assert done["transcript"] == transcript and done["products"] == [RUNNING_SHOE]
    assert {"asr", "llm", "tools", "total"} <= set(done["timings"])
    assert assistant.heard == [(transcript, "c-7")]


def test_live_text_turn_and_bad_turns_keep_the_socket_open(
    voice_app: FastAPI, assistant: ScriptedAssistantDouble
) -> None:
    with TestClient(voice_app, headers=AUTH) as http, http.websocket_connect("/api/live") as socket:
        socket.send_text("not json")
        assert receive_turn(socket) == [{"type": "error", "status": 400,
                                         "detail": "Send a JSON object with a 'type' of 'text' or 'audio'."}]
        socket.send_json({"type": "text", "text": "   "})
        assert receive_turn(socket)[-1]["status"] == 422
        socket.send_json({"type": "text", "text": "x" * 1001})
        assert receive_turn(socket)[-1]["status"] == 422
        socket.send_json({"type": "audio", "content_type": "audio/webm", "conversation_id": "no spaces allowed"})
        socket.send_bytes(b"whatever")  # consumed with its request: the next turn starts clean
        assert receive_turn(socket)[-1]["status"] == 422
        socket.send_json({"type": "dance"})
        assert receive_turn(socket)[-1]["status"] == 400
        socket.send_json({"type": "audio", "content_type": "text/plain"})
        socket.send_bytes(b"hello")
        assert receive_turn(socket)[-1]["status"] == 415
        socket.send_json({"type": "audio", "content_type": "audio/webm"})
        socket.send_bytes(b"corrupt" * 100)
        assert receive_turn(socket)[-1]["status"] == 422
        assistant.fail_next = True
        socket.send_json({"type": "text", "text": "show me toys"})
        assert receive_turn(socket)[-1] == {"type": "error", "status": 500,
                                            "detail": "The assistant failed on this turn; please try again."}

        socket.send_json({"type": "text", "text": "show me toys", "conversation_id": "c-9"})
        events = receive_turn(socket)
    assert [event["type"] for event in events] == ["thinking", "action", "tool_result", "reply", "done"]
    assert events[-1]["response"]["conversation_id"] == "c-9"
    assert assistant.heard == [("show me toys", "c-9")]


def test_live_socket_needs_a_signed_in_customer(voice_app: FastAPI) -> None:
    with TestClient(voice_app) as http, pytest.raises(WebSocketDenialResponse) as refused, \
            http.websocket_connect("/api/live"):
        pass
    assert refused.value.status_code == 401


@pytest.mark.parametrize(("origin", "status"), [("http://testserver", None), ("https://evil.example", 403)])
def test_a_live_socket_signed_in_by_cookie_must_come_from_our_own_origin(
    voice_app: FastAPI, origin: str, status: int | None
) -> None:
    """Browsers send cookies with a WebSocket from any site; its Origin tells whose page opened it."""
    with TestClient(voice_app, cookies={"vs_token": DEMO_TOKEN}) as http:
        if status is None:
            with http.websocket_connect("/api/live", headers={"Origin": origin}) as socket:
                socket.send_json({"type": "text", "text": "running shoes"})
                assert receive_turn(socket)[-1]["type"] == "done"
            return
        with pytest.raises(WebSocketDenialResponse) as refused, \
                http.websocket_connect("/api/live", headers={"Origin": origin}):
            pass
        assert refused.value.status_code == status
