"""Input that cannot crash an app: strict JSON bodies and 422 answers that always serialise.

Python's ``json`` module accepts more than JSON: ``NaN``, ``Infinity``, numbers that overflow to infinity
(``1e400``) and lone UTF-16 surrogates (``"\\ud800"``), which no UTF-8 response can carry. Left in, they
reach validation, and FastAPI's 422 handler crashes while echoing them (HTTP 500). :func:`install` makes
an app refuse such bodies with a clear 422 before any endpoint sees them, and answers every validation
error with a body that serialises whatever the input was. Both the reference shop and the assistant
install it, so every JSON endpoint of either gets the same rules.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CHECKED = "voiceshop.strict_json"  # scope key: a mounted app does not check the same body twice


class NotStrictJSON(ValueError):
    """The body is not standard JSON, or holds what a JSON response could not carry."""


def _reject_constant(name: str) -> Any:
    raise NotStrictJSON(f"{name} is not a JSON number; send a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotStrictJSON(f"the number {text[:40]} is too large; send a finite number")
    return value


def loads(data: bytes | str) -> Any:
    """Parse standard JSON only: UTF-8, finite numbers, no lone surrogates (raises :class:`NotStrictJSON`)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data  # strict: raw surrogates are not UTF-8
    except UnicodeDecodeError as error:
        raise NotStrictJSON(f"the body is not UTF-8 (byte {error.start})") from error
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        # A "\ud800" escape parses into a lone surrogate, in a key or a value at any depth; encoding the
        # whole document once finds them all.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise NotStrictJSON("a string holds a lone UTF-16 surrogate (such as \\ud800), which is not text") \
            from error
    except json.JSONDecodeError as error:
        raise NotStrictJSON(f"{error.msg} at position {error.pos}") from error
    except RecursionError as error:
        raise NotStrictJSON("the JSON is nested too deeply") from error
    except NotStrictJSON:
        raise
    except ValueError as error:  # Python's limit on integer digits
        raise NotStrictJSON("a number has too many digits") from error
    return value


def _is_json_media_type(content_type: str) -> bool:
    """The media types FastAPI parses as JSON: ``application/json`` and ``application/*+json``."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _safe(value: Any) -> Any:
    """``value`` (already through ``jsonable_encoder``) with nothing a UTF-8 JSON response cannot carry."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")  # "\ud800" becomes the text \ud800
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_safe(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    return value


def _bytes_as_text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


def validation_error_body(errors: Any) -> dict[str, Any]:
    """FastAPI's usual 422 body, made serialisable: odd bytes and lone surrogates escaped, NaN as text."""
    return {"detail": _safe(jsonable_encoder(errors, custom_encoder={bytes: _bytes_as_text}))}


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse(validation_error_body(error.errors()), status_code=422)


class StrictJSONMiddleware:
    """Reads a JSON request body, checks it with :func:`loads`, and answers 422 if it fails.

    The body is then replayed to the app unchanged, so endpoints parse it as usual.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(_CHECKED):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if not _is_json_media_type(content_type):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see that
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            try:
                loads(body)
            except NotStrictJSON as error:
                problem = {"type": "json_invalid", "loc": ["body"], "msg": f"Invalid JSON: {error}",
                           "input": None}
                await JSONResponse({"detail": [problem]}, status_code=422)(scope, receive, send)
                return
        scope[_CHECKED] = True
        await self.app(scope, _replay([body], None, receive), send)


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then defers to the real one."""
    queue: list[Message] = [{"type": "http.request", "body": chunk, "more_body": False} for chunk in chunks]
    if pending is not None:
        queue.append(pending)

    async def replayed() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed


def install(app: FastAPI) -> None:
    """Give ``app`` strict JSON bodies and 422 answers that always serialise."""
    app.add_middleware(StrictJSONMiddleware)
    app.add_exception_handler(RequestValidationError, _validation_error)
