"""Checkout (atomic, no overselling), order listing, cancellation rules and customer scoping."""

from __future__ import annotations

import asyncio

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from shop.models import Order, OrderStatus, User


def add(client: TestClient, headers: dict, product_id: str, quantity: int = 1) -> None:
    response = client.post("/cart/items", json={"product_id": product_id, "quantity": quantity}, headers=headers)
    assert response.status_code == 200, response.text


def seeded_order(db, login: str, status: OrderStatus) -> Order:
    with db.session() as session:
        return session.execute(
            select(Order).join(User, User.id == Order.user_id).where(User.login == login, Order.status == status)
            .limit(1)
        ).scalar_one()


def test_checkout_creates_a_pending_order_decrements_stock_and_empties_the_cart(client, demo, state) -> None:
    first = state.pick(min_stock=3, colors=False, sizes=False)
    second = state.pick(min_stock=1, colors=False, sizes=False, exclude=(first.id,))
    add(client, demo, first.id, 3)
    add(client, demo, second.id, 1)

    response = client.post("/checkout", headers=demo)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending" and order["tracking_number"] is None
    assert order["id"].isdigit()
    assert [(line["product_id"], line["quantity"]) for line in order["lines"]] == [(first.id, 3), (second.id, 1)]
    assert order["total"] == round(first.price * 3 + second.price, 2)
    assert state.product(first.id).stock == first.stock - 3
    assert state.product(second.id).stock == second.stock - 1
    assert client.get("/cart", headers=demo).json()["lines"] == []
    assert client.get("/orders/latest", headers=demo).json()["id"] == order["id"]
    assert client.get("/orders", headers=demo).json()[0]["id"] == order["id"]


def test_checkout_with_an_out_of_stock_line_changes_nothing(client, demo, state) -> None:
    plenty = state.pick(min_stock=5, colors=False, sizes=False)
    scarce = state.pick(min_stock=2, colors=False, sizes=False, exclude=(plenty.id,))
    add(client, demo, plenty.id, 2)
    add(client, demo, scarce.id, 2)
    state.set_stock(scarce.id, 1)  # someone else bought it meanwhile
    cart_before = client.get("/cart", headers=demo).json()
    orders_before = state.order_count()

    response = client.post("/checkout", headers=demo)
    assert response.status_code == 409
    assert scarce.name in response.json()["detail"] and plenty.name not in response.json()["detail"]
    assert state.order_count() == orders_before
    assert state.product(plenty.id).stock == plenty.stock
    assert state.product(scarce.id).stock == 1
    assert client.get("/cart", headers=demo).json() == {**cart_before, "lines": [
        {**line, "stock": 1} if line["product_id"] == scarce.id else line for line in cart_before["lines"]]}


def test_empty_cart_checkout_is_409(client, demo, state) -> None:
    orders_before = state.order_count()
    response = client.post("/checkout", headers=demo)
    assert response.status_code == 409
    assert "empty" in response.json()["detail"]
    assert state.order_count() == orders_before


async def test_concurrent_checkouts_never_oversell(db, client, state) -> None:
    """Eight customers race for three units: exactly three orders, stock ends at zero, never below."""
    product = state.pick(min_stock=3, colors=False, sizes=False)
    with db.session() as session:
        logins = session.execute(select(User.login).where(User.login != "demo").limit(8)).scalars().all()
    customers = [state.login(login) for login in logins]
    for headers in customers:
        add(client, headers, product.id)
    state.set_stock(product.id, 3)

    transport = httpx.ASGITransport(app=client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
        responses = await asyncio.gather(*(http.post("/checkout", headers=headers) for headers in customers))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * (len(customers) - 3)
    assert state.product(product.id).stock == 0


def test_cancel_pending_order_restocks(client, demo, state) -> None:
    product = state.pick(min_stock=2, colors=False, sizes=False)
    add(client, demo, product.id, 2)
    order = client.post("/checkout", headers=demo).json()
    assert state.product(product.id).stock == product.stock - 2

    response = client.post(f"/orders/{order['id']}/cancel", headers=demo)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert state.product(product.id).stock == product.stock
    again = client.post(f"/orders/{order['id']}/cancel", headers=demo)
    assert again.status_code == 409
    assert state.product(product.id).stock == product.stock  # no second restock


def test_cancel_processing_order_is_allowed(client, demo, db) -> None:
    order = seeded_order(db, "demo", OrderStatus.processing)
    response = client.post(f"/orders/{order.id}/cancel", headers=demo)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_shipped_order_cannot_be_cancelled(client, demo, db, state) -> None:
    order = seeded_order(db, "demo", OrderStatus.shipped)
    stock_before = {line.product_id: state.product(line.product_id).stock for line in order.lines}
    response = client.post(f"/orders/{order.id}/cancel", headers=demo)
    assert response.status_code == 409
    assert "shipped" in response.json()["detail"]
    assert client.get(f"/orders/{order.id}", headers=demo).json()["status"] == "shipped"
    assert {pid: state.product(pid).stock for pid in stock_before} == stock_before


def test_orders_are_the_customers_own_newest_first(client, demo, db) -> None:
    orders = client.get("/orders", headers=demo).json()
    with db.session() as session:
        own = set(session.execute(select(Order.id).where(Order.user_id == 1)).scalars())
    assert {int(order["id"]) for order in orders} == own
    stamps = [order["created_at"] for order in orders]
    assert stamps == sorted(stamps, reverse=True)
    assert len({order["status"] for order in orders}) >= 4


def test_order_detail_and_shipping_fields(client, demo, db) -> None:
    shipped = seeded_order(db, "demo", OrderStatus.shipped)
    body = client.get(f"/orders/%23{shipped.id}", headers=demo).json()  # "#<id>" as a customer may say it
    assert body["id"] == str(shipped.id)
    assert body["tracking_number"]
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_another_customers_order_is_404(client, demo, db, other_customer) -> None:
    foreign = seeded_order_of(db, other_customer)
    for response in (client.get(f"/orders/{foreign.id}", headers=demo),
                     client.post(f"/orders/{foreign.id}/cancel", headers=demo)):
        assert response.status_code == 404
    assert client.get("/orders/999999", headers=demo).status_code == 404
    assert client.get("/orders/not-a-number", headers=demo).status_code == 404
    with db.session() as session:
        assert session.get(Order, foreign.id).status == foreign.status


def seeded_order_of(db, login: str) -> Order:
    with db.session() as session:
        return session.execute(
            select(Order).join(User, User.id == Order.user_id).where(User.login == login).limit(1)
        ).scalar_one()


def test_carts_are_private(client, demo, state, other_customer) -> None:
    other = state.login(other_customer)
    mine = state.pick(colors=False, sizes=False)
    theirs = state.pick(colors=False, sizes=False, exclude=(mine.id,))
    add(client, demo, mine.id)
    add(client, other, theirs.id)
    assert [line["product_id"] for line in client.get("/cart", headers=demo).json()["lines"]] == [mine.id]
    assert client.delete(f"/cart/items/{theirs.id}", headers=demo).status_code == 404
    assert [line["product_id"] for line in client.get("/cart", headers=other).json()["lines"]] == [theirs.id]
    order = client.post("/checkout", headers=demo).json()
    assert [line["product_id"] for line in order["lines"]] == [mine.id]
    assert len(client.get("/cart", headers=other).json()["lines"]) == 1


def test_orders_need_a_token(client) -> None:
    for method, path in (("GET", "/orders"), ("GET", "/orders/latest"), ("GET", "/orders/1"),
                         ("POST", "/orders/1/cancel"), ("POST", "/checkout"), ("GET", "/me")):
        response = client.request(method, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"


def test_latest_order_404_for_a_customer_without_orders(client, db, state) -> None:
    with db.session() as session:
        session.add(User(login="new.customer", name="New Customer"))
    headers = state.login("new.customer")
    assert client.get("/orders", headers=headers).json() == []
    assert client.get("/orders/latest", headers=headers).status_code == 404
