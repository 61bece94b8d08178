"""Catalog tools: search, product details, comparison and recommendations."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import Action, Money, Options, ProductId, SortOrder, ToolContext, tool
from tools.variants import SHORTHANDS, key


class SearchProducts(Action):
    """Search the catalog by words and optional filters; exclude lists what the customer ruled out
    ("without straw", "not leather", "anything but black")."""

    action: Literal["search_products"] = "search_products"
    query: Annotated[str, Field(min_length=1, max_length=200)]
    category: str | None = None
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    options: Options | None = None
    min_price: Money | None = None
    max_price: Money | None = None
    sort: SortOrder | None = None
    limit: Annotated[int, Field(ge=1, le=20)] | None = None
    exclude: Annotated[list[Annotated[str, Field(min_length=1, max_length=80)]], Field(max_length=8)] | None = None


class GetProduct(Action):
    """Details of one product."""

    action: Literal["get_product"] = "get_product"
    product_id: ProductId


class CompareProducts(Action):
    """Compare two to four products side by side."""

    action: Literal["compare_products"] = "compare_products"
    product_ids: Annotated[list[ProductId], Field(min_length=2, max_length=4)]


class Recommend(Action):
    """Personal suggestions, optionally about a need or like a given product."""

    action: Literal["recommend"] = "recommend"
    query: Annotated[str, Field(max_length=200)] | None = None
    product_id: ProductId | None = None
    limit: Annotated[int, Field(ge=1, le=10)] | None = None


DEFAULT_RESULTS = 5  # a spoken answer can only carry a few products
MAX_SAID_CHARS = 500  # the shop's limit on ``said``; the latest words matter most


@tool(SearchProducts, label="Searching the catalog…")
async def search_products(args: SearchProducts, ctx: ToolContext) -> dict[str, Any]:
    """The shop grounds the filters in the customer's words (``said``): one the model chose but the customer
    did not say is searched for as words, one they ruled out is excluded (docs/retrieval.md)."""
    params = args.args()
    params = _without_options(params)
    params["q"] = params.pop("query")
    params.setdefault("limit", DEFAULT_RESULTS)
    if ctx.said:
        params["said"] = ctx.said[-MAX_SAID_CHARS:]
    return await ctx.shop.get("/products", **params)


def _without_options(params: dict[str, Any]) -> dict[str, Any]:
    """``options`` as the shop's search takes them: Color and Size as ``color``/``size`` (an explicit one wins);
    the shop's search has no filter for other options yet, so their values join the query words (kept, never
    silently dropped)."""
    params = dict(params)
    for name, value in params.pop("options", {}).items():
        shorthand = next((s for s, spellings in SHORTHANDS.items() if key(name) in spellings), None)
        if shorthand:
            params.setdefault(shorthand, value)
        elif key(value) not in key(params["query"]):
            params["query"] = f"{params['query']} {value}"
    return params


@tool(GetProduct, label="Looking up the product…")
async def get_product(args: GetProduct, ctx: ToolContext) -> dict[str, Any]:
    product = await ctx.shop.get(f"/products/{args.product_id}")
    return {"items": [product]}


@tool(CompareProducts, label="Comparing products…")
async def compare_products(args: CompareProducts, ctx: ToolContext) -> dict[str, Any]:
    ids = list(dict.fromkeys(args.product_ids))
    products = await asyncio.gather(*(ctx.shop.get(f"/products/{pid}") for pid in ids))
    return {"items": list(products)}


@tool(Recommend, label="Finding recommendations…")
async def recommend(args: Recommend, ctx: ToolContext) -> dict[str, Any]:
    params = args.args()
    params.setdefault("limit", DEFAULT_RESULTS)
    return await ctx.shop.get("/recommendations", **params)
