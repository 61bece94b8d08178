"""Order tools. Placing and cancelling are irreversible, so the agent asks the customer first.

With ``ctx.confirmation`` set, both send its ``Idempotency-Key`` (a repeat of the same yes gets the same
order back) and ``expected_fingerprint`` (the shop answers 409 ``cart_changed``/``order_changed`` instead
of acting on something other than what the customer confirmed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import Action, ToolContext, tool

OrderId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^#?[A-Za-z0-9-]+$", description="order number")]


class Checkout(Action):
    """Place the order for everything in the cart (asks the customer to confirm first)."""

    action: Literal["checkout"] = "checkout"


class OrderStatus(Action):
    """Status and tracking of an order; without an id, the latest order."""

    action: Literal["order_status"] = "order_status"
    order_id: OrderId | None = None


class ListOrders(Action):
    """The customer's orders, newest first."""

    action: Literal["list_orders"] = "list_orders"


class CancelOrder(Action):
    """Cancel an order that has not shipped yet (asks the customer to confirm first)."""

    action: Literal["cancel_order"] = "cancel_order"
    order_id: OrderId
    reason: Annotated[str, Field(min_length=1, max_length=40, description=(
        'why, in the words of the shop\'s policy: "no longer needed" or "ordered by mistake"'))] | None = None


def order_path(order_id: str) -> str:
    return f"/orders/{order_id.lstrip('#')}"


def confirmed(ctx: ToolContext) -> dict[str, Any]:
    """The request parts that tie the call to the customer's yes (none without a confirmation)."""
    confirmation = ctx.confirmation
    if confirmation is None:
        return {}
    return {"headers": {"Idempotency-Key": confirmation.idempotency_key},
            "json": {"expected_fingerprint": confirmation.fingerprint}}


@tool(Checkout, label="Placing your order…", needs_confirmation=True)
async def checkout(args: Checkout, ctx: ToolContext) -> dict[str, Any]:
    return {"order": await ctx.shop.post("/checkout", **confirmed(ctx))}


@tool(OrderStatus, label="Checking your order…")
async def order_status(args: OrderStatus, ctx: ToolContext) -> dict[str, Any]:
    path = order_path(args.order_id) if args.order_id else "/orders/latest"
    return {"order": await ctx.shop.get(path)}


@tool(ListOrders, label="Looking up your orders…")
async def list_orders(args: ListOrders, ctx: ToolContext) -> dict[str, Any]:
    return {"orders": await ctx.shop.get("/orders")}


@tool(CancelOrder, label="Cancelling the order…", needs_confirmation=True)
async def cancel_order(args: CancelOrder, ctx: ToolContext) -> dict[str, Any]:
    sent = confirmed(ctx)
    if args.reason:
        sent["json"] = {**sent.get("json", {}), "reason": args.reason}
    return {"order": await ctx.shop.post(f"{order_path(args.order_id)}/cancel", **sent)}
