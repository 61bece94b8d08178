"""Returns, exchanges, item/address/payment changes, refunds and cancel reasons: every rule of
``shop/policy.yaml`` enforced by the shop API itself, with a 4xx and a message the assistant can say.

The seeded demo customer (seed 7) has orders 1-7: 1 delivered long ago (past the window), 2 returned,
3 cancelled, 4 delivered days ago (a Dutch oven and running shoes), 5 shipped, 6 processing, 7 pending. The
wallet: Visa 4242 (default, paid every order), PayPal, gift card 7890 ($250) and gift card 1111 ($5).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shop.api import create_shop_app
from shop.db import Database
from shop.helpcenter.store import HELPCENTER_DIR, HelpCenterError, load_helpcenter
from shop.models import Order, OrderStatus, PaymentMethod, Product, User, Variant
from shop.policy import POLICY_PATH, PolicyError, default_policy, load_policy
from tests.shop.conftest import ShopState

POLICY = default_policy()
DELIVERED_LONG_AGO, DELIVERED, SHIPPED, PROCESSING, PENDING = "1", "4", "5", "6", "7"
SHOES_LINE = 2  # order 4's second item


def order(client: TestClient, headers: dict[str, str], order_id: str) -> dict[str, Any]:
    response = client.get(f"/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: Any, status: int, *phrases: str) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    message = detail if isinstance(detail, str) else detail.get("message", str(detail))
    for phrase in phrases:
        assert phrase in message, message
    return message


def other_variant(state: ShopState, order_id: str, line: int) -> Variant:
    """An available variant of the product on that line of a demo order, other than the one bought."""
    with state.db.session() as session:
        bought = session.get(Order, int(order_id)).lines[line - 1]
        product = session.get(Product, bought.product_id)
        for variant in product.variants:
            if variant.id != bought.variant_id and variant.available and variant.stock >= bought.quantity:
                return variant
    raise AssertionError("the seeded shop has no such variant")


def wallet(state: ShopState, login: str = "demo") -> dict[str, PaymentMethod]:
    with state.db.session() as session:
        user = session.execute(select(User).where(User.login == login)).scalar_one()
        methods = session.execute(select(PaymentMethod).where(PaymentMethod.user_id == user.id)).scalars().all()
    return {method.last_digits or method.kind.value: method for method in methods}


def stock(state: ShopState, variant_id: int) -> int:
    with state.db.session() as session:
        return session.get(Variant, variant_id).stock


# --- the policy file -----------------------------------------------------------------------------------------

def test_the_policy_file_is_what_the_shop_serves_and_cites(client: TestClient) -> None:
    served = client.get("/policy").json()
    assert served["return_window_days"] == POLICY.return_window_days == 30
    assert served["cancel_reasons"] == ["no longer needed", "ordered by mistake"]
    assert served["rules"]["return"].startswith("Delivered orders can be returned within 30 days of delivery")
    assert served["states"]["modify_items"] == ["pending"]


def test_a_broken_policy_file_is_refused_at_load(tmp_path: Path) -> None:
    text = POLICY_PATH.read_text(encoding="utf-8")
    broken = tmp_path / "policy.yaml"
    broken.write_text(text.replace("states: [delivered]", "states: [arrived]", 1), encoding="utf-8")
    with pytest.raises(PolicyError, match="arrived"):
        load_policy(broken)
    broken.write_text(text.replace("{return_window_days} days of delivery", "{window} days", 1), encoding="utf-8")
    with pytest.raises(PolicyError, match="window"):
        load_policy(broken)


def test_the_help_center_quotes_the_policy_file(tmp_path: Path) -> None:
    answers = {entry.id: entry.answer for entry in load_helpcenter(HELPCENTER_DIR)}
    assert answers["returns-window"].startswith(POLICY.rule("return"))
    assert POLICY.rule("modify_items") in answers["orders-modify"]
    edited = tmp_path / "policy.yaml"
    edited.write_text(POLICY_PATH.read_text(encoding="utf-8").replace("return_window_days: 30",
                                                                      "return_window_days: 60"), encoding="utf-8")
    assert "returned within 60 days of delivery" in {e.id: e.answer for e in load_helpcenter(HELPCENTER_DIR, edited)}[
        "returns-window"]
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "x.yaml").write_text("topic: X\nentries:\n  - id: x\n    question: Can I haggle?\n"
                                     "    answer: '{policy.haggle}'\n", encoding="utf-8")
    with pytest.raises(HelpCenterError, match="policy.haggle"):
        load_helpcenter(help_dir)


@pytest.fixture
def strict_client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """The shop with the policy file edited by a product owner: a 5-day return window."""
    edited = tmp_path / "policy.yaml"
    edited.write_text(POLICY_PATH.read_text(encoding="utf-8").replace("return_window_days: 30",
                                                                      "return_window_days: 5"), encoding="utf-8")
    with TestClient(create_shop_app(db, policy=load_policy(edited))) as test_client:
        yield test_client


def test_an_edited_return_window_is_enforced_and_cited(strict_client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {strict_client.post('/login', json={'login': 'demo'}).json()['token']}"}
    response = strict_client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": SHOES_LINE}]},
                                  headers=headers)
    refused(response, 409, "past the 5-day window", "returned within 5 days of delivery")


# --- returns -------------------------------------------------------------------------------------------------

def test_returning_delivered_shoes_requests_the_return_and_records_the_refund(client: TestClient, demo: dict) -> None:
    before = order(client, demo, DELIVERED)
    shoes = before["lines"][SHOES_LINE - 1]
    response = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": SHOES_LINE}]}, headers=demo)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "return requested" and after["allowed"] == []
    assert [line["returned_quantity"] for line in after["lines"]] == [0, shoes["quantity"]]
    [refund] = after["transactions"]
    assert (refund["kind"], refund["reason"], refund["amount"], refund["state"]) == (
        "refund", "return", round(shoes["unit_price"] * shoes["quantity"], 2), "awaiting items")
    assert refund["payment_method"]["last_digits"] == "4242"  # the original method
    assert client.get("/refunds", params={"order_id": DELIVERED}, headers=demo).json() == [refund]
    again = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": 1}]}, headers=demo)
    refused(again, 409, f"Order {DELIVERED} is waiting for its return, so it can't be returned now")


def test_a_preview_answers_what_would_happen_and_changes_nothing(client: TestClient, demo: dict,
                                                                  state: ShopState) -> None:
    before = order(client, demo, DELIVERED)
    headers = {**demo, "Idempotency-Key": "preview-then-yes"}
    preview = client.post(f"/orders/{DELIVERED}/return", params={"preview": True},
                          json={"items": [{"line": SHOES_LINE}], "refund_to": "7890"}, headers=headers)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["order"] == before and body["after"]["status"] == "return requested"
    [refund] = body["after"]["transactions"]
    assert (refund["amount"], refund["payment_method"]["last_digits"]) == (before["lines"][1]["unit_price"], "7890")
    assert order(client, demo, DELIVERED) == before  # nothing stored, and the key is still unspent:
    done = client.post(f"/orders/{DELIVERED}/return", headers=headers, json={
        "items": [{"line": SHOES_LINE}], "refund_to": "7890", "expected_fingerprint": before["fingerprint"]})
    assert done.status_code == 200 and "Idempotent-Replayed" not in done.headers
    assert done.json()["transactions"][0]["amount"] == refund["amount"]
    refused(client.post(f"/orders/{PENDING}/payment", params={"preview": True}, json={"payment_method": "1111"},
                        headers=demo), 409, "can't cover")  # a preview refuses what the change would
    assert wallet(state)["7890"].balance == 250.0


def test_a_pending_order_is_changed_or_cancelled_not_returned(client: TestClient, demo: dict) -> None:
    response = client.post(f"/orders/{PENDING}/return", json={"items": [{"line": 1}]}, headers=demo)
    refused(response, 409, f"Order {PENDING} is still pending, so it can be changed or cancelled, not returned.",
            "Delivered orders can be returned within 30 days")
    shipped = client.post(f"/orders/{SHIPPED}/return", json={"items": [{"line": 1}]}, headers=demo)
    refused(shipped, 409, f"Order {SHIPPED} is on its way, so it can't be returned now")
    assert order(client, demo, PENDING)["status"] == "pending"


def test_the_return_window_counts_from_delivery(client: TestClient, demo: dict) -> None:
    response = client.post(f"/orders/{DELIVERED_LONG_AGO}/return", json={"items": [{"line": 1}]}, headers=demo)
    refused(response, 409, "past the 30-day window", "within 30 days of delivery")
    assert order(client, demo, DELIVERED_LONG_AGO)["transactions"] == []


def test_a_refund_goes_to_the_original_method_or_a_gift_card(client: TestClient, demo: dict, state: ShopState) -> None:
    paypal = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": 1}], "refund_to": "paypal"},
                         headers=demo)
    refused(paypal, 409, "original payment method or to a gift card, not to your PayPal")
    ambiguous = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": 1}], "refund_to": "gift card"},
                            headers=demo)
    refused(ambiguous, 409, "Which one", "ending 7890", "ending 1111")
    response = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": 1}], "refund_to": "7890"},
                           headers=demo)
    assert response.status_code == 200, response.text
    [refund] = response.json()["transactions"]
    assert refund["payment_method"]["last_digits"] == "7890" and refund["state"] == "awaiting items"
    assert wallet(state)["7890"].balance == 250.0  # paid when the items arrive, not before


def test_items_are_named_by_line_product_or_sku_and_checked(client: TestClient, demo: dict) -> None:
    lines = order(client, demo, DELIVERED)["lines"]
    path = f"/orders/{DELIVERED}/return"
    refused(client.post(path, json={"items": [{"line": 3}]}, headers=demo), 404, "has 2 items, not 3")
    refused(client.post(path, json={"items": [{"product_id": "p9999"}]}, headers=demo), 404, "has no item 'p9999'")
    refused(client.post(path, json={"items": [{"line": 1, "sku": lines[0]["sku"]}]}, headers=demo), 422, "one of")
    refused(client.post(path, json={"items": [{"line": 1}, {"sku": lines[0]["sku"]}]}, headers=demo), 422,
            "named twice")
    refused(client.post(path, json={"items": [{"line": 1, "quantity": lines[0]["quantity"] + 1}]}, headers=demo),
            409, f"has {lines[0]['quantity']} of")
    assert client.post(path, json={"items": []}, headers=demo).status_code == 422
    ok = client.post(path, json={"items": [{"product_id": lines[0]["product_id"].upper(), "quantity": 1}]},
                     headers=demo)
    assert ok.status_code == 200 and ok.json()["lines"][0]["returned_quantity"] == 1


def test_another_customers_order_is_no_order_at_all(client: TestClient, state: ShopState, other_customer: str,
                                                    demo: dict) -> None:
    theirs = state.login(other_customer)
    their_order = client.get("/orders", headers=theirs).json()[0]
    attempts = [("post", f"/orders/{their_order['id']}/return", {"items": [{"line": 1}]}),
                ("post", f"/orders/{their_order['id']}/exchange", {"items": [{"line": 1, "options": {"Size": "10"}}]}),
                ("post", f"/orders/{their_order['id']}/items/modify", {"items": [{"line": 1, "variant_id": 1}]}),
                ("post", f"/orders/{their_order['id']}/address", {"label": "home"}),
                ("post", f"/orders/{their_order['id']}/payment", {"payment_method": "4242"}),
                ("post", f"/orders/{their_order['id']}/cancel", {"reason": "ordered by mistake"}),
                ("get", f"/refunds?order_id={their_order['id']}", None)]
    for method, path, body in attempts:
        response = client.request(method.upper(), path, json=body, headers=demo)
        refused(response, 404, f"You have no order '{their_order['id']}'")
    assert client.get(f"/orders/{their_order['id']}", headers=theirs).json() == their_order
    # Their payment methods are not demo's to use either.
    their_card = next(iter(wallet(state, other_customer).values()))
    response = client.post(f"/orders/{PENDING}/payment", json={"payment_method": str(their_card.id)}, headers=demo)
    assert response.status_code == 404, response.text


# --- exchanges -------------------------------------------------------------------------------------------------

def test_exchanging_shoes_for_another_size_sets_the_pair_aside_and_settles_the_difference(
        client: TestClient, demo: dict, state: ShopState) -> None:
    shoes = order(client, demo, DELIVERED)["lines"][SHOES_LINE - 1]
    new = other_variant(state, DELIVERED, SHOES_LINE)
    units = stock(state, new.id)
    response = client.post(f"/orders/{DELIVERED}/exchange", json={
        "items": [{"line": SHOES_LINE, "options": {k: v for k, v in new.options.items()
                                                   if shoes["options"].get(k) != v}}]}, headers=demo)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "exchange requested"
    exchange = after["lines"][SHOES_LINE - 1]["exchange"]
    assert (exchange["variant_id"], exchange["options"], exchange["quantity"]) == (new.id, new.options, 1)
    assert stock(state, new.id) == units - 1
    difference = round(new.price - shoes["unit_price"], 2)
    moved = [(t["kind"], t["amount"]) for t in after["transactions"]]
    assert moved == ([] if difference == 0 else [("charge" if difference > 0 else "refund", abs(difference))])
    refused(client.post(f"/orders/{DELIVERED}/exchange", json={"items": [{"line": 1, "variant_id": new.id}]},
                        headers=demo), 409, "can't be exchanged now")


def test_an_exchange_keeps_the_product_and_needs_a_variant_for_sale(client: TestClient, demo: dict,
                                                                   state: ShopState) -> None:
    path = f"/orders/{DELIVERED}/exchange"
    shoes = order(client, demo, DELIVERED)["lines"][SHOES_LINE - 1]
    pan = order(client, demo, DELIVERED)["lines"][0]
    with state.db.session() as session:
        pan_variant = session.get(Product, pan["product_id"]).variants[0].id
    refused(client.post(path, json={"items": [{"line": SHOES_LINE, "variant_id": pan_variant}]}, headers=demo),
            409, "is a different product from", "same product")
    refused(client.post(path, json={"items": [{"line": SHOES_LINE, "variant_id": shoes["variant_id"]}]},
                        headers=demo), 409, "is already that variant")
    new = other_variant(state, DELIVERED, SHOES_LINE)
    with state.db.session() as session:
        session.get(Variant, new.id).stock = 0
    refused(client.post(path, json={"items": [{"line": SHOES_LINE, "variant_id": new.id}]}, headers=demo),
            409, "is not available (0 left, 1 wanted)")
    response = client.post(path, json={"items": [{"line": SHOES_LINE, "options": {"Size": "99"}}]}, headers=demo)
    assert response.status_code == 422 and "options" in response.json()  # what the shoe does come in
    refused(client.post(path, json={"items": [{"line": SHOES_LINE}]}, headers=demo), 422, "Say which variant")
    assert order(client, demo, DELIVERED)["status"] == "delivered"


def test_a_dearer_exchange_paid_by_gift_card_needs_the_balance(client: TestClient, demo: dict,
                                                               state: ShopState) -> None:
    shoes = order(client, demo, DELIVERED)["lines"][SHOES_LINE - 1]
    new = other_variant(state, DELIVERED, SHOES_LINE)
    with state.db.session() as session:  # a size that costs $20 more
        session.get(Variant, new.id).price = round(shoes["unit_price"] + 20, 2)
    body = {"items": [{"line": SHOES_LINE, "variant_id": new.id}], "pay_with": "1111"}
    refused(client.post(f"/orders/{DELIVERED}/exchange", json=body, headers=demo), 409,
            "Gift card ending 1111 ($5.00 left) can't cover $20.00")
    assert stock(state, new.id) == new.stock  # nothing set aside
    assert order(client, demo, DELIVERED)["status"] == "delivered"
    body["pay_with"] = "7890"
    response = client.post(f"/orders/{DELIVERED}/exchange", json=body, headers=demo)
    assert response.status_code == 200, response.text
    assert wallet(state)["7890"].balance == 230.0
    assert [(t["kind"], t["amount"]) for t in response.json()["transactions"]] == [("charge", 20.0)]


# --- item changes ------------------------------------------------------------------------------------------------

def test_items_of_a_pending_order_change_once(client: TestClient, demo: dict, state: ShopState) -> None:
    before = order(client, demo, PENDING)
    new = other_variant(state, PENDING, 1)
    old_variant = before["lines"][0]["variant_id"]
    units_new, units_old = stock(state, new.id), stock(state, old_variant)
    response = client.post(f"/orders/{PENDING}/items/modify", json={"items": [{"line": 1, "variant_id": new.id}]},
                           headers=demo)
    assert response.status_code == 200, response.text
    after = response.json()
    difference = round(new.price - before["lines"][0]["unit_price"], 2)
    assert after["status"] == "pending (items modified)"
    assert (after["lines"][0]["variant_id"], after["lines"][0]["unit_price"]) == (new.id, new.price)
    assert after["total"] == round(before["total"] + difference, 2)
    assert (stock(state, new.id), stock(state, old_variant)) == (units_new - 1, units_old + 1)
    again = client.post(f"/orders/{PENDING}/items/modify", json={"items": [{"line": 1, "variant_id": old_variant}]},
                        headers=demo)
    refused(again, 409, "already had its items changed", "changed once")
    # Still pending: the address and the payment can change, and it can be cancelled.
    assert set(after["allowed"]) == {"cancel", "change_address", "change_payment"}


def test_items_of_an_order_that_left_pending_cannot_change(client: TestClient, demo: dict) -> None:
    response = client.post(f"/orders/{PROCESSING}/items/modify", json={"items": [{"line": 1, "variant_id": 1}]},
                           headers=demo)
    refused(response, 409, f"Order {PROCESSING} is being processed, so it can be cancelled, not changed")
    response = client.post(f"/orders/{DELIVERED}/items/modify", json={"items": [{"line": 1, "variant_id": 1}]},
                           headers=demo)
    refused(response, 409, f"Order {DELIVERED} is delivered, so it can be returned or exchanged, not changed")


# --- address and payment -------------------------------------------------------------------------------------

def test_a_pending_order_ships_to_a_saved_or_new_address(client: TestClient, demo: dict) -> None:
    work = client.post(f"/orders/{PENDING}/address", json={"label": "Work"}, headers=demo)
    assert work.status_code == 200 and work.json()["shipping_address"]["line1"] == "400 Market Street"
    new = client.post(f"/orders/{PENDING}/address", json={"address": {
        "line1": "9 Elm Row", "city": "Leeds", "postal_code": "LS1 4AP", "country": "gb"}}, headers=demo)
    assert new.status_code == 200, new.text
    assert new.json()["shipping_address"] == {"label": None, "recipient": "Demo Customer", "line1": "9 Elm Row",
                                              "line2": None, "city": "Leeds", "region": None,
                                              "postal_code": "LS1 4AP", "country": "GB"}
    refused(client.post(f"/orders/{PENDING}/address", json={"label": "cottage"}, headers=demo), 404,
            "no saved address 'cottage'", "home and work")
    refused(client.post(f"/orders/{PENDING}/address", json={}, headers=demo), 422, "one of")
    refused(client.post(f"/orders/{SHIPPED}/address", json={"label": "work"}, headers=demo), 409,
            f"Order {SHIPPED} is on its way, so it can't be sent to another address now")
    assert client.get("/addresses", headers=demo).json()[0]["label"] == "home"  # the default is untouched


def test_the_default_address_changes_for_later_orders_only(client: TestClient, demo: dict) -> None:
    response = client.put("/addresses/default", json={"address": {
        "label": "cabin", "line1": "1 Pine Ridge", "city": "Bend", "postal_code": "97701", "country": "US"}},
        headers=demo)
    assert response.status_code == 200, response.text
    addresses = response.json()
    assert [(a["label"], a["is_default"]) for a in addresses] == [("cabin", True), ("home", False), ("work", False)]
    back = client.put("/addresses/default", json={"label": "home"}, headers=demo).json()
    assert [a["label"] for a in back if a["is_default"]] == ["home"]
    assert order(client, demo, PENDING)["shipping_address"]["line1"] == "12 Orchard Lane"


def test_paying_a_pending_order_by_gift_card_needs_the_balance(client: TestClient, demo: dict,
                                                               state: ShopState) -> None:
    total = order(client, demo, PENDING)["total"]
    low = client.post(f"/orders/{PENDING}/payment", json={"payment_method": "1111"}, headers=demo)
    refused(low, 409, "Gift card ending 1111 ($5.00 left) can't cover")
    assert wallet(state)["1111"].balance == 5.0
    response = client.post(f"/orders/{PENDING}/payment", json={"payment_method": "7890"}, headers=demo)
    assert response.status_code == 200, response.text
    paid = response.json()
    assert paid["payment_method"]["last_digits"] == "7890"
    assert wallet(state)["7890"].balance == round(250.0 - total, 2)
    charge, refund = paid["transactions"]
    assert (charge["kind"], charge["amount"], charge["payment_method"]["last_digits"]) == ("charge", total, "7890")
    assert (refund["kind"], refund["amount"], refund["state"], refund["payment_method"]["last_digits"]) == (
        "refund", total, "processing", "4242")
    assert refund["due_by"] is not None
    refused(client.post(f"/orders/{PENDING}/payment", json={"payment_method": "7890"}, headers=demo), 409,
            "already paid with")
    refused(client.post(f"/orders/{SHIPPED}/payment", json={"payment_method": "paypal"}, headers=demo), 409,
            "can't be paid another way now")
    refused(client.post(f"/orders/{PENDING}/payment", json={"payment_method": "bitcoin"}, headers=demo), 404,
            "no payment method 'bitcoin'", "Visa ending 4242")


# --- cancel and refunds ----------------------------------------------------------------------------------------

def test_cancel_keeps_working_and_takes_a_reason_from_the_policy(client: TestClient, demo: dict) -> None:
    refused(client.post(f"/orders/{PENDING}/cancel", json={"reason": "changed my mind"}, headers=demo), 422,
            "'no longer needed' or 'ordered by mistake'")
    response = client.post(f"/orders/{PENDING}/cancel", json={"reason": "Ordered by mistake"}, headers=demo)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "ordered by mistake")
    [refund] = cancelled["transactions"]
    assert (refund["reason"], refund["amount"], refund["state"]) == ("cancel", cancelled["total"], "processing")
    assert client.post(f"/orders/{PROCESSING}/cancel", headers=demo).status_code == 200  # no body, as before
    refused(client.post(f"/orders/{SHIPPED}/cancel", headers=demo), 409, "can no longer be cancelled",
            "An order can be cancelled while it is pending or processing")


def test_a_cancelled_gift_card_order_is_refunded_at_once(client: TestClient, demo: dict, state: ShopState) -> None:
    total = order(client, demo, PENDING)["total"]
    assert client.post(f"/orders/{PENDING}/payment", json={"payment_method": "7890"}, headers=demo).status_code == 200
    cancelled = client.post(f"/orders/{PENDING}/cancel", headers=demo).json()
    refund = cancelled["transactions"][-1]
    assert (refund["reason"], refund["state"], refund["due_by"]) == ("cancel", "completed", None)
    assert wallet(state)["7890"].balance == 250.0
    refunds = client.get("/refunds", headers=demo).json()
    assert [(r["order_id"], r["reason"], r["amount"]) for r in refunds][:2] == [
        (PENDING, "cancel", total), (PENDING, "change_payment", total)]


# --- exactly once, and only what was confirmed ---------------------------------------------------------------

def test_a_repeated_return_with_its_key_acts_once(client: TestClient, demo: dict) -> None:
    headers = {**demo, "Idempotency-Key": "return-1"}
    first = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": 1}]}, headers=headers)
    second = client.post(f"/orders/{DELIVERED}/return", json={"items": [{"line": 1}]}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert len(second.json()["transactions"]) == 1
    reused = client.post(f"/orders/{PENDING}/cancel", headers=headers)
    refused(reused, 422, "already used for a return")


def test_a_change_to_an_order_that_changed_since_the_read_back_is_refused(client: TestClient, demo: dict) -> None:
    read_back = order(client, demo, PENDING)
    assert client.post(f"/orders/{PENDING}/address", json={"label": "work"}, headers=demo).status_code == 200
    stale = client.post(f"/orders/{PENDING}/payment",
                        json={"payment_method": "paypal", "expected_fingerprint": read_back["fingerprint"]},
                        headers=demo)
    assert stale.status_code == 409 and stale.json()["detail"]["code"] == "order_changed"
    current = order(client, demo, PENDING)
    fresh = client.post(f"/orders/{PENDING}/payment",
                        json={"payment_method": "paypal", "expected_fingerprint": current["fingerprint"]},
                        headers=demo)
    assert fresh.status_code == 200 and fresh.json()["payment_method"]["kind"] == "paypal"


def test_checkout_records_the_default_address_and_payment(client: TestClient, demo: dict, state: ShopState) -> None:
    product = state.pick(colors=False, sizes=False)
    assert client.post("/cart/items", json={"product_id": product.id}, headers=demo).status_code == 200
    placed = client.post("/checkout", headers=demo).json()
    assert placed["shipping_address"]["label"] == "home"
    assert placed["payment_method"]["last_digits"] == "4242" and placed["status"] == "pending"
    assert order(client, demo, placed["id"])["status"] == OrderStatus.pending.value
