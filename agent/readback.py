"""What changed between the cart or order a customer was asked about and the one the shop has now.

Spoken before the question is asked again, so a "yes" is always to what the customer last heard.
"""

from __future__ import annotations

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
