"""What changed between the cart or order a customer was asked about and the one the shop has now.

Spoken before the question is asked again, so a "yes" is always to what the customer last heard.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from agent.prompts import line_label
from tools.variants import modifier_names


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """One spoken sentence naming what changed, or "" when nothing the customer would notice did."""
    if "lines" in before and "status" not in before:
        changes = _cart_changes(before, after)
        return f"Your cart changed since I asked: {_join(changes)}." if changes else ""
    if before.get("status") != after.get("status"):
        return f"Order {after['id']} changed since I asked: it is {after['status']} now."
    return f"Order {after['id']} changed since I asked." if before.get("fingerprint") != after.get("fingerprint") else ""


def _cart_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old, new = _lines(before), _lines(after)
    changes = [f"{line_label(line)} was removed" for key, line in old.items() if key not in new]
    for key, line in new.items():
        was, name = old.get(key), line_label(line)
        if was is None:
            changes.append(f"{line['quantity']} × {name} was added")
        elif was["quantity"] != line["quantity"]:
            changes.append(f"{name} went from {was['quantity']} to {line['quantity']}")
        elif was.get("unit_price") != line.get("unit_price"):
            changes.append(f"the price of {name} went from ${was['unit_price']:,.2f} to "
                           f"${line['unit_price']:,.2f}")
    return changes


def _lines(cart: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Lines by what makes one: the product's variant (or colour and size, from before variants) and add-ons."""
    return {(line["product_id"], line.get("variant_id"), line.get("color"), line.get("size"),
             tuple(sorted(modifier_names(line.get("modifiers"))))): line for line in cart.get("lines") or []}


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def change_summary(preview: dict[str, Any]) -> dict[str, Any]:
    """What an order change will do, from the shop's preview (the order now and as it would be), in words:
    the items and what they become, each amount of money and where it goes, a new address or payment."""
    before, after = preview["order"], preview["after"]
    items = []
    for old, new in zip(before["lines"], after["lines"], strict=False):
        returned = new.get("returned_quantity", 0) - old.get("returned_quantity", 0)
        if new.get("exchange") and not old.get("exchange"):
            swap = new["exchange"]
            items.append(f"{swap['quantity']} × {line_label(old)} for {_values(swap.get('options'))}")
        elif returned:
            items.append(f"{returned} × {line_label(old)}")
        elif new.get("variant_id") != old.get("variant_id"):
            items.append(f"{line_label(old)} to {_values(new.get('options'))}")
    money = [_movement(t) for t in after.get("transactions", [])[len(before.get("transactions", [])):]]
    address = after.get("shipping_address")
    payment = after.get("payment_method")
    return {"items": items, "money": money,
            "address": _address(address) if address and address != before.get("shipping_address") else None,
            "payment": payment["spoken"] if payment and payment != before.get("payment_method") else None}


def _values(options: dict[str, str] | None) -> str:
    return ", ".join((options or {}).values()) or "another variant"


def _movement(transaction: dict[str, Any]) -> str:
    """"$68.99 back to your Visa ending 4242 once the items arrive", "$20.00 charged to your gift card ..."."""
    method = (transaction.get("payment_method") or {}).get("spoken")
    where = f"your {method}" if method else "your original payment method"
    amount = f"${transaction['amount']:,.2f}"
    if transaction["kind"] == "charge":
        return f"{amount} charged to {where}"
    when = {"awaiting items": " once the items arrive", "completed": " right away"}.get(transaction["state"], "")
    if transaction.get("due_by") and not when:
        when = f" by {date.fromisoformat(transaction['due_by']):%A %-d %B}"
    return f"{amount} back to {where}{when}"


def _address(address: dict[str, Any]) -> str:
    return ", ".join(part for part in (address.get("line1"), address.get("line2"), address.get("city")) if part)
