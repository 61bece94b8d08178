"""Scoring one turn and the final shop state against a scenario's expectations.

Pure functions over plain data (the chat API's actions, reply, cart and orders), so every rule of the
contract can be tested without running the assistant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.matchers import MISSING, RefContext, assign
from agent.state import ActionRecord
from evals.results import Check
from evals.scenario import (ActionExpectation, CartLineExpectation, FieldsExpectation, FinalExpectations,
                            OrderExpectation, TurnExpectations)


@dataclass
class TurnScore:
    checks: list[Check] = field(default_factory=list)
    actions_checked: bool = False
    args_expected: int = 0
    args_matched: int = 0


def describe_action(expected: ActionExpectation) -> str:
    args = ", ".join(f"{name} {m.describe()}" for name, m in expected.args.items())
    return f"{expected.tool}({args})"


def _action_list(actions: Sequence[ActionRecord]) -> str:
    return "[" + ", ".join(a.brief() for a in actions) + "]"


def _arg_failures(expected: ActionExpectation, actual: ActionRecord, refs: RefContext) -> list[str]:
    return [f"{name}: {reason}" for name, matcher in expected.args.items()
            if (reason := matcher.check(actual.args.get(name, MISSING), refs)) is not None]


def check_actions(expected: Sequence[ActionExpectation], actual: Sequence[ActionRecord],
                  refs: RefContext) -> tuple[Check, int, int]:
    """The contract's rule: same actions, same order, listed arguments matching.

    Also returns (argument matchers listed, matched) for argument accuracy: an argument of an expected
    action whose tool was not chosen at that position counts as not matched.
    """
    wanted = "[" + ", ".join(describe_action(e) for e in expected) + "]"
    listed = sum(len(e.args) for e in expected)
    matched = 0
    problems: list[str] = []
    for position, exp in enumerate(expected):
        got = actual[position] if position < len(actual) else None
        if got is None or got.tool != exp.tool:
            problems.append(f"action {position + 1}: expected {exp.tool}, got {got.tool if got else 'nothing'}")
            continue
        failures = _arg_failures(exp, got, refs)
        matched += len(exp.args) - len(failures)
        problems += [f"action {position + 1} {exp.tool}: {f}" for f in failures]
    if len(actual) > len(expected):
        extra = ", ".join(a.tool for a in actual[len(expected):])
        problems.append(f"unexpected extra action{'s' if len(actual) - len(expected) > 1 else ''}: {extra}")
    reason = "" if not problems else f"got {_action_list(actual)}; " + "; ".join(problems)
    return Check(name="actions", expected=wanted, passed=not problems, reason=reason), listed, matched


def check_reply(expect: TurnExpectations, reply: str) -> list[Check]:
    checks: list[Check] = []
    lowered = reply.casefold()
    if expect.reply_contains_any is not None:
        ok = any(p.casefold() in lowered for p in expect.reply_contains_any)
        checks.append(Check(name="reply_contains_any", expected=f"any of {expect.reply_contains_any!r}",
                            passed=ok, reason="" if ok else f"none of them in the reply {reply!r}"))
    if expect.reply_excludes is not None:
        found = [p for p in expect.reply_excludes if p.casefold() in lowered]
        checks.append(Check(name="reply_excludes", expected=f"none of {expect.reply_excludes!r}",
                            passed=not found, reason=f"the reply {reply!r} contains {found!r}" if found else ""))
    return checks


def score_turn(expect: TurnExpectations, actions: Sequence[ActionRecord], reply: str,
               refs: RefContext) -> TurnScore:
    """All checks of one turn. ``actions`` are the chosen ones (no plain reply, no confirmed action)."""
    score = TurnScore()
    if expect.actions is not None:
        check, listed, matched = check_actions(expect.actions, actions, refs)
        score.checks.append(check)
        score.actions_checked = True
        score.args_expected, score.args_matched = listed, matched
    score.checks += check_reply(expect, reply)
    return score


def _line_fits(expected: CartLineExpectation, line: Mapping[str, Any], refs: RefContext) -> bool:
    return all(m.check(line.get(name, MISSING), refs) is None for name, m in expected.matchers().items())


def _describe_line(expected: CartLineExpectation) -> str:
    return "{" + ", ".join(f"{n} {m.describe()}" for n, m in expected.matchers().items()) + "}"


def _brief_line(line: Mapping[str, Any]) -> str:
    extras = "".join(f", {k}={line[k]}" for k in ("color", "size") if line.get(k))
    return f"{line.get('quantity')} × {line.get('name')} ({line.get('product_id')}{extras})"


def order_view(order: Mapping[str, Any]) -> dict[str, Any]:
    """An order of the shop API as the final checks see it (see :class:`OrderExpectation`)."""
    address = order.get("shipping_address") or {}
    parts = (address.get(k) for k in ("label", "line1", "line2", "city", "postal_code"))
    lines = [{**line, "exchanged_to": ", ".join(line["exchange"].get("options", {}).values())
              if line.get("exchange") else None} for line in order.get("lines") or []]
    return {**order, "id": str(order.get("id")), "payment": (order.get("payment_method") or {}).get("spoken"),
            "address": ", ".join(str(p) for p in parts if p) or None, "lines": lines}


def refunds_of(orders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every refund recorded on the orders, as the final checks see it (see :class:`RefundExpectation`)."""
    return [{**t, "order_id": str(t.get("order_id", order.get("id"))),
             "to": (t.get("payment_method") or {}).get("spoken")}
            for order in orders for t in order.get("transactions") or [] if t.get("kind") == "refund"]


def _fits(expected: FieldsExpectation, actual: Mapping[str, Any], refs: RefContext) -> bool:
    return all(m.check(actual.get(name, MISSING), refs) is None for name, m in expected.matchers().items())


def _order_fits(expected: OrderExpectation, order: Mapping[str, Any], refs: RefContext) -> bool:
    return _fits(expected, order, refs) and (expected.lines is None or assign(
        expected.lines, order["lines"], lambda e, line: _fits(e, line, refs)) is not None)


def _describe(expected: FieldsExpectation) -> str:
    described = [f"{n} {m.describe()}" for n, m in expected.matchers().items()]
    if isinstance(expected, OrderExpectation) and expected.lines is not None:
        described.append("lines [" + ", ".join(_describe(line) for line in expected.lines) + "]")
    return "{" + ", ".join(described) + "}"


def _brief_order(order: Mapping[str, Any]) -> str:
    lines = "; ".join(f"{line.get('quantity')} × {line.get('name')}" + (
        f" ({line['returned_quantity']} returned)" if line.get("returned_quantity") else "") + (
        f" → {line['exchanged_to']}" if line.get("exchanged_to") else "") for line in order["lines"])
    return f"order {order['id']} {order.get('status')}, {order.get('payment')}, {order.get('address')}: {lines}"


def _brief_refund(refund: Mapping[str, Any]) -> str:
    return f"${refund.get('amount')} for order {refund['order_id']} ({refund.get('reason')}, {refund.get('state')}, " \
           f"to {refund.get('to')})"


def check_orders(final: FinalExpectations, orders: Sequence[Mapping[str, Any]],
                 new_refunds: Sequence[Mapping[str, Any]], refs: RefContext) -> list[Check]:
    """The customer's orders and the refunds made during the scenario: each listed one matched by its own."""
    checks: list[Check] = []
    views = [order_view(order) for order in orders]
    if final.orders is not None:
        fits = assign(final.orders, views, lambda e, order: _order_fits(e, order, refs))
        checks.append(Check(name="final.orders", expected="[" + ", ".join(map(_describe, final.orders)) + "]",
                            passed=fits is not None,
                            reason="" if fits is not None else "the orders: " + " | ".join(map(_brief_order, views))))
    made = "[" + ", ".join(map(_brief_refund, new_refunds)) + "]"
    if final.refunds is not None:
        fits = assign(final.refunds, new_refunds, lambda e, refund: _fits(e, refund, refs))
        checks.append(Check(name="final.refunds", expected="[" + ", ".join(map(_describe, final.refunds)) + "]",
                            passed=fits is not None, reason="" if fits is not None else f"the refunds made: {made}"))
    if final.refunds_made is not None:
        ok = len(new_refunds) == final.refunds_made
        checks.append(Check(name="final.refunds_made", expected=str(final.refunds_made), passed=ok,
                            reason="" if ok else f"{len(new_refunds)} refunds were made: {made}"))
    return checks


def check_final(final: FinalExpectations, cart_lines: Sequence[Mapping[str, Any]], orders_placed: int,
                refs: RefContext) -> list[Check]:
    """Final shop state: each listed cart line matched by its own actual line, exact counts."""
    checks: list[Check] = []
    in_cart = "[" + ", ".join(_brief_line(line) for line in cart_lines) + "]"
    if final.cart is not None:
        wanted = "[" + ", ".join(_describe_line(e) for e in final.cart) + "]"
        fits = assign(final.cart, cart_lines, lambda e, line: _line_fits(e, line, refs))
        checks.append(Check(name="final.cart", expected=wanted, passed=fits is not None,
                            reason="" if fits is not None else f"the cart holds {in_cart}"))
    if final.cart_size is not None:
        ok = len(cart_lines) == final.cart_size
        checks.append(Check(name="final.cart_size", expected=str(final.cart_size), passed=ok,
                            reason="" if ok else f"{len(cart_lines)} cart lines: {in_cart}"))
    if final.orders_placed is not None:
        ok = orders_placed == final.orders_placed
        checks.append(Check(name="final.orders_placed", expected=str(final.orders_placed), passed=ok,
                            reason="" if ok else f"{orders_placed} orders were placed"))
    return checks
