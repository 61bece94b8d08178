"""Test doubles for the tools tests (never used by the product)."""

from __future__ import annotations

import json
from typing import Any

import httpx


class VariantShopDouble(httpx.AsyncBaseTransport):
    """Stands in for the shop's ``GET /products/{id}`` and ``POST /cart/items`` with variants, in the shape the
    brief documents: a ``variant_id`` or options that name one variant exactly (the shop's own spelling, case
    aside), else 422 with the product's options beside the message."""

    def __init__(self, product: dict[str, Any]) -> None:
        self.product = product
        self.bodies: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/products/{self.product['id']}":
            return httpx.Response(200, json=self.product)
        body = json.loads(await request.aread())
        self.bodies.append(body)
        if body.get("variant_id"):
            variant = next((v for v in self.product["variants"] if v["id"] == body["variant_id"]), None)
            return self._add(body, variant) if variant else self._refuse("no such variant")
        wanted = {**(body.get("options") or {})}
        for shorthand in ("color", "size"):
            if body.get(shorthand):
                wanted[shorthand.capitalize()] = body[shorthand]
        names = {o["name"].lower(): o for o in self.product["options"]}
        chosen = {}
        for name, value in wanted.items():
            option = names.get(name.lower())
            value = next((v for v in (option or {}).get("values", []) if v.lower() == str(value).lower()), None)
            if value is None:
                return self._refuse(f"{self.product['name']} has no {name} {wanted[name]}")
            chosen[option["name"]] = value
        modifiers = {m["name"].lower(): m for m in self.product.get("modifiers", [])}
        if any(str(m).lower() not in modifiers for m in body.get("modifiers") or []):
            return self._refuse("no such add-on")
        variant = next((v for v in self.product["variants"] if all(v["options"][k] == c for k, c in chosen.items())
                        and len(chosen) == len(self.product["options"])), None)
        if variant is None:
            return self._refuse("say which variant")
        return self._add(body, variant)

    def _add(self, body: dict[str, Any], variant: dict[str, Any]) -> httpx.Response:
        modifiers = {m["name"].lower(): m for m in self.product.get("modifiers", [])}
        if any(str(m).lower() not in modifiers for m in body.get("modifiers") or []):
            return self._refuse("no such add-on")
        picked = [modifiers[str(m).lower()] for m in body.get("modifiers") or []]
        self.lines.append({"product_id": self.product["id"], "name": self.product["name"], "quantity": body["quantity"],
                           "variant_id": variant["id"], "options": variant["options"],
                           "modifiers": [m["name"] for m in picked],
                           "unit_price": variant["price"] + sum(m["price"] for m in picked)})
        subtotal = sum(line["unit_price"] * line["quantity"] for line in self.lines)
        return httpx.Response(200, json={"lines": self.lines, "item_count": len(self.lines), "subtotal": subtotal})

    def _refuse(self, message: str) -> httpx.Response:
        return httpx.Response(422, json={"detail": message, "product_id": self.product["id"],
                                         "options": self.product["options"],
                                         "modifiers": self.product.get("modifiers", [])})


LATTE = {"id": "p90", "name": "Latte",
         "options": [{"name": "Size", "values": ["Small", "Large"]}],
         "variants": [{"id": "v1", "options": {"Size": "Small"}, "price": 3.8, "stock": 0, "available": True},
                      {"id": "v2", "options": {"Size": "Large"}, "price": 4.3, "stock": 9, "available": True}],
         "modifiers": [{"id": "m1", "name": "Oat milk", "price": 0.5, "group": "Milk"},
                       {"id": "m2", "name": "Extra shot", "price": 0.7, "group": None}]}


class VocabularyShopDouble:
    """Stands in for the shop's ``GET /catalog/vocabulary`` (with an ETag) or, with ``new=False``, for an older
    shop that only has ``GET /categories`` and ``GET /brands``."""

    def __init__(self, new: bool = True) -> None:
        self.new = new
        self.version = "v1"
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self.new and path == "/catalog/vocabulary":
            if request.headers.get("If-None-Match") == f'"{self.version}"':
                return httpx.Response(304)
            return httpx.Response(200, headers={"ETag": f'"{self.version}"'}, json={
                "categories": [{"name": "Tea", "count": 2}, {"name": "Coffee", "count": 9}],
                "brands": [{"name": "Kaffa", "count": 5}],
                "options": [{"name": "Grind", "values": ["Whole Bean", "Espresso"]}],
                "modifiers": ["Oat milk"]})
        if not self.new and path == "/categories":
            return httpx.Response(200, json=[{"name": "Toys", "count": 3}, {"name": "Books", "count": 9}])
        if not self.new and path == "/brands":
            return httpx.Response(200, json=[{"name": "Acme", "count": 1}, {"name": "Zentro", "count": 4}])
        return httpx.Response(404, json={"detail": "Not Found"})
