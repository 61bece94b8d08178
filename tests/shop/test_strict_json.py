"""The shop on its own (not mounted) refuses non-JSON numbers and lone surrogates, and its 422s serialise."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from shop.strict_json import NotStrictJSON, loads, validation_error_body


@pytest.mark.parametrize("body", [b'{"product_id": "p1", "quantity": NaN}', b'{"product_id": "p1", "quantity": 1e400}',
                                  b'{"product_id": "\\ud800"}', b'{"product_id": "p1", "\\udc00": -Infinity}'])
def test_the_standalone_shop_answers_422(client: TestClient, demo: dict, body: bytes) -> None:
    response = client.post("/cart/items", content=body, headers={**demo, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_error_bodies_serialise_whatever_the_input() -> None:
    """What pydantic may echo as ``input`` outside JSON bodies: NaN, lone surrogates, undecodable bytes."""
    errors = [{"type": "x", "loc": ("query", "\ud800"), "msg": "bad", "input": float("nan")},
              {"type": "x", "loc": ("body",), "msg": "bad", "input": {"\udfff": [float("-inf"), b"\xff"]}}]
    body = validation_error_body(errors)
    text = json.dumps(body, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")  # raises on a lone surrogate
    assert body["detail"][0]["loc"] == ["query", "\\ud800"] and body["detail"][0]["input"] == "nan"
    assert body["detail"][1]["input"] == {"\\udfff": ["-inf", "\\xff"]}


@pytest.mark.parametrize("text", ['{"a": NaN}', '[Infinity]', '{"a": -1e999}', '"\\ud800"', '{"\\ud800": 1}',
                                  '[[["\\udfff"]]]', '{"a": 1', "[" * 100_000])
def test_loads_refuses_what_json_does_not_allow(text: str) -> None:
    with pytest.raises(NotStrictJSON):
        loads(text)


def test_loads_reads_standard_json() -> None:
    assert loads(b'{"a": [1, 2.5e3, "\\ud83d\\ude00", null, true]}') == {"a": [1, 2500.0, "\U0001f600", None, True]}
