"""``GET /help``: the shop answers help questions from its FAQ store, over HTTP like every other tool call."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shop.api import create_shop_app
from shop.db import Database
from shop.helpcenter.store import FaqStore, FaqStoreOptions
from tests.shop.helpcenter.test_store import RETURNS, SHIPPING, write


@pytest.fixture
def help_client(tmp_path: Path, db: Database, encoder) -> TestClient:
    directory = tmp_path / "helpcenter"
    directory.mkdir()
    write(directory, "shipping.yaml", SHIPPING)
    write(directory, "returns.yaml", RETURNS)
    store = FaqStore(FaqStoreOptions(helpcenter_dir=directory, chroma_path=tmp_path / "chroma"), encoder=encoder)
    store.sync()
    return TestClient(create_shop_app(db, help_center=store))


def test_a_question_gets_the_matching_entry(help_client: TestClient) -> None:
    response = help_client.get("/help", params={"q": "how many days do I have to send something back"})
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is True and body["source"] == "returns.yaml#return-window"
    assert body["answer"].startswith("You can return unused items") and body["score"] > 0


def test_an_unrelated_question_is_found_false_and_nothing_else(help_client: TestClient) -> None:
    response = help_client.get("/help", params={"q": "what is the capital of France"})
    assert response.status_code == 200 and response.json() == {"found": False}


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 501}])
def test_a_missing_blank_or_huge_question_is_a_422(help_client: TestClient, params: dict[str, str]) -> None:
    response = help_client.get("/help", params=params)
    assert response.status_code == 422, response.text


def test_a_shop_without_a_help_center_says_so(client: TestClient) -> None:
    response = client.get("/help", params={"q": "shipping?"})
    assert response.status_code == 503 and "help center" in response.json()["detail"]
