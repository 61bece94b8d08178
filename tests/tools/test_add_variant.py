"""add_to_cart with options: the shop's spelling is matched once when the shop refuses what was said, and a
value the product lacks comes back as the shop's refusal with what it does have."""

from __future__ import annotations

import httpx

from tests.tools.doubles import LATTE, VariantShopDouble
from tools import ShopClient, ToolContext, parse_action, run_action


async def _add(shop: VariantShopDouble, **args) -> object:
    async with httpx.AsyncClient(transport=shop, base_url="http://shop") as http:
        return await run_action(parse_action({"action": "add_to_cart", "product_id": "p90", **args}),
                                ToolContext(ShopClient(http, "t")))


async def test_spoken_values_are_matched_to_the_variant_after_the_shops_refusal() -> None:
    shop = VariantShopDouble(LATTE)
    outcome = await _add(shop, size="L", modifiers=["oat"])
    assert outcome.ok, outcome
    assert shop.bodies[-1] == {"product_id": "p90", "quantity": 1, "variant_id": "v2", "modifiers": ["Oat milk"]}
    assert len(shop.bodies) == 2  # one refusal, one add: never more
    line = outcome.data["line"]
    assert line["options"] == {"Size": "Large"} and line["modifiers"] == ["Oat milk"] and line["unit_price"] == 4.8


async def test_what_the_shop_takes_at_once_is_sent_once() -> None:
    shop = VariantShopDouble(LATTE)
    outcome = await _add(shop, options={"Size": "small"})
    assert outcome.ok and len(shop.bodies) == 1
    assert outcome.data["line"]["variant_id"] == "v1"


async def test_an_option_left_open_takes_the_first_variant_in_stock() -> None:
    shop = VariantShopDouble(LATTE)
    outcome = await _add(shop, quantity=2)
    assert outcome.ok and shop.bodies[-1] == {"product_id": "p90", "quantity": 2, "variant_id": "v2"}  # Small: none
    assert outcome.data["line"]["options"] == {"Size": "Large"}  # what the reply says back


async def test_a_value_the_product_lacks_is_the_shops_refusal() -> None:
    shop = VariantShopDouble(LATTE)
    outcome = await _add(shop, size="medium")
    assert not outcome.ok and outcome.status == 422
    assert outcome.body["options"] == LATTE["options"]  # what the clarify lists
    assert len(shop.bodies) == 1 and shop.lines == []


class RecordingShopDouble(httpx.AsyncBaseTransport):
    """Answers every request with an empty search result and keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"total": 0, "items": []})


async def test_search_options_reach_the_shop_as_filters_or_words() -> None:
    shop = RecordingShopDouble()
    async with httpx.AsyncClient(transport=shop, base_url="http://shop") as http:
        action = parse_action({"action": "search_products", "query": "phone", "color": "Black",
                               "options": {"Colour": "Red", "Storage": "256 GB", "Grind Size": "Fine"}})
        assert (await run_action(action, ToolContext(ShopClient(http)))).ok
    params = shop.requests[0].url.params
    assert params["color"] == "Black"  # the explicit shorthand wins over the same option in options
    assert params["q"] == "phone 256 GB Fine"  # no option filter in the shop's search yet: the values are words
    assert "option" not in params
