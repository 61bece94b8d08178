"""One spoken turn: decode and transcribe a recording, then hand the words to the assistant.

Shared by ``POST /api/voice`` and the live WebSocket so both answer the same way: the body is everything
``/api/chat`` returns plus ``transcript``, with the ASR time added to ``timings``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool

from agent.assistant import ChatResponse
from agent.customer import Customer
from agent.events import EventSink, Reply, Transcribing, Transcript, emit
from voice.asr import Transcriber
from voice.audio import AudioLimits, check_upload, decode_audio

SILENCE_REPLY = "Sorry, I didn't catch that. Could you say it again, a little closer to the microphone?"


async def run_voice_turn(
    *,
    assistant: Any,
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
    started = time.perf_counter()
    await emit(on_event, Transcribing())
    audio = await run_in_threadpool(decode_audio, data, limits)
    transcription = await run_in_threadpool(transcriber.transcribe, audio.samples)
    asr_seconds = time.perf_counter() - started
    await emit(on_event, Transcript(text=transcription.text))

    if transcription.heard_speech:
        response = await assistant.chat(customer, transcription.text, conversation_id, on_event)
    else:
        response = ChatResponse(conversation_id=conversation_id or uuid.uuid4().hex, reply=SILENCE_REPLY)
        await emit(on_event, Reply(text=SILENCE_REPLY))
    body = response.model_dump()
    body["transcript"] = transcription.text
    body["timings"] = {
        "llm": 0.0,
        "tools": 0.0,
        **body["timings"],
        "asr": asr_seconds,
        "total": time.perf_counter() - started,
    }
    return body

