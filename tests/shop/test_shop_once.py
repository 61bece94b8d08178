"""Checkout and cancel act once per decision: fingerprints, expected_fingerprint, Idempotency-Key, and
simultaneous requests for one customer on SQLite and on a real Postgres server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from shop import schemas
from shop.api import create_shop_app
from shop.auth import hash_token
from shop.db import Database
from shop.models import CartLine, IdempotencyKey, LoginSession, Order, OrderStatus, Product, User, Variant, utcnow

CONCURRENT_REQUESTS = 8


def add(client, headers: dict, product_id: str, quantity: int = 1) -> dict:
    response = client.post("/cart/items", json={"product_id": product_id, "quantity": quantity}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def set_price(db: Database, product_id: str, price: float) -> None:
    """A new price for every variant (lines are priced by their variant) and so the product's "from" price."""
    with db.session() as session:
        product = session.get(Product, product_id)
        product.price = price
        for variant in product.variants:
            variant.price = price


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


# --- fingerprints ----------------------------------------------------------------------------------------

def test_cart_fingerprint_follows_lines_quantities_and_prices(client, demo, db, state) -> None:
    first = state.pick(min_stock=3, colors=False, sizes=False)
    second = state.pick(min_stock=1, colors=False, sizes=False, exclude=(first.id,))
    empty = client.get("/cart", headers=demo).json()["fingerprint"]
    one_line = add(client, demo, first.id)["fingerprint"]
    assert client.get("/cart", headers=demo).json()["fingerprint"] == one_line  # same cart, same fingerprint
    two_units = add(client, demo, first.id)["fingerprint"]
    two_lines = add(client, demo, second.id)["fingerprint"]
    set_price(db, second.id, second.price + 1)
    dearer = client.get("/cart", headers=demo).json()["fingerprint"]
    set_price(db, second.id, second.price)
    assert client.get("/cart", headers=demo).json()["fingerprint"] == two_lines  # back to the same cart
    assert len({empty, one_line, two_units, two_lines, dearer}) == 5


def cart_of(*lines: tuple[str, str | None, int, float]) -> schemas.Cart:
    cart_lines = [schemas.CartLine(product_id=pid, name=pid, unit_price=price, quantity=quantity, color=color,
                                   size=None, line_total=round(price * quantity, 2), stock=10)
                  for pid, color, quantity, price in lines]
    return schemas.Cart(lines=cart_lines, item_count=sum(line.quantity for line in cart_lines),
                        subtotal=round(sum(line.line_total for line in cart_lines), 2))


def test_cart_fingerprint_ignores_line_order_and_stock_but_not_color_or_unit_price() -> None:
    base = cart_of(("p1", "Red", 1, 9.99), ("p2", None, 2, 5.0))
    reordered = cart_of(("p2", None, 2, 5.0), ("p1", "Red", 1, 9.99))
    restocked = base.model_copy(update={"lines": [line.model_copy(update={"stock": 0}) for line in base.lines]})
    recolored = cart_of(("p1", "Blue", 1, 9.99), ("p2", None, 2, 5.0))
    repriced_same_subtotal = cart_of(("p1", "Red", 1, 11.99), ("p2", None, 2, 4.0))
    assert repriced_same_subtotal.subtotal == base.subtotal
    assert base.fingerprint == reordered.fingerprint == restocked.fingerprint
    assert len({base.fingerprint, recolored.fingerprint, repriced_same_subtotal.fingerprint}) == 3
    assert base.model_dump()["fingerprint"] == schemas.cart_fingerprint(base)


def test_order_fingerprint_changes_with_status(client, demo, state) -> None:
    add(client, demo, state.pick(colors=False, sizes=False).id)
    placed = client.post("/checkout", headers=demo).json()
    assert client.get(f"/orders/{placed['id']}", headers=demo).json()["fingerprint"] == placed["fingerprint"]
    cancelled = client.post(f"/orders/{placed['id']}/cancel", headers=demo).json()
    assert cancelled["status"] == "cancelled" and cancelled["fingerprint"] != placed["fingerprint"]


# --- checkout: expected_fingerprint and Idempotency-Key --------------------------------------------------

def test_checkout_of_a_changed_cart_is_409_and_changes_nothing(client, demo, state) -> None:
    product = state.pick(min_stock=3, colors=False, sizes=False)
    confirmed = add(client, demo, product.id)
    add(client, demo, product.id)  # the cart changes between the read-back and the "yes"
    current = client.get("/cart", headers=demo).json()
    orders_before = state.order_count()

    response = client.post("/checkout", json={"expected_fingerprint": confirmed["fingerprint"]},
                           headers={**demo, **key("yes-1")})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["code"] == "cart_changed" and detail["message"]
    assert detail["cart"] == current
    assert state.order_count() == orders_before
    assert state.product(product.id).stock == product.stock
    assert client.get("/cart", headers=demo).json() == current
    with state.db.session() as session:  # the refused request did not spend its key
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_checkout_of_the_confirmed_cart_places_the_order(client, demo, state) -> None:
    product = state.pick(min_stock=2, colors=False, sizes=False)
    confirmed = add(client, demo, product.id, 2)
    response = client.post("/checkout", json={"expected_fingerprint": confirmed["fingerprint"]}, headers=demo)
    assert response.status_code == 201, response.text
    assert [(line["product_id"], line["quantity"]) for line in response.json()["lines"]] == [(product.id, 2)]
    assert response.json()["total"] == confirmed["subtotal"]


def test_same_key_twice_places_one_order(client, demo, state) -> None:
    product = state.pick(min_stock=3, colors=False, sizes=False)
    add(client, demo, product.id)
    orders_before = state.order_count()
    first = client.post("/checkout", headers={**demo, **key("conv-7:turn-3")})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    add(client, demo, product.id, 2)  # a new cart does not change what the repeated request answers
    again = client.post("/checkout", headers={**demo, **key("conv-7:turn-3")})
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["lines"] == first.json()["lines"]
    assert state.order_count() == orders_before + 1
    assert state.product(product.id).stock == product.stock - 1
    assert client.get("/cart", headers=demo).json()["item_count"] == 2


def test_a_new_key_on_the_emptied_cart_is_409_empty(client, demo, state) -> None:
    add(client, demo, state.pick(colors=False, sizes=False).id)
    assert client.post("/checkout", headers={**demo, **key("first")}).status_code == 201
    orders_before = state.order_count()
    second = client.post("/checkout", headers={**demo, **key("second")})
    assert second.status_code == 409 and "empty" in second.json()["detail"]
    assert state.order_count() == orders_before


def test_keys_belong_to_one_customer(client, demo, state, other_customer) -> None:
    other = state.login(other_customer)
    mine = state.pick(colors=False, sizes=False)
    theirs = state.pick(colors=False, sizes=False, exclude=(mine.id,))
    add(client, demo, mine.id)
    add(client, other, theirs.id)
    my_order = client.post("/checkout", headers={**demo, **key("shared-key")}).json()
    their_order = client.post("/checkout", headers={**other, **key("shared-key")})
    assert their_order.status_code == 201  # not a replay of demo's order
    assert their_order.json()["id"] != my_order["id"]
    assert [line["product_id"] for line in their_order.json()["lines"]] == [theirs.id]


def test_a_key_spent_on_another_operation_is_422(client, demo, state) -> None:
    add(client, demo, state.pick(colors=False, sizes=False).id)
    order = client.post("/checkout", headers={**demo, **key("k1")}).json()
    response = client.post(f"/orders/{order['id']}/cancel", headers={**demo, **key("k1")})
    assert response.status_code == 422
    assert "checkout" in response.json()["detail"] and "new key" in response.json()["detail"]
    assert client.get(f"/orders/{order['id']}", headers=demo).json()["status"] == "pending"


@pytest.mark.parametrize("bad", ["", "x" * 101, "two words", "semi;colon", "slash/key"])
def test_malformed_idempotency_key_is_422(client, demo, state, bad: str) -> None:
    add(client, demo, state.pick(colors=False, sizes=False).id)
    orders_before = state.order_count()
    response = client.post("/checkout", headers={**demo, **key(bad)})
    assert response.status_code == 422, response.text
    assert state.order_count() == orders_before


@pytest.mark.parametrize("body", [{"expected_fingerprnt": "abc"}, {"expected_fingerprint": 12},
                                  {"expected_fingerprint": ""}, [1]])
def test_malformed_checkout_body_is_422(client, demo, state, body: object) -> None:
    add(client, demo, state.pick(colors=False, sizes=False).id)
    orders_before = state.order_count()
    assert client.post("/checkout", json=body, headers=demo).status_code == 422
    assert state.order_count() == orders_before


def test_the_longest_allowed_key_works(client, demo, state) -> None:
    add(client, demo, state.pick(colors=False, sizes=False).id)
    long_key = "A-z0_9.:" * 12 + "abcd"
    assert len(long_key) == 100
    assert client.post("/checkout", headers={**demo, **key(long_key)}).status_code == 201
    assert client.post("/checkout", headers={**demo, **key(long_key)}).status_code == 200


# --- cancel ----------------------------------------------------------------------------------------------

def placed_order(client, headers: dict, product: Product, quantity: int = 2) -> dict:
    add(client, headers, product.id, quantity)
    response = client.post("/checkout", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_cancel_of_a_changed_order_is_409_order_changed(client, demo, db, state) -> None:
    product = state.pick(min_stock=2, colors=False, sizes=False)
    order = placed_order(client, demo, product)
    with db.session() as session:  # the warehouse starts on it after the customer was told "pending"
        session.get(Order, int(order["id"])).status = OrderStatus.processing
    response = client.post(f"/orders/{order['id']}/cancel", json={"expected_fingerprint": order["fingerprint"]},
                           headers=demo)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["code"] == "order_changed" and detail["message"]
    assert detail["order"]["status"] == "processing"
    assert detail["order"] == client.get(f"/orders/{order['id']}", headers=demo).json()
    assert state.product(product.id).stock == product.stock - 2


def test_cancel_with_the_confirmed_fingerprint_cancels(client, demo, state) -> None:
    product = state.pick(min_stock=2, colors=False, sizes=False)
    order = placed_order(client, demo, product)
    response = client.post(f"/orders/{order['id']}/cancel", json={"expected_fingerprint": order["fingerprint"]},
                           headers=demo)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert state.product(product.id).stock == product.stock


def test_cancel_replay_returns_the_cancelled_order_and_restocks_once(client, demo, state) -> None:
    product = state.pick(min_stock=2, colors=False, sizes=False)
    order = placed_order(client, demo, product)
    first = client.post(f"/orders/{order['id']}/cancel", headers={**demo, **key("cancel-1")})
    again = client.post(f"/orders/{order['id']}/cancel", json={"expected_fingerprint": order["fingerprint"]},
                        headers={**demo, **key("cancel-1")})
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "cancelled"
    assert state.product(product.id).stock == product.stock
    without_key = client.post(f"/orders/{order['id']}/cancel", headers=demo)
    assert without_key.status_code == 409 and "cancelled" in without_key.json()["detail"]


def test_a_cancel_key_for_another_order_is_422(client, demo, state) -> None:
    product = state.pick(min_stock=4, colors=False, sizes=False)
    first, second = placed_order(client, demo, product), placed_order(client, demo, product)
    assert client.post(f"/orders/{first['id']}/cancel", headers={**demo, **key("c")}).status_code == 200
    response = client.post(f"/orders/{second['id']}/cancel", headers={**demo, **key("c")})
    assert response.status_code == 422 and first["id"] in response.json()["detail"]
    assert client.get(f"/orders/{second['id']}", headers=demo).json()["status"] == "pending"


# --- simultaneous requests of one customer, SQLite file and Postgres -------------------------------------

STOCK = 100


@pytest.fixture(params=["sqlite", "postgres"])
def race_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, FastAPI]]:
    """A shop app over a new database holding one customer with two lines in the cart."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"  # a file: separate connections, as in production
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    app = create_shop_app(database)
    with database.session() as session:
        session.add(User(id=1, login="racer", name="Racer"))
        session.add(LoginSession(token_hash=hash_token(RACER_TOKEN), user_id=1,
                                 expires_at=utcnow() + timedelta(hours=1)))
        for number, (product_id, price) in enumerate((("p1", 20.0), ("p2", 7.5)), start=1):
            session.add(Product(id=product_id, name=f"Product {product_id}", brand="B", category="C", price=price,
                                stock=STOCK, colors=[], sizes=[]))
            session.add(Variant(id=number, product_id=product_id, position=0, sku=product_id, price=price,
                                stock=STOCK))
        session.flush()
        session.add_all([CartLine(user_id=1, product_id="p1", variant_id=1, quantity=2),
                         CartLine(user_id=1, product_id="p2", variant_id=2, quantity=1)])
    yield database, app
    database.engine.dispose()


RACER_TOKEN = "token-racer"  # its session is made in the database; tests/shop/test_shop_auth.py signs in for real
RACER = {"Authorization": f"Bearer {RACER_TOKEN}"}


async def all_at_once(app: FastAPI, path: str, headers: list[dict[str, str]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop",
                                 timeout=60) as http:
        return await asyncio.gather(*(http.post(path, headers=h) for h in headers))


def stock_and_orders(database: Database) -> tuple[dict[str, int], int]:
    with database.session() as session:
        stock = dict(session.execute(select(Product.id, Product.stock)).all())
        return stock, session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("with_key", [False, True], ids=["no-key", "same-key"])
async def test_simultaneous_checkouts_of_one_cart_place_one_order(race_shop, with_key: bool) -> None:
    database, app = race_shop
    headers = [{**RACER, **key("the-one-yes")} if with_key else RACER] * CONCURRENT_REQUESTS
    responses = await all_at_once(app, "/checkout", headers)

    statuses = sorted(response.status_code for response in responses)
    others = [200 if with_key else 409] * (CONCURRENT_REQUESTS - 1)
    assert statuses == sorted([201, *others]), [r.text for r in responses]
    if with_key:
        assert {response.json()["id"] for response in responses} == {responses[0].json()["id"]}
        assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == CONCURRENT_REQUESTS - 1
    stock, orders = stock_and_orders(database)
    assert orders == 1
    assert stock == {"p1": STOCK - 2, "p2": STOCK - 1}


@pytest.mark.parametrize("with_key", [False, True], ids=["no-key", "same-key"])
async def test_simultaneous_cancels_restock_once(race_shop, with_key: bool) -> None:
    database, app = race_shop
    (placed,) = await all_at_once(app, "/checkout", [RACER])
    assert placed.status_code == 201, placed.text
    path = f"/orders/{placed.json()['id']}/cancel"
    headers = [{**RACER, **key("cancel-it")} if with_key else RACER] * CONCURRENT_REQUESTS
    responses = await all_at_once(app, path, headers)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (CONCURRENT_REQUESTS if with_key else 1) + [409] * (
        0 if with_key else CONCURRENT_REQUESTS - 1), [r.text for r in responses]
    stock, orders = stock_and_orders(database)
    assert orders == 1
    assert stock == {"p1": STOCK, "p2": STOCK}
    with database.session() as session:
        assert session.get(Order, int(placed.json()["id"])).status == OrderStatus.cancelled


async def test_cart_changes_during_a_checkout_are_neither_lost_nor_ordered_twice(race_shop) -> None:
    """Every unit added is either in the one order or still in the cart afterwards, never both or neither."""
    database, app = race_shop
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop",
                                 timeout=60) as http:
        adds = [http.post("/cart/items", json={"product_id": "p1"}, headers=RACER)
                for _ in range(CONCURRENT_REQUESTS)]
        responses = await asyncio.gather(http.post("/checkout", headers=RACER), *adds)
        cart = (await http.get("/cart", headers=RACER)).json()
    assert [response.status_code for response in responses] == [201] + [200] * CONCURRENT_REQUESTS, \
        [r.text for r in responses]
    ordered = {line["product_id"]: line["quantity"] for line in responses[0].json()["lines"]}
    in_cart = {line["product_id"]: line["quantity"] for line in cart["lines"]}
    assert ordered.get("p1", 0) + in_cart.get("p1", 0) == 2 + CONCURRENT_REQUESTS
    stock, orders = stock_and_orders(database)
    assert orders == 1
    assert stock == {"p1": STOCK - ordered["p1"], "p2": STOCK - 1}
