"""Voice: Whisper speech recognition and audio checks (``asr``, ``audio``, ``names``, ``prompt``).

No HTTP routes and no agent here: ``app.routes.voice`` serves ``POST /api/voice`` and ``WS /api/live`` with one
shared :class:`voice.asr.Transcriber` in ``app.state.transcriber``; see docs/voice.md.
"""
