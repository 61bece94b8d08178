"""Search that never strands, through the shop API (lexical): exclusions, grounded filters, relaxation.

Over a fresh copy of the seeded test shop (300 products); hybrid search's fallback to meaning is tested
in test_hybrid.py, where the dense index is built.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shop.models import Product
from shop.search.resolve import RELAX_ORDER


def search(client: TestClient, **params) -> dict:
    response = client.get("/products", params={"limit": 50, **params})
    assert response.status_code == 200, response.text
    return response.json()


def mentions(item: dict, state, word: str) -> bool:
    product = state.product(item["id"])
    return word in f"{product.name} {product.brand} {product.category} {product.description}".lower()


def test_not_leather_drops_every_product_that_mentions_leather(client: TestClient, state) -> None:
    everything = search(client, q="sneakers")
    assert any(mentions(item, state, "leather") for item in everything["items"])  # else the test proves nothing
    body = search(client, q="sneakers not leather")
    assert body["applied"]["exclude"] == ["leather"]
    assert body["items"] and not any(mentions(item, state, "leather") for item in body["items"])
    assert body["total"] < everything["total"]


def test_an_excluded_option_value_drops_only_products_that_have_nothing_else(client: TestClient, state) -> None:
    """"anything but black": a jacket only in black goes, one also in red stays (a red one is what is left)."""
    everything = search(client, q="jacket")["items"]
    only_black = [item for item in everything if item["colors"] == ["Black"]]
    also_black = [item for item in everything if "Black" in item["colors"] and len(item["colors"]) > 1]
    assert also_black, "the seeded shop should have jackets in black and other colours"
    kept = {item["id"] for item in search(client, q="jacket anything but black")["items"]}
    assert not {item["id"] for item in only_black} & kept
    assert {item["id"] for item in also_black if not mentions(item, state, "black")} <= kept


def test_a_product_that_says_it_is_free_of_the_thing_is_kept(client: TestClient, db) -> None:
    with db.session() as session:
        session.add_all([
            Product(id="p90001", name="Trail Bottle", brand="Testbrand", category="Fitness Equipment",
                    description="A BPA-free bottle.", price=10, rating=4, review_count=1, stock=3, colors=[], sizes=[]),
            Product(id="p90002", name="Budget Bottle", brand="Testbrand", category="Fitness Equipment",
                    description="Made of BPA plastic.", price=5, rating=4, review_count=1, stock=3, colors=[],
                    sizes=[]),
        ])
    found = {item["id"] for item in search(client, q="bottle without bpa")["items"]}
    assert "p90001" in found and "p90002" not in found


def test_a_negated_filter_from_the_model_is_dropped_and_excluded(client: TestClient) -> None:
    body = search(client, q="jacket", color="Black", said="a jacket, anything but black")
    assert body["ignored"] == [{"filter": "color", "value": "Black", "reason": "ruled out"}]
    assert "color" not in body["applied"] and body["applied"]["exclude"] == ["black"]
    assert body["items"] and all(item["colors"] != ["Black"] for item in body["items"])


def test_a_filter_value_the_catalog_lacks_is_searched_as_words(client: TestClient) -> None:
    """The model's "color: Sneaker" (said, but not a colour) becomes a search word instead of no results."""
    body = search(client, q="canvas", color="Sneaker", said="canvas sneaker")
    assert body["ignored"] == [{"filter": "color", "value": "Sneaker", "reason": "not in catalog"}]
    assert body["items"] and body["items"][0]["category"] == "Sneakers"


def test_a_brand_the_customer_did_not_say_is_not_applied(client: TestClient, state) -> None:
    brand = next(p.brand for p in state.products() if p.category == "Sneakers")
    body = search(client, q="sneakers", brand=brand, said="some sneakers please")
    assert {"filter": "brand", "value": brand, "reason": "not said"} in body["ignored"]
    assert "brand" not in body["applied"]
    assert any(item["brand"] != brand for item in body["items"])


def test_a_filter_the_customer_said_is_applied_in_the_shops_spelling(client: TestClient, state) -> None:
    brand = next(p.brand for p in state.products() if p.category == "Sneakers")
    body = search(client, q="sneakers", brand=brand.lower(), said=f"{brand.lower()} sneakers")
    assert body["applied"]["brand"] == brand and body["ignored"] == []
    assert body["items"] and all(item["brand"] == brand for item in body["items"])


def test_an_impossible_price_is_relaxed_and_the_closest_come_first(client: TestClient, state) -> None:
    brand = next(p.brand for p in state.products() if p.category == "Sneakers")
    body = search(client, q="sneakers", brand=brand, max_price=1, limit=5)
    assert body["relaxed"] == [{"filter": "max_price", "value": 1.0}]
    assert body["applied"]["brand"] == brand  # the brand, more certain than a budget, is kept
    prices = [item["price"] for item in body["items"]]
    assert prices and prices == sorted(prices)
    assert all(item["brand"] == brand for item in body["items"])


def test_relaxation_drops_constraints_in_order_until_something_matches(client: TestClient, state) -> None:
    sneakers = [p for p in state.products() if p.category == "Sneakers"]
    colours = {c for p in state.products() for c in p.colors}
    absent = next(c for c in sorted(colours) if all(c not in p.colors for p in sneakers))
    body = search(client, q="sneakers", color=absent, max_price=1, size="99")
    dropped = [entry["filter"] for entry in body["relaxed"]]
    assert dropped == ["color", "max_price", "size"][: len(dropped)] and dropped[:2] == ["color", "max_price"]
    order = [name if name != "price" else "max_price" for name in RELAX_ORDER]
    assert dropped == sorted(dropped, key=order.index)
    assert body["items"]


def test_exclusions_are_never_relaxed(client: TestClient, state) -> None:
    body = search(client, q="sneaker", exclude=["sneaker"])
    assert body["relaxed"] == []
    assert not any(mentions(item, state, "sneaker") for item in body["items"])


def test_a_search_that_matched_is_not_relaxed(client: TestClient) -> None:
    body = search(client, q="jacket", color="Black")
    assert body["relaxed"] == [] and body["applied"]["color"] == "Black"
    assert body["items"] and all("Black" in item["colors"] for item in body["items"])


def test_a_new_colour_is_known_without_a_restart(client: TestClient, db) -> None:
    client.app.state.search.vocabulary.max_age_s = 0  # check the catalog on every search
    assert search(client, q="kettle", color="Ultraviolet")["ignored"][0]["reason"] == "not in catalog"
    with db.session() as session:
        session.add(Product(id="p90003", name="Glow Kettle", brand="Testbrand", category="Kitchen Appliances",
                            description="A kettle.", price=10, rating=4, review_count=1, stock=3,
                            colors=["Ultraviolet"], sizes=[]))
    body = search(client, q="kettle", color="Ultraviolet")
    assert body["ignored"] == [] and [item["id"] for item in body["items"]] == ["p90003"]


@pytest.mark.parametrize("params", [{"exclude": ["x" * 81]}, {"exclude": ["a"] * 9}, {"exclude": [""]},
                                    {"said": "x" * 501}])
def test_bad_exclusions_and_said_are_422(client: TestClient, params: dict) -> None:
    response = client.get("/products", params={"q": "shoes", **params})
    assert response.status_code == 422 and response.json()["detail"]


def test_an_option_with_only_ruled_out_values_drops_the_product(client: TestClient, db) -> None:
    """"not leather": a bag whose only Material is Leather goes, even though its text never says leather."""
    from shop.models import ProductOption

    with db.session() as session:
        for pid, materials in (("p90004", ["Leather"]), ("p90005", ["Leather", "Canvas"])):
            session.add(Product(id=pid, name="Weekender Duffel", brand="Testbrand", category="Backpacks",
                                description="A roomy travel duffel.", price=80, rating=4, review_count=1, stock=3,
                                colors=[], sizes=[]))
            session.add(ProductOption(product_id=pid, position=1, name="Material", values=materials))
    client.app.state.search.vocabulary.max_age_s = 0
    assert {"p90004", "p90005"} <= {item["id"] for item in search(client, q="weekender duffel")["items"]}
    found = {item["id"] for item in search(client, q="weekender duffel not leather")["items"]}
    assert "p90004" not in found and "p90005" in found
