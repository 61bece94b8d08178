"""update_cart_item: a quantity, or options and add-ons changed in place ("make it oat milk"), sent as the
shop's PATCH body with only what was said."""

from __future__ import annotations

import json

import httpx

from tools import ShopClient, ToolContext, parse_action, run_action


class CartPatchDouble(httpx.AsyncBaseTransport):
    """Answers every request with an empty cart and keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"lines": [], "item_count": 0, "subtotal": 0.0, "fingerprint": "x"})


async def _update(shop: CartPatchDouble, **args) -> object:
    async with httpx.AsyncClient(transport=shop, base_url="http://shop") as http:
        return await run_action(parse_action({"action": "update_cart_item", "product_id": "p90", **args}),
                                ToolContext(ShopClient(http, "t")))


async def test_make_it_oat_milk_sends_only_the_add_on() -> None:
    shop = CartPatchDouble()
    outcome = await _update(shop, modifiers=["oat milk"])
    assert outcome.ok, outcome
    request = shop.requests[-1]
    assert (request.method, request.url.path) == ("PATCH", "/cart/items/p90")
    assert json.loads(request.content) == {"modifiers": ["oat milk"]}


async def test_a_quantity_and_options_go_as_said() -> None:
    shop = CartPatchDouble()
    assert (await _update(shop, quantity=2)).ok
    assert (await _update(shop, options={"Size": "Large"}, quantity=0)).ok
    assert [json.loads(r.content) for r in shop.requests] == [{"quantity": 2},
                                                              {"quantity": 0, "options": {"Size": "Large"}}]


async def test_nothing_to_change_is_refused_without_asking_the_shop() -> None:
    shop = CartPatchDouble()
    outcome = await _update(shop)
    assert not outcome.ok and outcome.status == 422 and shop.requests == []
