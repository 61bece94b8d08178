"""HTTP and WebSocket endpoints for spoken (and live typed) turns.

- ``POST /api/voice``: a multipart upload (field ``audio``, optional ``conversation_id``) → the
  ``/api/chat`` body plus ``transcript``, timings per stage (``asr``, ``llm``, ``tools``, ``total``).
- ``WS /api/live``: the same turns with progress events while the assistant works (protocol below).

The app provides ``app.state.assistant`` (``agent.assistant.Assistant``), ``app.state.customers``
(for ``app.auth.current_customer``), ``app.state.transcriber`` (the one :class:`voice.asr.Transcriber`),
``app.state.metrics`` (:class:`app.metrics.TurnMetrics`) and optionally ``app.state.audio_limits``
(:class:`voice.audio.AudioLimits`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, WebSocketDisconnect
from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection

from agent.customer import Customer
from agent.events import Done, LiveEvent, TurnFailed
from app.auth import current_customer
from app.schemas import ChatRequest, TurnRequest, parse_turn
from app.turns import run_text_turn, run_voice_turn
from shop import strict_json
from voice.asr import AsrUnavailable
from voice.audio import AudioError, AudioLimits

log = logging.getLogger(__name__)

router = APIRouter(tags=["voice"])

# Multipart framing around the recording: boundaries, part headers, the conversation id.
_MULTIPART_OVERHEAD_BYTES = 64 * 1024

_UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["audio"],
                    "properties": {
                        "audio": {
                            "type": "string",
                            "format": "binary",
                            "description": "The recording: webm/opus, ogg/opus, wav, mp3, m4a or flac; "
                            "at most 10 MB and 30 s.",
                        },
                        "conversation_id": {"type": "string"},
                    },
                }
            }
        },
    }
}


def _limits(connection: HTTPConnection) -> AudioLimits:
    """The app's upload limits, or the defaults (10 MB, 30 s)."""
    return getattr(connection.app.state, "audio_limits", None) or AudioLimits()


@router.post("/api/voice", openapi_extra=_UPLOAD_SCHEMA)
async def voice_turn(
    request: Request, customer: Annotated[Customer, Depends(current_customer)]
) -> dict[str, Any]:
    """Transcribe an uploaded recording and answer it as the next turn of the conversation.

    The form is parsed here rather than declared as parameters so that the sign-in check and the size
    check both happen before a large body is read and spooled.
    """
    limits = _limits(request)
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > limits.max_bytes + _MULTIPART_OVERHEAD_BYTES:
        raise HTTPException(
            413, f"The audio upload is larger than the {limits.max_bytes // (1024 * 1024)} MB limit."
        )
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise HTTPException(
            415, "Send the recording as multipart/form-data with the file in the field 'audio'."
        )
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("audio")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "The form has no file in the field 'audio'.")
        conversation_id = parse_turn(TurnRequest, conversation_id=form.get("conversation_id")).conversation_id
        data = await upload.read(limits.max_bytes + 1)
        content_type = upload.content_type
    try:
        return await run_voice_turn(
            assistant=request.app.state.assistant,
            metrics=request.app.state.metrics,
            transcriber=request.app.state.transcriber,
            customer=customer,
            data=data,
            content_type=content_type,
            conversation_id=conversation_id,
            limits=limits,
        )
    except AudioError as error:
        raise HTTPException(error.status_code, error.detail) from error
    except AsrUnavailable as error:
        raise HTTPException(503, str(error)) from error


@router.websocket("/api/live")
async def live_turns(
    websocket: WebSocket, customer: Annotated[Customer, Depends(current_customer)]
) -> None:
    """Run turns over one WebSocket, streaming what the assistant is doing.

    Client → server, one turn at a time:
      ``{"type": "text", "text": str, "conversation_id"?: str}``, or
      ``{"type": "audio", "content_type": str, "conversation_id"?: str}`` followed by one binary message
      holding the whole recording.
    Server → client: the models of :mod:`agent.events`: ``transcribing``, ``transcript`` {text} (audio
    turns), then the assistant's own ``thinking`` / ``action`` {tool, args, label} / ``tool_result``
    {tool, ok} / ``reply`` {text}, and finally ``done`` {response} with the same body ``/api/voice`` or
    ``/api/chat`` returns, or ``error`` {status, detail} when the turn could not run. The socket stays
    open for the next turn.
    """
    await websocket.accept()
    try:
        while True:
            request = _parse_turn_request(await websocket.receive())
            if request is None:
                await _send_error(websocket, 400, "Send a JSON object with a 'type' of 'text' or 'audio'.")
                continue
            await _run_live_turn(websocket, customer, request)
    except WebSocketDisconnect:
        return


def _parse_turn_request(message: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON object in a text message, or ``None`` for anything else; raises on disconnect."""
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        request = strict_json.loads(message.get("text") or "")  # the HTTP endpoints' rules: no NaN, no lone surrogates
    except strict_json.NotStrictJSON:
        return None
    return request if isinstance(request, dict) else None


async def _run_live_turn(websocket: WebSocket, customer: Customer, request: dict[str, Any]) -> None:
    """Answer one turn request on the socket; failures become ``error`` events, never a dropped socket."""
    state = websocket.app.state

    async def send(event: LiveEvent) -> None:
        await _send(websocket, event)

    turn_type = request.get("type")
    # Take the recording off the socket before any check, so a refused turn leaves nothing behind.
    recording = await _receive_recording(websocket) if turn_type == "audio" else None
    try:
        # The rules of /api/chat's body, so a conversation can move between typed, spoken and live turns.
        conversation_id = parse_turn(TurnRequest, conversation_id=request.get("conversation_id")).conversation_id
        if turn_type == "text":
            text = parse_turn(ChatRequest, text=request.get("text"), conversation_id=conversation_id).text
            response = await run_text_turn(
                assistant=state.assistant,
                metrics=state.metrics,
                customer=customer,
                text=text,
                conversation_id=conversation_id,
                on_event=send,
            )
            body = response.model_dump()
        elif turn_type == "audio":
            if recording is None:
                raise HTTPException(400, "After an 'audio' message, send the recording as one binary message.")
            body = await run_voice_turn(
                assistant=state.assistant,
                metrics=state.metrics,
                transcriber=state.transcriber,
                customer=customer,
                data=recording,
                content_type=request.get("content_type"),
                conversation_id=conversation_id,
                limits=_limits(websocket),
                on_event=send,
            )
        else:
            raise HTTPException(400, "Unknown turn type: use 'text' or 'audio'.")
    except (AudioError, HTTPException) as error:
        await _send_error(websocket, error.status_code, error.detail)
        return
    except AsrUnavailable as error:
        await _send_error(websocket, 503, str(error))
        return
    except WebSocketDisconnect:
        raise
    except Exception:  # the socket must survive a failed turn; the log keeps the traceback
        log.exception("live turn failed")
        await _send_error(websocket, 500, "The assistant failed on this turn; please try again.")
        return
    await send(Done(response=body))


async def _receive_recording(websocket: WebSocket) -> bytes | None:
    """The binary message that follows an ``audio`` turn request (``None`` if the client sent text)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    return message.get("bytes")


async def _send_error(websocket: WebSocket, status: int, detail: str) -> None:
    """Tell the client why its turn did not run."""
    await _send(websocket, TurnFailed(status=status, detail=detail))


async def _send(websocket: WebSocket, event: LiveEvent) -> None:
    await websocket.send_json(event.model_dump(mode="json"))
