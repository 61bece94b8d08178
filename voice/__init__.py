"""Voice: Whisper speech recognition, the spoken-turn API (``POST /api/voice``, ``WS /api/live``) and helpers.

The server wires it in with ``app.include_router(voice.routes.router)`` and one shared
``voice.asr.Transcriber`` in ``app.state.transcriber``; see docs/voice.md.
"""
