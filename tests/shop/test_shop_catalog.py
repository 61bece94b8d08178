"""Product detail, categories, brands, login and recommendations."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient


def test_product_detail_matches_the_row(client: TestClient, state) -> None:
    row = state.products()[3]
    body = client.get(f"/products/{row.id}").json()
    assert body["id"] == row.id
    assert (body["name"], body["price"], body["stock"], body["colors"]) == (row.name, row.price, row.stock, row.colors)
    assert body["description"] == row.description and len(body["description"]) > 20


def test_product_id_tolerates_case_and_spaces(client: TestClient, state) -> None:
    row = state.products()[0]
    assert client.get(f"/products/{row.id.upper()} ").json()["id"] == row.id


def test_unknown_product_is_404(client: TestClient) -> None:
    response = client.get("/products/p999999")
    assert response.status_code == 404
    assert "p999999" in response.json()["detail"]


def test_categories_and_brands_count_the_catalog(client: TestClient, state) -> None:
    products = state.products()
    categories = {row["name"]: row["count"] for row in client.get("/categories").json()}
    brands = {row["name"]: row["count"] for row in client.get("/brands").json()}
    assert categories == dict(Counter(p.category for p in products))
    assert brands == dict(Counter(p.brand for p in products))


def test_login_and_me(client: TestClient) -> None:
    login = client.post("/login", json={"login": "DEMO"})
    assert login.status_code == 200
    assert login.json()["user"] == {"id": 1, "login": "demo", "name": "Demo Customer", "role": "customer"}
    me = client.get("/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert me.json()["login"] == "demo"


def test_unknown_login_is_401_and_empty_login_422(client: TestClient) -> None:
    assert client.post("/login", json={"login": "nobody.here", "password": "whatever-it-is"}).status_code == 401
    assert client.post("/login", json={"login": ""}).status_code == 422
    assert client.post("/login", json={}).status_code == 422


def test_recommendations_endpoint(client: TestClient, demo: dict, state) -> None:
    anchor = state.products()[0]
    response = client.get("/recommendations", params={"product_id": anchor.id, "limit": 3}, headers=demo)
    assert response.status_code == 200
    items = response.json()["items"]
    assert 0 < len(items) <= 3
    assert all(item["reason"] and item["id"] != anchor.id for item in items)


def test_recommendations_bad_input(client: TestClient, demo: dict) -> None:
    assert client.get("/recommendations", params={"product_id": "p999999"}, headers=demo).status_code == 404
    assert client.get("/recommendations", params={"limit": 0}, headers=demo).status_code == 422
    assert client.get("/recommendations").status_code == 401
