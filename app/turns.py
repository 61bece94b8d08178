"""One customer turn, typed or spoken: every turn of every endpoint runs through here.

Each turn gets a turn id (in every log line it causes, and in the response as ``turn_id``), is counted in
the server's metrics once it is answered, and leaves one ``turn answered`` log line with its timings.
A spoken turn first decodes and transcribes the recording; its body is everything ``/api/chat`` returns
plus ``transcript``, with the ASR time added to ``timings``.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool

from agent.assistant import ChatResponse
from agent.customer import Customer
from agent.events import EventSink, Reply, Transcribing, Transcript, emit
from app import logs
from app.metrics import TurnMetrics
from voice.asr import Transcriber
from voice.audio import AudioLimits, check_upload, decode_audio

log = logging.getLogger(__name__)

SILENCE_REPLY = "Sorry, I didn't catch that. Could you say it again, a little closer to the microphone?"


async def run_text_turn(
    *,
    assistant: Any,
    metrics: TurnMetrics,
    customer: Customer,
    text: str,
    conversation_id: str | None = None,
    on_event: EventSink | None = None,
) -> ChatResponse:
    """Answer one typed message."""
    with logs.turn() as turn_id:
        response = await assistant.chat(customer, text, conversation_id, on_event)
        return _finished(response, turn_id, metrics)


async def run_voice_turn(
    *,
    assistant: Any,
    metrics: TurnMetrics,
    transcriber: Transcriber,
    customer: Customer,
    data: bytes,
    content_type: str | None,
    conversation_id: str | None = None,
    limits: AudioLimits,
    on_event: EventSink | None = None,
) -> dict[str, Any]:
    """Answer one recording; raises :class:`voice.audio.AudioError` for uploads that cannot be heard.

    A recording with no speech in it (silence, noise) gets a spoken "didn't catch that" reply without
    waking the LLM, so the customer hears why nothing happened.
    """
    check_upload(data, content_type, limits)
    with logs.turn() as turn_id:
        started = time.perf_counter()
        await emit(on_event, Transcribing())
        audio = await run_in_threadpool(decode_audio, data, limits)
        try:
            transcription = await run_in_threadpool(transcriber.transcribe, audio.samples)
        except Exception:  # AsrUnavailable or a failing model: the route answers it, the metrics count it
            metrics.asr_failed()
            raise
        asr_seconds = time.perf_counter() - started
        await emit(on_event, Transcript(text=transcription.text))

        if transcription.heard_speech:
            response = await assistant.chat(customer, transcription.text, conversation_id, on_event)
        else:
            response = ChatResponse(conversation_id=conversation_id or uuid.uuid4().hex, reply=SILENCE_REPLY)
            await emit(on_event, Reply(text=SILENCE_REPLY))
        timings = {"llm": 0.0, "tools": 0.0, **response.timings, "asr": asr_seconds,
                   "total": time.perf_counter() - started}
        response = _finished(response.model_copy(update={"timings": timings}), turn_id, metrics)
        return {**response.model_dump(), "transcript": transcription.text}


def _finished(response: ChatResponse, turn_id: str, metrics: TurnMetrics) -> ChatResponse:
    """The one place a turn is counted and logged, whichever endpoint ran it."""
    response = response.model_copy(update={"turn_id": turn_id})
    metrics.record(response)
    actions = [f"{action.tool}:{action.status}" for action in response.actions]
    confirmed = response.confirmed
    log.info("turn answered in %.2f s: %s", response.timings.get("total", 0.0), ", ".join(actions) or "reply only",
             extra={"conversation_id": response.conversation_id, "actions": actions,
                    "timings": {stage: round(seconds, 4) for stage, seconds in response.timings.items()},
                    "confirmed": f"{confirmed.tool}:{confirmed.status}" if confirmed else None,
                    "llm_error": response.error})
    return response

