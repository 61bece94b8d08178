"""The cart: add, merge, update, remove, view; stock limits (409) and color/size validation (422)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


def add(client: TestClient, headers: dict, product_id: str, quantity: int = 1, **options: str):
    return client.post("/cart/items", json={"product_id": product_id, "quantity": quantity, **options},
                       headers=headers)


def test_demo_cart_starts_empty(client: TestClient, demo: dict) -> None:
    cart = client.get("/cart", headers=demo).json()
    assert {k: v for k, v in cart.items() if k != "fingerprint"} == {"lines": [], "item_count": 0, "subtotal": 0.0}
    assert re.fullmatch(r"[0-9a-f]{16}", cart["fingerprint"])


def test_add_and_view(client: TestClient, demo: dict, state) -> None:
    first = state.pick(min_stock=3, colors=False, sizes=False)
    second = state.pick(min_stock=2, colors=False, sizes=False, exclude=(first.id,))
    add(client, demo, first.id, 2)
    cart = add(client, demo, second.id).json()
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [(first.id, 2), (second.id, 1)]
    assert cart["lines"][0]["line_total"] == round(first.price * 2, 2)
    assert cart["lines"][0]["stock"] == first.stock
    assert cart["item_count"] == 3
    assert cart["subtotal"] == round(first.price * 2 + second.price, 2)
    assert client.get("/cart", headers=demo).json() == cart


def test_same_variant_merges_other_variant_adds_a_line(client: TestClient, demo: dict, state) -> None:
    product = next(p for p in state.products() if len(p.colors) >= 2 and p.sizes and p.stock >= 5)
    color, size = product.colors[0], product.sizes[0]
    add(client, demo, product.id, 1, color=color.lower(), size=size)
    cart = add(client, demo, product.id, 2, color=color, size=size).json()
    assert [(line["color"], line["size"], line["quantity"]) for line in cart["lines"]] == [(color, size, 3)]
    cart = add(client, demo, product.id, 1, color=product.colors[1], size=size).json()
    assert [(line["color"], line["quantity"]) for line in cart["lines"]] == [(color, 3), (product.colors[1], 1)]


def test_options_that_do_not_pin_one_variant_are_422_listing_them(client: TestClient, demo: dict, state) -> None:
    product = next(p for p in state.products() if len(p.colors) >= 2 and len(p.sizes) >= 2)
    response = add(client, demo, product.id)
    assert response.status_code == 422
    body = response.json()
    assert {"name": "Color", "values": product.colors} in body["options"]
    assert {"name": "Size", "values": product.sizes} in body["options"]
    assert "several variants" in body["detail"]
    response = add(client, demo, product.id, color=product.colors[0])
    assert response.status_code == 422 and "Size" in response.json()["detail"]
    assert client.get("/cart", headers=demo).json()["lines"] == []


def test_color_or_size_not_offered_is_422_with_the_options(client: TestClient, demo: dict, state) -> None:
    product = state.pick(colors=True, sizes=True)
    response = add(client, demo, product.id, color="Plaid Chartreuse")
    assert response.status_code == 422
    assert all(color in response.json()["detail"] for color in product.colors)
    response = add(client, demo, product.id, size="XXXXL")
    assert response.status_code == 422
    assert all(size in response.json()["detail"] for size in product.sizes)
    plain = state.pick(colors=False, sizes=False)
    assert add(client, demo, plain.id, color="Black").status_code == 422
    assert client.get("/cart", headers=demo).json()["lines"] == []


def test_more_than_in_stock_is_409(client: TestClient, demo: dict, state) -> None:
    product = state.pick(min_stock=2, colors=False, sizes=False)
    response = add(client, demo, product.id, product.stock + 1)
    assert response.status_code == 409
    assert str(product.stock) in response.json()["detail"]
    assert add(client, demo, product.id, product.stock).status_code == 200
    response = add(client, demo, product.id, 1)
    assert response.status_code == 409
    assert "already in your cart" in response.json()["detail"]


def test_out_of_stock_product_is_409(client: TestClient, demo: dict, state) -> None:
    product = state.pick(colors=False, sizes=False)
    state.set_stock(product.id, 0)
    response = add(client, demo, product.id)
    assert response.status_code == 409
    assert "out of stock" in response.json()["detail"]


def test_unknown_product_is_404(client: TestClient, demo: dict) -> None:
    assert add(client, demo, "p999999").status_code == 404


@pytest.mark.parametrize("body", [
    {"product_id": "p1", "quantity": 0}, {"product_id": "p1", "quantity": 100}, {"quantity": 1},
    {"product_id": "", "quantity": 1}, {"product_id": "p1", "quantity": "two"},
])
def test_bad_add_requests_are_422(client: TestClient, demo: dict, body: dict) -> None:
    assert client.post("/cart/items", json=body, headers=demo).status_code == 422


def test_update_quantity_and_zero_removes(client: TestClient, demo: dict, state) -> None:
    product = state.pick(min_stock=4, colors=False, sizes=False)
    add(client, demo, product.id)
    cart = client.patch(f"/cart/items/{product.id}", json={"quantity": 4}, headers=demo).json()
    assert cart["lines"][0]["quantity"] == 4
    response = client.patch(f"/cart/items/{product.id}", json={"quantity": product.stock + 1}, headers=demo)
    assert response.status_code == 409
    cart = client.patch(f"/cart/items/{product.id}", json={"quantity": 0}, headers=demo).json()
    assert cart["lines"] == []


def test_update_or_remove_what_is_not_in_the_cart_is_404(client: TestClient, demo: dict, state) -> None:
    product = state.pick()
    assert client.patch(f"/cart/items/{product.id}", json={"quantity": 1}, headers=demo).status_code == 404
    assert client.delete(f"/cart/items/{product.id}", headers=demo).status_code == 404


def test_bad_update_is_422(client: TestClient, demo: dict, state) -> None:
    product = state.pick(colors=False, sizes=False)
    add(client, demo, product.id)
    for body in ({"quantity": -1}, {"quantity": 100}, {}):
        assert client.patch(f"/cart/items/{product.id}", json=body, headers=demo).status_code == 422


def test_update_with_several_variants_needs_a_choice(client: TestClient, demo: dict, state) -> None:
    product = next(p for p in state.products() if len(p.colors) >= 2 and p.sizes and len(p.options) == 2
                   and all(v.stock >= 2 for v in p.variants[:len(p.sizes) + 1]))
    size = product.sizes[0]
    assert add(client, demo, product.id, color=product.colors[0], size=size).status_code == 200
    assert add(client, demo, product.id, color=product.colors[1], size=size).status_code == 200
    response = client.patch(f"/cart/items/{product.id}", json={"quantity": 2}, headers=demo)
    assert response.status_code == 409
    assert product.colors[0] in response.json()["detail"]
    cart = client.patch(f"/cart/items/{product.id}", params={"color": product.colors[1]}, json={"quantity": 2},
                        headers=demo).json()
    assert sorted((line["color"], line["quantity"]) for line in cart["lines"]) == sorted(
        [(product.colors[0], 1), (product.colors[1], 2)])


def test_delete_removes_the_product(client: TestClient, demo: dict, state) -> None:
    keep = state.pick(colors=False, sizes=False)
    drop = state.pick(colors=False, sizes=False, exclude=(keep.id,))
    add(client, demo, keep.id)
    add(client, demo, drop.id)
    cart = client.delete(f"/cart/items/{drop.id}", headers=demo).json()
    assert [line["product_id"] for line in cart["lines"]] == [keep.id]


def test_cart_needs_a_valid_token(client: TestClient) -> None:
    assert client.get("/cart").status_code == 401
    assert client.get("/cart", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.post("/cart/items", json={"product_id": "p1"}).status_code == 401
