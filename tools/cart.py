"""Cart tools. The shop API scopes every call to the customer whose token the client carries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from tools.base import Action, ProductId, Quantity, ToolContext, run_action, tool


class AddToCart(Action):
    """Put a product in the cart."""

    action: Literal["add_to_cart"] = "add_to_cart"
    product_id: ProductId
    quantity: Quantity = 1
    color: str | None = None
    size: str | None = None


class UpdateCartItem(Action):
    """Change the quantity of a cart line; 0 removes it."""

    action: Literal["update_cart_item"] = "update_cart_item"
    product_id: ProductId
    quantity: int = Field(ge=0, le=99)


class RemoveFromCart(Action):
    """Take a product out of the cart."""

    action: Literal["remove_from_cart"] = "remove_from_cart"
    product_id: ProductId


class ViewCart(Action):
    """Show what is in the cart."""

    action: Literal["view_cart"] = "view_cart"


@tool(AddToCart, label="Adding to your cart…")
async def add_to_cart(args: AddToCart, ctx: ToolContext) -> dict[str, Any]:
    return {"cart": await ctx.shop.post("/cart/items", json=args.args())}


@tool(UpdateCartItem, label="Updating your cart…")
async def update_cart_item(args: UpdateCartItem, ctx: ToolContext) -> dict[str, Any]:
    return {"cart": await ctx.shop.patch(f"/cart/items/{args.product_id}", json={"quantity": args.quantity})}


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
