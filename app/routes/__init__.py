"""HTTP and WebSocket routes beyond the chat and session ones in :mod:`app.main`."""
