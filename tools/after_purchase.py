"""After-purchase tools: returns, exchanges, item/address/payment changes and refund status.

Every rule lives in the shop (``shop/policy.yaml``, enforced by its API); these tools only name what the
customer asked for. The ones that change an order need the customer's yes: the agent first runs them with
``ctx.preview`` (the shop answers what would happen and changes nothing) and reads that back; the confirmed
run then sends the confirmation's ``Idempotency-Key`` and the fingerprint of the order as read back.

Which order and which items are the tool's to find, from the shop, never the model's: an item the customer
names in their own words ("the running shoes") is matched against the order's own lines, no order number
means their most recent order the change applies to that holds those items, and no items means all of them.
A name that fits no line, or more than one, is said back with the order's items; nothing is guessed. The
confirmed run finds the same order again, and the fingerprint read back makes the shop refuse any other.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rapidfuzz import fuzz

from tools.base import Action, Options, ProductId, Quantity, ShopError, ToolContext, tool
from tools.orders import OrderId, confirmed, order_path
from tools.variants import CLOSE_SPELLING, words

MethodRef = Annotated[str, Field(min_length=1, max_length=40, description=(
    'a payment method as the customer names it: "paypal", "gift card", "visa", its last digits "4242", or '
    '"original" for the one the order was paid with'))]


class Item(BaseModel):
    """An item of the order, named by one of: the customer's words for it (``name``), its position as listed
    (``line``: 1 is the first item) or its product id. An item that names none stands for every item."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=60, description=(
        'the item as the customer calls it: "running shoes", "the keyboard"'))] | None = None
    line: Annotated[int, Field(ge=1, le=50, description="the item's position in the order, 1 = the first")] | None = \
        None
    product_id: ProductId | None = None
    quantity: Annotated[Quantity | None, Field(description="how many of it; none = all")] = None

    @model_validator(mode="after")
    def _named_once(self) -> Item:
        if sum(value is not None for value in (self.name, self.line, self.product_id)) > 1:
            raise ValueError("name an item by one of name, line or product_id")
        return self


class ItemChange(Item):
    """An item and the variant it becomes: the option values that change (the rest stay as bought)."""

    options: Options | None = None
    color: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    size: Annotated[str, Field(min_length=1, max_length=40)] | None = None


Items = Annotated[list[Item], Field(min_length=1, max_length=20, description=(
    "every item meant, collected first; none = every item of the order"))]
ItemChanges = Annotated[list[ItemChange], Field(min_length=1, max_length=20, description=(
    "every item to change and what it becomes"))]
OrderRef = Annotated[OrderId | None, Field(description=(
    "none = the customer's most recent order this change applies to that holds the items named"))]


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


# --- which order, which items --------------------------------------------------------------------------------

# The policy's name of each change (an order's ``allowed`` lists them) and how a refusal says it.
POLICY_ACTIONS = {"return_items": ("return", "returned"), "exchange_items": ("exchange", "exchanged"),
                  "modify_order_items": ("modify_items", "changed"),
                  "change_order_address": ("change_address", "sent somewhere else"),
                  "change_order_payment": ("change_payment", "paid another way")}
# Words that point at an item without describing it ("the shoes", "those two blushes in beige"): a name of
# only these names no item in particular, so it stands for every item.
POINTING = frozenset({"the", "my", "a", "an", "that", "this", "those", "these", "them", "it", "one", "ones", "both",
                      "all", "pair", "pairs", "of", "item", "items", "thing", "things", "stuff", "from", "order", "in",
                      "with", "and", "for", "size", "color", "colour", "i", "bought", "got", "ordered", "1", "2", "3"})


def _stem(word: str) -> str:
    """One spelling for singular and plural: "shoes" → "shoe", "accessories" → "accessory"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _described(said: str) -> list[str]:
    return [_stem(word) for word in words(said) if word not in POINTING]


def _spoken(name: str) -> str:
    """The name as said back, without its leading "the"/"my": "Order 4 has no keyboard"."""
    said = name.split()
    while len(said) > 1 and said[0].lower() in ("the", "my", "a", "an", "that", "this", "those", "these"):
        said = said[1:]
    return " ".join(said)


def _describes(item: Item) -> bool:
    return item.name is not None and bool(_described(item.name))


def _word_fits(said: str, own: list[str]) -> bool:
    """``said`` is one of the line's words, or a close spelling of one (letters only: "10" is never "11")."""
    return said in own or (said.isalpha() and len(said) >= 4 and
                           any(word.isalpha() and fuzz.ratio(said, word) >= CLOSE_SPELLING for word in own))


def lines_named(said: str, lines: list[dict[str, Any]]) -> list[int]:
    """The 1-based positions of the order lines ``said`` describes: every word the customer used (pointing words
    aside) is in the line's name or its options ("the grey running shoes" → "Trail Running Shoe (Grey, 7)")."""
    wanted = _described(said)
    if not wanted:
        return []
    found = []
    for position, line in enumerate(lines, start=1):
        own = [_stem(word) for word in words(" ".join([line["name"], *(line.get("options") or {}).values()]))]
        if all(_word_fits(word, own) for word in wanted):
            found.append(position)
    return found


def line_name(line: dict[str, Any]) -> str:
    """"2 × Heritage Skillet (Black, 20 cm)": how the customer hears a line of their order."""
    values = ", ".join((line.get("options") or {}).values())
    count = f"{line['quantity']} × " if line["quantity"] > 1 else ""
    return f"{count}{line['name']}" + (f" ({values})" if values else "")


def _join(parts: list[str], last: str = "and") -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {last} {parts[-1]}"


def _left(line: dict[str, Any]) -> int:
    return line["quantity"] - line.get("returned_quantity", 0)


def resolve_items(order: dict[str, Any], items: list[Item] | None) -> list[dict[str, Any]]:
    """The shop's item bodies for ``items`` of ``order``: a name becomes the line it describes, an item that
    names none (or no items at all) every line with units left; a position or product id goes as it is (the
    shop checks it). Raises the spoken :class:`ShopError` for a name that fits no line, or several."""
    lines = order["lines"]
    resolved = []
    for item in items or [Item()]:
        body = _shop_item(item)
        if _describes(item):
            found = lines_named(item.name or "", lines)
            if not found:
                raise ShopError(404, f"Order {order['id']} has no {_spoken(item.name or '')}; it has {_listing(lines)}")
            if len(found) > 1:
                which = _listing([lines[position - 1] for position in found], "or")
                raise ShopError(409, f"Order {order['id']} has more than one {_spoken(item.name or '')}: {which}? "
                                     "Say which one.")
            resolved.append({**body, "line": found[0]})
        elif item.line is None and item.product_id is None:  # names none: every item
            every = [position for position, line in enumerate(lines, start=1) if _left(line) > 0]
            if item.quantity is not None and len(every) > 1:  # "return one" of several items: which one?
                raise ShopError(422, f"Say which item of order {order['id']}: "
                                     f"{_listing([lines[p - 1] for p in every], 'or')}")
            resolved += [{**body, "line": position} for position in every]
        else:
            resolved.append(body)
    return resolved


def _listing(lines: list[dict[str, Any]], last: str = "and") -> str:
    return _join([line_name(line) for line in lines], last)


def _holds(order: dict[str, Any], items: list[Item] | None) -> bool:
    """Whether ``order`` has every item named: a line the name fits, the product, the position."""
    lines = order["lines"]
    return all((not _describes(item) or lines_named(item.name or "", lines)) and
               (item.product_id is None or any(line["product_id"] == item.product_id for line in lines)) and
               (item.line is None or item.line <= len(lines)) for item in items or [])


async def find_order(ctx: ToolContext, tool_name: str, order_id: str | None,
                     items: list[Item] | None = None) -> dict[str, Any]:
    """The order a change is for, as the shop has it: the one named, else the customer's most recent order
    whose state lets this change apply (the shop's ``allowed``, from its policy) and that holds the items."""
    if order_id is not None:
        return await ctx.shop.get(order_path(order_id))
    action, done = POLICY_ACTIONS[tool_name]
    candidates = [order for order in await ctx.shop.get("/orders") if action in order.get("allowed", [])]
    if not candidates:
        rule = (await ctx.shop.get("/policy"))["rules"][action]
        raise ShopError(409, f"You have no order that can be {done} now. {rule}")
    holding = next((order for order in candidates if _holds(order, items)), None)
    if holding is None:
        said = _join([_spoken(item.name or "") or item.product_id or f"item {item.line}" for item in items or []])
        have = "; ".join(f"order {order['id']} has {_listing(order['lines'])}" for order in candidates[:3])
        raise ShopError(404, f"None of your orders that can be {done} has {said}: {have}")
    return holding


def _shop_item(item: Item) -> dict[str, Any]:
    """The shop's item shape: no ``name`` (resolved here), ``color``/``size`` as options of those names."""
    body = item.model_dump(exclude_none=True, exclude={"name", "color", "size"})
    if isinstance(item, ItemChange) and (item.color or item.size):
        body["options"] = {**({"Color": item.color} if item.color else {}),
                           **({"Size": item.size} if item.size else {}), **(item.options or {})}
    return body


async def _item_change(ctx: ToolContext, tool_name: str, order_id: str | None, items: list[Item] | None,
                       endpoint: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A change of items: the order and its lines found, then sent to the shop (a preview or the confirmed run)."""
    order = await find_order(ctx, tool_name, order_id, items)
    if POLICY_ACTIONS[tool_name][0] in order.get("allowed", [POLICY_ACTIONS[tool_name][0]]):
        shop_items = resolve_items(order, items)
    else:  # the shop refuses this order's state in its policy's words, whichever items were meant
        shop_items = [{"line": 1}]
    body = {"items": shop_items, **extra}
    return await _change(ctx, f"{order_path(str(order['id']))}/{endpoint}", body)


def _address(address: str | AddressText) -> dict[str, Any]:
    return {"label": address} if isinstance(address, str) else {"address": address.model_dump(exclude_none=True)}


async def _change(ctx: ToolContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST an order change: a preview while the agent reads it back, else the confirmed change."""
    if ctx.preview:
        return {"preview": await ctx.shop.request("POST", path, json=body, params={"preview": "true"})}
    sent = confirmed(ctx)
    return {"order": await ctx.shop.post(path, json={**body, **sent.get("json", {})}, headers=sent.get("headers"))}


async def _order_id(ctx: ToolContext, tool_name: str, order_id: str | None) -> str:
    """The order an address or payment change is for: the one named, else the most recent one it applies to."""
    return order_id if order_id is not None else str((await find_order(ctx, tool_name, None))["id"])


# --- the tools -----------------------------------------------------------------------------------------------

class ReturnItems(Action):
    """Return items of a delivered order; the refund goes to the original payment method unless the customer
    asks for a gift card (asks the customer to confirm first)."""

    action: Literal["return_items"] = "return_items"
    order_id: OrderRef = None
    items: Items | None = None
    refund_to: MethodRef | None = None


@tool(ReturnItems, label="Starting your return…", needs_confirmation=True, previews=True)
async def return_items(args: ReturnItems, ctx: ToolContext) -> dict[str, Any]:
    refund = {"refund_to": args.refund_to} if args.refund_to else {}
    return await _item_change(ctx, "return_items", args.order_id, args.items, "return", refund)


class ExchangeItems(Action):
    """Exchange items of a delivered order for another variant of the same product (another size or colour);
    the price difference is charged or refunded (asks the customer to confirm first)."""

    action: Literal["exchange_items"] = "exchange_items"
    order_id: OrderRef = None
    items: ItemChanges | None = None
    pay_with: MethodRef | None = None


@tool(ExchangeItems, label="Arranging the exchange…", needs_confirmation=True, previews=True)
async def exchange_items(args: ExchangeItems, ctx: ToolContext) -> dict[str, Any]:
    pay = {"pay_with": args.pay_with} if args.pay_with else {}
    return await _item_change(ctx, "exchange_items", args.order_id, args.items, "exchange", pay)


class ModifyOrderItems(Action):
    """Change items of a pending order to another variant of the same product, once (asks the customer to
    confirm first)."""

    action: Literal["modify_order_items"] = "modify_order_items"
    order_id: OrderRef = None
    items: ItemChanges | None = None
    pay_with: MethodRef | None = None


@tool(ModifyOrderItems, label="Changing the items…", needs_confirmation=True, previews=True)
async def modify_order_items(args: ModifyOrderItems, ctx: ToolContext) -> dict[str, Any]:
    pay = {"pay_with": args.pay_with} if args.pay_with else {}
    return await _item_change(ctx, "modify_order_items", args.order_id, args.items, "items/modify", pay)


class ChangeOrderAddress(Action):
    """Send a pending order to another address (asks the customer to confirm first)."""

    action: Literal["change_order_address"] = "change_order_address"
    order_id: OrderRef = None
    address: AddressArg


@tool(ChangeOrderAddress, label="Changing the address…", needs_confirmation=True, previews=True)
async def change_order_address(args: ChangeOrderAddress, ctx: ToolContext) -> dict[str, Any]:
    order_id = await _order_id(ctx, "change_order_address", args.order_id)
    return await _change(ctx, f"{order_path(order_id)}/address", _address(args.address))


class ChangeDefaultAddress(Action):
    """Make an address the customer's default for future orders."""

    action: Literal["change_default_address"] = "change_default_address"
    address: AddressArg


@tool(ChangeDefaultAddress, label="Saving your address…")
async def change_default_address(args: ChangeDefaultAddress, ctx: ToolContext) -> dict[str, Any]:
    return {"addresses": await ctx.shop.put("/addresses/default", json=_address(args.address))}


class ChangeOrderPayment(Action):
    """Pay a pending order with another payment method (asks the customer to confirm first)."""

    action: Literal["change_order_payment"] = "change_order_payment"
    order_id: OrderRef = None
    method: MethodRef


@tool(ChangeOrderPayment, label="Changing the payment…", needs_confirmation=True, previews=True)
async def change_order_payment(args: ChangeOrderPayment, ctx: ToolContext) -> dict[str, Any]:
    order_id = await _order_id(ctx, "change_order_payment", args.order_id)
    return await _change(ctx, f"{order_path(order_id)}/payment", {"payment_method": args.method})


class RefundStatus(Action):
    """Where the customer's refunds are; with an order id, that order's."""

    action: Literal["refund_status"] = "refund_status"
    order_id: OrderId | None = None


@tool(RefundStatus, label="Checking your refunds…")
async def refund_status(args: RefundStatus, ctx: ToolContext) -> dict[str, Any]:
    order_id = args.order_id.lstrip("#") if args.order_id else None
    return {"refunds": await ctx.shop.get("/refunds", order_id=order_id)}
