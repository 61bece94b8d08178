"""Options, variants and modifiers through the shop API: product JSON, picking a variant (by options, by id,
by the color/size shorthands), 422s that list what the product has, per-variant stock, and order lines."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shop.models import Product, Variant


def add(client: TestClient, headers: dict, product_id: str, quantity: int = 1, **body: object):
    return client.post("/cart/items", json={"product_id": product_id, "quantity": quantity, **body}, headers=headers)


def priced_product(state) -> Product:
    """A seeded product whose variants differ in price and that has add-ons (a phone or laptop)."""
    return next(p for p in state.products() if p.modifiers and len({v.price for v in p.variants}) > 1
                and all(v.stock >= 3 for v in p.variants))


def test_product_json_carries_handle_options_variants_and_modifiers(client: TestClient, state) -> None:
    product = priced_product(state)
    detail = client.get(f"/products/{product.id}").json()
    assert detail["handle"] == product.handle
    assert detail["options"] == [{"name": o.name, "values": o.values} for o in product.options]
    assert [v["sku"] for v in detail["variants"]] == [v.sku for v in product.variants]
    assert detail["price"] == min(v["price"] for v in detail["variants"] if v["available"])
    assert detail["stock"] == sum(v["stock"] for v in detail["variants"] if v["available"])
    assert {m["name"] for m in detail["modifiers"]} == {m.name for m in product.modifiers}
    colors = next((o["values"] for o in detail["options"] if o["name"] == "Color"), [])
    assert detail["colors"] == colors
    summary = client.get("/products", params={"q": product.name, "limit": 50}).json()["items"]
    assert next(item for item in summary if item["id"] == product.id)["variants"] == detail["variants"]


def test_options_pick_a_variant_and_price_the_line(client: TestClient, demo: dict, state) -> None:
    product = priced_product(state)
    dearest = max(product.variants, key=lambda v: v.price)
    spoken = {name.lower(): value.lower().replace(" ", "") for name, value in dearest.options.items()}
    cart = add(client, demo, product.id, options=spoken).json()  # any case, "256gb" for "256 GB"
    line = cart["lines"][0]
    assert (line["variant_id"], line["sku"], line["options"]) == (dearest.id, dearest.sku, dearest.options)
    assert line["unit_price"] == dearest.price and line["stock"] == dearest.stock
    # The same variant by id merges into that line.
    cart = add(client, demo, product.id, variant_id=dearest.id).json()
    assert [(l["variant_id"], l["quantity"]) for l in cart["lines"]] == [(dearest.id, 2)]


def test_what_the_product_lacks_is_422_with_its_options(client: TestClient, demo: dict, state) -> None:
    product = priced_product(state)
    option = product.options[-1]
    for body in ({"options": {option.name: "Plaid"}}, {"options": {"Flavour": "Mint"}},
                 {"variant_id": 10**9}, {"modifiers": ["Oat milk"]}):
        pinned = {o.name: o.values[0] for o in product.options} if "modifiers" in body else {}
        response = add(client, demo, product.id, **{"options": pinned, **body})
        assert response.status_code == 422, body
        answer = response.json()
        assert answer["options"] == [{"name": o.name, "values": o.values} for o in product.options]
        assert {m["name"] for m in answer["modifiers"]} == {m.name for m in product.modifiers}
    assert "Plaid" in add(client, demo, product.id, options={option.name: "Plaid"}).json()["detail"]
    assert client.get("/cart", headers=demo).json()["lines"] == []


def test_modifiers_add_their_price_and_make_their_own_line(client: TestClient, demo: dict, state) -> None:
    product = priced_product(state)
    variant = product.variants[0]
    modifier = product.modifiers[0]
    plain = add(client, demo, product.id, variant_id=variant.id).json()
    with_modifier = add(client, demo, product.id, variant_id=variant.id, modifiers=[modifier.name.upper()]).json()
    lines = sorted(with_modifier["lines"], key=lambda l: len(l["modifiers"]))
    assert [l["modifiers"] for l in lines] == [[], [{"name": modifier.name, "price": modifier.price,
                                                     "group": modifier.group}]]
    assert lines[1]["unit_price"] == round(variant.price + modifier.price, 2)
    assert plain["fingerprint"] != with_modifier["fingerprint"]
    grouped = [m for m in product.modifiers if m.group]
    same_group = [m for m in grouped if sum(o.group == m.group for o in grouped) > 1]
    if same_group:  # laptops: two protection plans, one at most
        response = add(client, demo, product.id, variant_id=variant.id,
                       modifiers=[m.name for m in same_group[:2]])
        assert response.status_code == 422 and "choose one" in response.json()["detail"]


def test_stock_is_per_variant_at_add_and_checkout(client: TestClient, demo: dict, state, db) -> None:
    product = priced_product(state)
    scarce, plenty = product.variants[0], product.variants[1]
    add(client, demo, product.id, 2, variant_id=scarce.id)
    with db.session() as session:  # someone else bought most of that variant meanwhile
        session.get(Variant, scarce.id).stock = 1
        session.get(Product, product.id).stock -= scarce.stock - 1
    response = client.post("/checkout", headers=demo)
    assert response.status_code == 409 and "1 left, 2 in your cart" in response.json()["detail"]
    assert add(client, demo, product.id, 2, variant_id=scarce.id).status_code == 409  # 1 < 2 + 2
    client.patch(f"/cart/items/{product.id}", params={"variant_id": scarce.id}, json={"quantity": 1}, headers=demo)
    add(client, demo, product.id, 1, variant_id=plenty.id, modifiers=[product.modifiers[0].name])
    order = client.post("/checkout", headers=demo).json()
    lines = {line["variant_id"]: line for line in order["lines"]}
    assert set(lines) == {scarce.id, plenty.id}
    assert lines[plenty.id]["sku"] == plenty.sku and lines[plenty.id]["options"] == plenty.options
    assert lines[plenty.id]["modifiers"][0]["name"] == product.modifiers[0].name
    assert order["total"] == round(scarce.price + plenty.price + product.modifiers[0].price, 2)
    after = state.product(product.id)
    assert {v.id: v.stock for v in after.variants}[scarce.id] == 0
    assert after.stock == product.stock - (scarce.stock - 1) - 2  # the product's total follows its variants
    assert after.stock == sum(v.stock for v in after.variants if v.available)
    cancelled = client.post(f"/orders/{order['id']}/cancel", headers=demo).json()
    assert cancelled["status"] == "cancelled"
    restocked = state.product(product.id)
    assert {v.id: v.stock for v in restocked.variants}[scarce.id] == 1
    assert restocked.stock == sum(v.stock for v in restocked.variants)


def test_a_variant_that_exists_but_is_not_for_sale_is_a_422_that_says_sold_out(
        client: TestClient, demo: dict, state, db) -> None:
    product = priced_product(state)
    gone = product.variants[0]
    with db.session() as session:
        session.get(Variant, gone.id).available = False
    response = add(client, demo, product.id, options=dict(gone.options))
    assert response.status_code == 422 and response.json()["sold_out"] is True
    lacking = add(client, demo, product.id, options={product.options[0].name: "Plaid"})
    assert lacking.status_code == 422 and lacking.json()["sold_out"] is False


def latte(db) -> str:
    """A café latte (Size option; a Milk group of add-ons and an extra shot) imported into the seeded shop."""
    from shop.catalog.format import CatalogFile
    from shop.catalog.load import load_catalog

    loaded = load_catalog(db, CatalogFile.model_validate({"products": [{
        "handle": "latte", "title": "Latte", "vendor": "House", "category": "Coffee",
        "options": [{"name": "Size", "values": ["Small", "Large"]}],
        "variants": [{"sku": "LATTE-S", "options": {"Size": "Small"}, "price": 3.5, "stock": 20},
                     {"sku": "LATTE-L", "options": {"Size": "Large"}, "price": 4.5, "stock": 2}],
        "modifiers": [{"name": "Whole milk", "group": "Milk"}, {"name": "Oat milk", "price": 0.6, "group": "Milk"},
                      {"name": "Extra shot", "price": 0.9}],
    }]}))
    return loaded.product_ids[0]


def patch(client: TestClient, headers: dict, product_id: str, **body: object):
    return client.patch(f"/cart/items/{product_id}", json=body, headers=headers)


def test_make_it_oat_milk_changes_the_line_in_place(client: TestClient, demo: dict, db) -> None:
    """"Make it oat milk" about a latte in the cart swaps its milk (same group) and keeps the rest: one line."""
    pid = latte(db)
    add(client, demo, pid, 2, options={"Size": "Small"}, modifiers=["Whole milk", "Extra shot"])
    cart = patch(client, demo, pid, modifiers=["oat milk"]).json()
    assert [(l["quantity"], l["options"], sorted(m["name"] for m in l["modifiers"])) for l in cart["lines"]] == [
        (2, {"Size": "Small"}, ["Extra shot", "Oat milk"])]
    assert cart["lines"][0]["unit_price"] == 3.5 + 0.6 + 0.9
    cart = patch(client, demo, pid, options={"Size": "Large"}).json()  # "make it large": the add-ons stay
    assert [(l["quantity"], l["options"], l["sku"]) for l in cart["lines"]] == [(2, {"Size": "Large"}, "LATTE-L")]
    assert len(cart["lines"][0]["modifiers"]) == 2


def test_a_changed_line_that_matches_another_merges_and_stock_holds(client: TestClient, demo: dict, db) -> None:
    pid = latte(db)
    add(client, demo, pid, 1, options={"Size": "Large"}, modifiers=["Oat milk"])
    add(client, demo, pid, 1, options={"Size": "Small"}, modifiers=["Oat milk"])
    response = patch(client, demo, pid, options={"Size": "Large"})
    assert response.status_code == 409  # two latte lines: which one must be said
    small = next(l for l in client.get("/cart", headers=demo).json()["lines"] if l["sku"] == "LATTE-S")
    cart = client.patch(f"/cart/items/{pid}", params={"variant_id": small["variant_id"]},
                        json={"options": {"Size": "Large"}}, headers=demo).json()
    assert [(l["sku"], l["quantity"]) for l in cart["lines"]] == [("LATTE-L", 2)]  # one line, not two
    too_many = client.patch(f"/cart/items/{pid}", json={"quantity": 3}, headers=demo)
    assert too_many.status_code == 409  # 2 large in stock


def test_a_bad_change_is_a_422_and_changes_nothing(client: TestClient, demo: dict, db) -> None:
    pid = latte(db)
    add(client, demo, pid, 1, options={"Size": "Small"}, modifiers=["Whole milk"])
    before = client.get("/cart", headers=demo).json()
    for body in ({}, {"options": {"Size": "Venti"}}, {"modifiers": ["Soy milk"]},
                 {"modifiers": ["Whole milk", "Oat milk"]}):
        response = patch(client, demo, pid, **body)
        assert response.status_code == 422, body
    assert client.get("/cart", headers=demo).json() == before
