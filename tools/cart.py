"""Cart tools. The shop API scopes every call to the customer whose token the client carries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import (Action, OptionValue, Options, ProductId, Quantity, ShopError, ToolContext, run_action,
                        tool)
from tools.variants import choose, key, modifier_names, option_values, said_options


class AddToCart(Action):
    """Put a product in the cart; options ({name: value}) pick its variant, modifiers are add-ons."""

    action: Literal["add_to_cart"] = "add_to_cart"
    product_id: ProductId
    quantity: Quantity = 1
    color: str | None = None
    size: str | None = None
    options: Options | None = None
    modifiers: Annotated[list[OptionValue], Field(max_length=5, description='add-ons, e.g. ["oat milk"]')] | None = None


class UpdateCartItem(Action):
    """Change a cart line: its quantity (0 removes it), or its options and add-ons in place ("make it oat milk")."""

    action: Literal["update_cart_item"] = "update_cart_item"
    product_id: ProductId
    quantity: int | None = Field(None, ge=0, le=99)
    options: Options | None = None
    modifiers: Annotated[list[OptionValue], Field(max_length=5, description='add-ons, e.g. ["oat milk"]')] | None = None


class RemoveFromCart(Action):
    """Take a product out of the cart."""

    action: Literal["remove_from_cart"] = "remove_from_cart"
    product_id: ProductId


class ViewCart(Action):
    """Show what is in the cart."""

    action: Literal["view_cart"] = "view_cart"


@tool(AddToCart, label="Adding to your cart…")
async def add_to_cart(args: AddToCart, ctx: ToolContext) -> dict[str, Any]:
    body = args.args()
    try:
        cart = await ctx.shop.post("/cart/items", json=body)
    except ShopError as refused:
        body = await _one_variant(body, refused, ctx)
        cart = await ctx.shop.post("/cart/items", json=body)
    return {"cart": cart, "line": added_line(cart, body)}


async def _one_variant(body: dict[str, Any], refused: ShopError, ctx: ToolContext) -> dict[str, Any]:
    """The add again, naming one variant, after the shop refused to pick one (its 422 lists the options).

    What was said is matched to the shop's spellings ("256 gig" → "256 GB"); an option left open takes the
    product's first variant for sale that has everything said (as a shop's product page preselects it; the
    reply says which). A value the product lacks, or a combination it does not sell, goes back as the refusal.
    """
    offered = option_values((refused.body or {}).get("options"))
    if refused.status != 422 or not offered:
        raise refused
    choice = choose(said_options(body), body.get("modifiers") or [], offered,
                    modifier_names((refused.body or {}).get("modifiers")))
    if choice.unmatched:
        raise refused
    product = await ctx.shop.get(f"/products/{body['product_id']}")
    having = [v for v in product.get("variants") or []
              if v.get("available", True) and all(v["options"].get(k) == value for k, value in choice.options.items())]
    variant = next((v for v in having if v.get("stock", 0) >= body.get("quantity", 1)), having[0] if having else None)
    if variant is None:
        raise refused
    retry = {k: v for k, v in body.items() if k not in ("color", "size", "options", "modifiers")}
    retry.update({"variant_id": variant["id"], **({"modifiers": list(choice.modifiers)} if choice.modifiers else {})})
    return retry


def added_line(cart: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    """The cart line an add went to: that product's line with the variant, options and add-ons asked for."""
    said = {key(k): key(v) for k, v in said_options(body).items()}
    wanted_modifiers = sorted(key(m) for m in body.get("modifiers") or [])
    lines = [line for line in cart.get("lines") or [] if line.get("product_id") == body["product_id"]]
    for line in lines:
        has = {key(k): key(v) for k, v in said_options(line).items()}
        if body.get("variant_id", line.get("variant_id")) == line.get("variant_id") and \
                all(has.get(k) == v for k, v in said.items()) and \
                sorted(key(m) for m in modifier_names(line.get("modifiers"))) == wanted_modifiers:
            return line
    return lines[-1] if lines else None


@tool(UpdateCartItem, label="Updating your cart…")
async def update_cart_item(args: UpdateCartItem, ctx: ToolContext) -> dict[str, Any]:
    body = args.model_dump(include={"quantity", "options", "modifiers"}, exclude_none=True)
    if not body:
        raise ShopError(422, "say the new quantity, options or add-ons")
    return {"cart": await ctx.shop.patch(f"/cart/items/{args.product_id}", json=body)}


@tool(RemoveFromCart, label="Updating your cart…")
async def remove_from_cart(args: RemoveFromCart, ctx: ToolContext) -> dict[str, Any]:
    return {"cart": await ctx.shop.delete(f"/cart/items/{args.product_id}")}


@tool(ViewCart, label="Opening your cart…")
async def view_cart(args: ViewCart, ctx: ToolContext) -> dict[str, Any]:
    return {"cart": await ctx.shop.get("/cart")}


async def read_cart(ctx: ToolContext) -> tuple[dict[str, Any] | None, str | None]:
    """The customer's cart as the shop has it now, or ``None`` and why not: the one way the agent reads it."""
    outcome = await run_action(ViewCart(), ctx)
    return (outcome.data.get("cart"), None) if outcome.ok else (None, outcome.error)
