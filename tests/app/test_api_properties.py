"""Property-based API test: schemathesis derives requests, valid and invalid, from the OpenAPI schemas of
the assistant (``/openapi.json``) and of the reference shop mounted at ``/shop`` (``/shop/openapi.json``: a
mounted app keeps its own schema), sends them signed in to the real app in-process with the scripted
test-double LLM, and checks that no operation ever answers 5xx.

Bounded for CI: a fixed number of examples per operation, derandomized (the same cases every run), no
deadline (a busy machine is slow, not wrong). Operations are driven through schemathesis' strategies
rather than its pytest plugin so that the app is built inside a fixture, not at import time.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from app.settings import load_settings
from tests.scripted_llm import ScriptedLLM

# API_FUZZ_EXAMPLES=500 for a deeper hunt by hand; CI runs the default.
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
# A voice turn decodes the upload (and would run Whisper on it): a few examples show the upload path holds.
EXAMPLES_FOR = {"POST /api/voice": max(8, EXAMPLES_PER_OPERATION // 3)}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Iterator[Any]:
    from app.main import create_app

    data_dir = tmp_path_factory.mktemp("api-properties")
    shutil.copy(seeded_template, data_dir / "shop.db")
    application = create_app(load_settings(data_dir=data_dir, llm_transport=ScriptedLLM(), max_tool_steps=3,
                                     warm_indexes=False))
    yield application
    asgi.shutdown_lifespans()  # schemathesis runs the app's lifespan from its first request on


@pytest.fixture(scope="module")
def signed_in(app: Any) -> dict[str, Any]:
    """The demo customer's bearer header, and ids that exist, so cases reach past the 404s too."""
    with asgi.get_client(app) as client:
        response = client.post("/api/login", json={"login": "demo"})
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['token']}"}
        products = client.get("/shop/products", params={"in_stock": True, "limit": 3}).json()["items"]
        variant = next(v for v in products[0]["variants"] if v["available"] and v["stock"] > 0)
        added = client.post("/shop/cart/items", json={"product_id": products[0]["id"], "variant_id": variant["id"]},
                            headers=headers)
        assert added.status_code == 200, added.text
        orders = client.get("/shop/orders", headers=headers).json()
    known = {"product_id": [p["id"] for p in products], "order_id": [o["id"] for o in orders] or ["1"]}

    def own_session() -> dict[str, str]:
        """A session of its own for a logout case, so the shared one stays signed in for the operations after."""
        with asgi.get_client(app) as client:
            return {"Authorization": f"Bearer {client.post('/api/login', json={'login': 'demo'}).json()['token']}"}

    return {"headers": headers, "known": known, "own_session": own_session}


def _cases(operation: Any, known: dict[str, list[str]]) -> Any:
    """Valid and invalid cases; for a path with an id in it, also valid cases naming a real one."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    for name, values in known.items():
        if "{" + name + "}" in operation.path:
            strategies += [operation.as_strategy(GenerationMode.POSITIVE, path_parameters={name: value})
                           for value in values]
    return st.one_of(strategies)


def _fuzz(schema: Any, signed_in: dict[str, Any]) -> tuple[list[str], list[str], Counter[int]]:
    """Every operation of ``schema``: what ran (with its seconds), a report per failing one, status counts."""
    tested, failures, statuses = [], [], Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=_cases(operation, signed_in["known"]))
        @settings(max_examples=EXAMPLES_FOR.get(operation.label, EXAMPLES_PER_OPERATION), derandomize=True,
                  deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: Any) -> None:
            headers = signed_in["own_session"]() if case.path.endswith("/logout") else signed_in["headers"]
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            statuses[response.status_code] += 1

        started = time.perf_counter()
        try:
            no_server_error()
        except Exception as error:  # noqa: BLE001 - collect every failing operation, then report them all
            failures.append(f"{operation.label}: {type(error).__name__}: {error}")
        tested.append(f"{operation.label} ({time.perf_counter() - started:.1f} s)")
    return tested, failures, statuses


@pytest.mark.parametrize("schema_path", ["/openapi.json", "/shop/openapi.json"])
def test_no_operation_answers_5xx(app: Any, signed_in: dict[str, Any], schema_path: str) -> None:
    schema = schemathesis.openapi.from_asgi(schema_path, app)
    tested, failures, statuses = _fuzz(schema, signed_in)
    print(f"{schema_path}: {len(tested)} operations, statuses {dict(statuses)}", *tested, sep="\n  ")
    assert len(tested) >= 9, "the schema lists the API's operations"
    assert any(200 <= status < 300 for status in statuses), "cases reached the endpoints, not only the checks"
    assert not failures, "\n\n".join(failures)
