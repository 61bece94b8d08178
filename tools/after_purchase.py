"""After-purchase tools: returns, exchanges, item/address/payment changes and refund status.

Every rule lives in the shop (``shop/policy.yaml``, enforced by its API); these tools only name what the
customer asked for. The ones that change an order need the customer's yes: the agent first runs them with
``ctx.preview`` (the shop answers what would happen and changes nothing) and reads that back; the confirmed
run then sends the confirmation's ``Idempotency-Key`` and the fingerprint of the order as read back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Action, Options, ProductId, Quantity, ToolContext, tool
from tools.orders import OrderId, confirmed, order_path

# Not yet in the embedded model's compact encoding, task data, dev utterances or eval suites (the next
# training batch): coverage checks leave these out until then. A JSON-schema LLM can choose them today.
AWAITING_TRAINING = frozenset({"return_items", "exchange_items", "modify_order_items", "change_order_address",
                               "change_default_address", "change_order_payment", "refund_status"})

MethodRef = Annotated[str, Field(min_length=1, max_length=40, description=(
    'a payment method as the customer names it: "paypal", "gift card", "visa", its last digits "4242", or '
    '"original" for the one the order was paid with'))]


class Item(BaseModel):
    """An item of the order: its name as the customer calls it, its position as listed (``line``: 1 is the
    first item) or its product id."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=60, description="the item as the customer calls it")] | None = \
        None
    line: Annotated[int, Field(ge=1, le=50, description="the item's position in the order, 1 = the first")] | None = \
        None
    product_id: ProductId | None = None
    quantity: Annotated[Quantity | None, Field(description="how many of it; none = all")] = None


class ItemChange(Item):
    """An item and the variant it becomes: the option values that change (the rest stay as bought)."""

    options: Options | None = None
    color: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    size: Annotated[str, Field(min_length=1, max_length=40)] | None = None


Items = Annotated[list[Item], Field(min_length=1, max_length=20, description="every item meant, collected first")]
ItemChanges = Annotated[list[ItemChange], Field(min_length=1, max_length=20,
                                                description="every item to change and what it becomes")]


class AddressText(BaseModel):
    """A new address, as the customer says it."""

    model_config = ConfigDict(extra="forbid")

    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=120)]
    region: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="two letters, e.g. US")] = "US"
    label: Annotated[str, Field(min_length=1, max_length=40)] | None = None


AddressArg = Annotated[str | AddressText, Field(description='a saved address by its label ("home", "work") or a new '
                                                            'address')]


class ReturnItems(Action):
    """Return items of a delivered order; the refund goes to the original payment method unless the customer
    asks for a gift card (asks the customer to confirm first)."""

    action: Literal["return_items"] = "return_items"
    order_id: OrderId | None = None
    items: Items | None = None
    refund_to: MethodRef | None = None


class ExchangeItems(Action):
    """Exchange items of a delivered order for another variant of the same product (another size or colour);
    the price difference is charged or refunded (asks the customer to confirm first)."""

    action: Literal["exchange_items"] = "exchange_items"
    order_id: OrderId | None = None
    items: ItemChanges | None = None
    pay_with: MethodRef | None = None


class ModifyOrderItems(Action):
    """Change items of a pending order to another variant of the same product, once (asks the customer to
    confirm first)."""

    action: Literal["modify_order_items"] = "modify_order_items"
    order_id: OrderId | None = None
    items: ItemChanges | None = None
    pay_with: MethodRef | None = None


class ChangeOrderAddress(Action):
    """Send a pending order to another address (asks the customer to confirm first)."""

    action: Literal["change_order_address"] = "change_order_address"
    order_id: OrderId | None = None
    address: AddressArg


class ChangeDefaultAddress(Action):
    """Make an address the customer's default for future orders."""

    action: Literal["change_default_address"] = "change_default_address"
    address: AddressArg


class ChangeOrderPayment(Action):
    """Pay a pending order with another payment method (asks the customer to confirm first)."""

    action: Literal["change_order_payment"] = "change_order_payment"
    order_id: OrderId | None = None
    method: MethodRef


class RefundStatus(Action):
    """Where the customer's refunds are; with an order id, that order's."""

    action: Literal["refund_status"] = "refund_status"
    order_id: OrderId | None = None


def _items(items: list[Item]) -> list[dict[str, Any]]:
    """The shop's item shape: ``color``/``size`` become options of those names."""
    shaped = []
    for item in items:
        body = item.model_dump(exclude_none=True, exclude={"color", "size"})
        if isinstance(item, ItemChange) and (item.color or item.size):
            body["options"] = {**({"Color": item.color} if item.color else {}),
                               **({"Size": item.size} if item.size else {}), **(item.options or {})}
        shaped.append(body)
    return shaped


def _address(address: str | AddressText) -> dict[str, Any]:
    return {"label": address} if isinstance(address, str) else {"address": address.model_dump(exclude_none=True)}


async def _change(ctx: ToolContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST an order change: a preview while the agent reads it back, else the confirmed change."""
    if ctx.preview:
        return {"preview": await ctx.shop.request("POST", path, json=body, params={"preview": "true"})}
    sent = confirmed(ctx)
    return {"order": await ctx.shop.post(path, json={**body, **sent.get("json", {})}, headers=sent.get("headers"))}


@tool(ReturnItems, label="Starting your return…", needs_confirmation=True, previews=True)
async def return_items(args: ReturnItems, ctx: ToolContext) -> dict[str, Any]:
    body = {"items": _items(args.items), **({"refund_to": args.refund_to} if args.refund_to else {})}
    return await _change(ctx, f"{order_path(args.order_id)}/return", body)


@tool(ExchangeItems, label="Arranging the exchange…", needs_confirmation=True, previews=True)
async def exchange_items(args: ExchangeItems, ctx: ToolContext) -> dict[str, Any]:
    body = {"items": _items(args.items), **({"pay_with": args.pay_with} if args.pay_with else {})}
    return await _change(ctx, f"{order_path(args.order_id)}/exchange", body)


@tool(ModifyOrderItems, label="Changing the items…", needs_confirmation=True, previews=True)
async def modify_order_items(args: ModifyOrderItems, ctx: ToolContext) -> dict[str, Any]:
    body = {"items": _items(args.items), **({"pay_with": args.pay_with} if args.pay_with else {})}
    return await _change(ctx, f"{order_path(args.order_id)}/items/modify", body)


@tool(ChangeOrderAddress, label="Changing the address…", needs_confirmation=True, previews=True)
async def change_order_address(args: ChangeOrderAddress, ctx: ToolContext) -> dict[str, Any]:
    return await _change(ctx, f"{order_path(args.order_id)}/address", _address(args.address))


@tool(ChangeDefaultAddress, label="Saving your address…")
async def change_default_address(args: ChangeDefaultAddress, ctx: ToolContext) -> dict[str, Any]:
    return {"addresses": await ctx.shop.put("/addresses/default", json=_address(args.address))}


@tool(ChangeOrderPayment, label="Changing the payment…", needs_confirmation=True, previews=True)
async def change_order_payment(args: ChangeOrderPayment, ctx: ToolContext) -> dict[str, Any]:
    return await _change(ctx, f"{order_path(args.order_id)}/payment", {"payment_method": args.method})


@tool(RefundStatus, label="Checking your refunds…")
async def refund_status(args: RefundStatus, ctx: ToolContext) -> dict[str, Any]:
    order_id = args.order_id.lstrip("#") if args.order_id else None
    return {"refunds": await ctx.shop.get("/refunds", order_id=order_id)}
