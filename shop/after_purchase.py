"""After the purchase: returns, exchanges, item and address and payment changes, refunds (``shop/policy.yaml``).

Every rule of the policy file is enforced here, whatever the client: an order in the wrong state, past the
return window, an item the order lacks, a variant of another product or not for sale, a second item change,
a gift card that cannot cover the amount. Each refusal is a 4xx whose message the assistant can say as it
is and which quotes the policy's rule. Like checkout and cancel, every change locks the customer, can be
repeated safely with an ``Idempotency-Key`` and, with ``expected_fingerprint``, refuses (409
``order_changed``) to act on an order that changed since the customer confirmed.

Money is only recorded (:class:`OrderTransaction`), never processed; a gift card's balance does move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shop import schemas
from shop.api import (IdempotencyKeyHeader, SessionDep, UserDep, lock_customer, order_or_404, refresh_product_stock,
                      replay, replayed_order, spend_key, variant_label)
from shop.catalog.load import COLOR_OPTIONS, SIZE_OPTIONS, named_value
from shop.models import (Address, KeyedOperation, Order, OrderLine, OrderStatus, OrderTransaction, PaymentKind,
                         PaymentMethod, Product, RefundState, TransactionKind, User, Variant, utcnow)
from shop.policy import ASKED, Policy, PolicyAction
from shop.variants import comparable, resolve_variant

router = APIRouter()

# How a refusal says where an order is ("Order 1042 is still pending, ...").
STATE_PHRASES = {
    OrderStatus.pending: "still pending", OrderStatus.processing: "being processed",
    OrderStatus.shipped: "on its way", OrderStatus.delivered: "delivered", OrderStatus.cancelled: "cancelled",
    OrderStatus.returned: "returned", OrderStatus.pending_items_modified: "pending with its items already changed",
    OrderStatus.return_requested: "waiting for its return", OrderStatus.exchange_requested: "waiting for its exchange",
}
# What the order still can be, in the order it is said ("changed or cancelled").
CAN_BE = {"change_address": "changed", "change_payment": "changed", "modify_items": "changed",
          "cancel": "cancelled", "return": "returned", "exchange": "exchanged"}
ORIGINAL = {"original", "originalmethod", "originalpayment"}  # the order's own payment method (compared)


def get_policy(request: Request) -> Policy:
    return request.app.state.policy


PolicyDep = Annotated[Policy, Depends(get_policy)]


def _join(words: Sequence[str], last: str = "or") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def require_state(policy: Policy, order: Order, action: PolicyAction) -> None:
    """409 unless the policy allows ``action`` in the order's state, saying what it does allow and the rule."""
    if policy.allows(action, order.status):
        return
    rule = policy.rule(action)
    if action == "cancel":  # the words clients of cancel have always had
        raise HTTPException(409, f"Order {order.id} is {order.status.value} and can no longer be cancelled. {rule}")
    if action == "modify_items" and order.status is OrderStatus.pending_items_modified:
        raise HTTPException(409, f"Order {order.id} already had its items changed, and items can be changed only "
                                 f"once. {rule}")
    can = list(dict.fromkeys(CAN_BE[name] for name in CAN_BE if name in policy.allowed_in(order.status)))
    where = STATE_PHRASES[order.status]
    if can:
        raise HTTPException(409, f"Order {order.id} is {where}, so it can be {_join(can)}, not {ASKED[action]}. {rule}")
    raise HTTPException(409, f"Order {order.id} is {where}, so it can't be {ASKED[action]} now. {rule}")


def require_window(policy: Policy, order: Order, action: PolicyAction, now: datetime) -> None:
    """409 when the order was delivered longer ago than the policy's window for ``action``."""
    days = policy.return_window_days if action == "return" else policy.exchange_window_days
    delivered = order.delivered_at or order.updated_at
    age = (now - (delivered if delivered.tzinfo else delivered.replace(tzinfo=UTC))).days
    if age > days:
        raise HTTPException(409, f"Order {order.id} was delivered {age} days ago, past the {days}-day window, so it "
                                 f"can't be {ASKED[action]} any more. {policy.rule(action)}")


PreviewQuery = Annotated[bool, Query(description="check everything and answer what would change, changing nothing "
                                              "(the assistant reads this back before asking for a yes)")]


@dataclass
class OrderChange:
    """A change of one order in progress: the order (locked), what it was, and how the request ends."""

    order: Order
    before: schemas.Order
    replayed: bool
    preview: bool
    key: str | None
    operation: KeyedOperation

    def finish(self, session: Session, user: User) -> Order | schemas.ChangePreview:
        """Commit the change (spending the key), or, for a preview, answer it and undo everything."""
        self.order.updated_at = utcnow()
        if self.preview:
            session.flush()  # the new transactions get their ids and dates, as they would
            after = schemas.Order.model_validate(self.order)
            session.rollback()
            return schemas.ChangePreview(order=self.before, after=after)
        spend_key(session, user, self.key, self.operation, self.order)
        session.commit()
        session.refresh(self.order)
        return self.order


WINDOWED: tuple[PolicyAction, ...] = ("return", "exchange")  # allowed for so many days after delivery


def changing_order(session: Session, user: User, policy: Policy, action: PolicyAction, order_id: str,
                   response: Response, operation: KeyedOperation, key: str | None, expected: str | None,
                   preview: bool) -> OrderChange:
    """The customer's order, locked, once the policy allows ``action`` on it; or the order a request with the
    same key already changed (answer it as it was). Checks in this order: key replay, fingerprint, policy."""
    lock_customer(session, user)
    order = order_or_404(session, user, order_id, lock=True)
    if preview:
        key = None  # a preview spends no key and replays none
    earlier = replayed_order(session, user, key, operation, order.id)
    if earlier is not None:
        replay(response, earlier)
        return OrderChange(earlier, schemas.Order.model_validate(earlier), True, False, key, operation)
    current = schemas.Order.model_validate(order)
    if expected is not None and current.fingerprint != expected:
        raise HTTPException(409, {"code": "order_changed",
                                  "message": f"Order {order.id} changed since you confirmed the change",
                                  "order": current.model_dump(mode="json")})
    require_state(policy, order, action)
    if action in WINDOWED:
        require_window(policy, order, action, utcnow())
    return OrderChange(order, current, False, preview, key, operation)


class OrderChanges:
    """What every order change shares (a FastAPI dependency): the customer's order id, its key, preview or not.

    :meth:`run` is the one way a change runs: the order locked and checked (:func:`changing_order`), a
    replay answered as it was, the items named picked from the order's lines, then ``apply`` and finish.
    """

    def __init__(self, order_id: str, session: SessionDep, user: UserDep, policy: PolicyDep, response: Response,
                 idempotency_key: IdempotencyKeyHeader = None, preview: PreviewQuery = False) -> None:
        self.order_id, self.session, self.user, self.policy = order_id, session, user, policy
        self.response, self.key, self.preview = response, idempotency_key, preview

    def run(self, action: PolicyAction, operation: KeyedOperation, expected: str | None,
            apply: Callable[[Order, list[PickedItem]], None],
            items: Sequence[schemas.ItemRef] | None = None) -> Order | schemas.ChangePreview:
        change = changing_order(self.session, self.user, self.policy, action, self.order_id, self.response,
                                operation, self.key, expected, self.preview)
        if change.replayed:
            return change.order
        apply(change.order, pick_items(change.order, items) if items is not None else [])
        return change.finish(self.session, self.user)


ChangesDep = Annotated[OrderChanges, Depends()]


# --- payment methods and money -------------------------------------------------------------------------------

def payment_methods(session: Session, user: User) -> Sequence[PaymentMethod]:
    return session.execute(select(PaymentMethod).where(PaymentMethod.user_id == user.id)
                           .order_by(PaymentMethod.id)).scalars().all()


def spoken(method: PaymentMethod) -> str:
    return schemas.PaymentMethod.model_validate(method).spoken


def find_method(session: Session, user: User, ref: str) -> PaymentMethod:
    """The customer's payment method ``ref`` names: its last digits, id, kind ("gift card") or label ("Visa")."""
    methods = payment_methods(session, user)
    text = comparable(ref)
    matches = [m for m in methods if m.last_digits == text] or [m for m in methods if str(m.id) == text] or \
              [m for m in methods if comparable(m.kind.value) == text or comparable(m.label) == text
               or (text in ("card", "creditcard", "debitcard") and m.kind is PaymentKind.card)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        have = _join([spoken(m) for m in methods], "and") if methods else "none saved"
        raise HTTPException(404, f"You have no payment method '{ref}'; you have {have}")
    raise HTTPException(409, f"Which one: {_join([spoken(m) for m in matches])}?")


def default_method(session: Session, user: User) -> PaymentMethod | None:
    methods = payment_methods(session, user)
    return next((m for m in methods if m.is_default), methods[0] if methods else None)


def charge(order: Order, method: PaymentMethod | None, amount: float, reason: str) -> None:
    """Record ``amount`` paid with ``method``; a gift card must cover it (409 otherwise, nothing changed)."""
    amount = round(amount, 2)
    if amount <= 0:
        return
    if method is not None and method.kind is PaymentKind.gift_card:
        balance = method.balance or 0.0
        if balance + 1e-9 < amount:
            raise HTTPException(409, f"Your {spoken(method)} can't cover ${amount:,.2f}: choose another payment "
                                     "method")
        method.balance = round(balance - amount, 2)
    order.transactions.append(OrderTransaction(kind=TransactionKind.charge, reason=reason, amount=amount,
                                               payment_method=method, state=RefundState.completed))


def refund(policy: Policy, order: Order, method: PaymentMethod | None, amount: float, reason: str, *,
           awaiting_items: bool = False) -> None:
    """Record a refund of ``amount`` to ``method``: a gift card at once, a card or PayPal within the policy's
    business days; a return's refund waits for the items (``awaiting_items``)."""
    amount = round(amount, 2)
    if amount <= 0:
        return
    now = utcnow()
    if awaiting_items:
        state, due = RefundState.awaiting_items, None
    elif method is not None and method.kind is PaymentKind.gift_card:
        method.balance = round((method.balance or 0.0) + amount, 2)
        state, due = RefundState.completed, None
    else:
        state, due = RefundState.processing, policy.refund_due(now)
    order.transactions.append(OrderTransaction(kind=TransactionKind.refund, reason=reason, amount=amount,
                                               payment_method=method, state=state, due_by=due, created_at=now))


def settle(policy: Policy, order: Order, method: PaymentMethod | None, difference: float, reason: str) -> None:
    """A price difference: charged to ``method`` when the new items cost more, refunded to it when less."""
    if difference > 0:
        charge(order, method, difference, reason)
    else:
        refund(policy, order, method, -difference, reason)


# --- items ---------------------------------------------------------------------------------------------------

@dataclass
class PickedItem:
    line: OrderLine
    quantity: int
    change: schemas.ItemRef


def _line_name(line: OrderLine) -> str:
    values = ", ".join(line.options.values())
    return f"{line.name} ({values})" if values else line.name


def pick_items(order: Order, items: Sequence[schemas.ItemRef]) -> list[PickedItem]:
    """The order's lines the request names (1-based ``line`` as listed, product id or SKU), each at most once."""
    lines = order.lines
    picked: dict[int, PickedItem] = {}
    for item in items:
        given = [name for name in ("line", "product_id", "sku") if getattr(item, name) is not None]
        if len(given) != 1:
            raise HTTPException(422, "Name each item by one of line (1 = the first item), product_id or sku")
        if item.line is not None:
            if item.line > len(lines):
                raise HTTPException(404, f"Order {order.id} has {len(lines)} item{'s' if len(lines) != 1 else ''}, "
                                         f"not {item.line}")
            found = [lines[item.line - 1]]
        elif item.product_id is not None:
            found = [line for line in lines if line.product_id.casefold() == item.product_id.casefold()]
        else:
            found = [line for line in lines if (line.sku or "").casefold() == item.sku.casefold()]
        if not found:
            said = item.product_id or item.sku
            raise HTTPException(404, f"Order {order.id} has no item '{said}'; it has "
                                     f"{_join([_line_name(line) for line in lines], 'and')}")
        if len(found) > 1:
            which = _join([f"line {lines.index(line) + 1} ({_line_name(line)})" for line in found])
            raise HTTPException(409, f"Order {order.id} has {found[0].name} more than once: say which, {which}")
        line = found[0]
        if line.id in picked:
            raise HTTPException(422, f"{_line_name(line)} is named twice; name each item once")
        left = line.quantity - line.returned_quantity
        quantity = item.quantity or left
        if quantity > left:
            raise HTTPException(409, f"Order {order.id} has {left} of {_line_name(line)} to change, not {quantity}")
        picked[line.id] = PickedItem(line, quantity, item)
    return list(picked.values())


def new_variant(session: Session, policy: Policy, line: OrderLine, change: schemas.ItemChange, quantity: int,
                action: PolicyAction) -> Variant:
    """The variant of the line's own product that ``change`` names, for sale with ``quantity`` in stock."""
    product = session.get(Product, line.product_id)
    if change.variant_id is not None:
        variant = session.get(Variant, change.variant_id)
        if variant is None:
            raise HTTPException(404, f"No variant {change.variant_id}")
        if variant.product_id != line.product_id:
            raise HTTPException(409, f"{variant_label(variant.product, variant)} is a different product from "
                                     f"{line.name}. {policy.rule(action)}")
    elif change.options:
        named = {comparable(name) for name in change.options}
        kept = {name: value for name, value in line.options.items() if comparable(name) not in named}
        variant = resolve_variant(product, options={**kept, **change.options})  # 422 lists what it has
    else:
        raise HTTPException(422, f"Say which variant {line.name} should become: options (e.g. a size) or variant_id")
    if variant.id == line.variant_id:
        raise HTTPException(409, f"{_line_name(line)} is already that variant: name another size or colour")
    if not variant.available or variant.stock < quantity:
        left = variant.stock if variant.available else 0
        raise HTTPException(409, f"{variant_label(product, variant)} is not available ({left} left, {quantity} "
                                 f"wanted). {policy.rule(action)}")
    return variant


def _unit_price(line: OrderLine, variant: Variant) -> float:
    """The new variant's price plus the add-ons the line already has."""
    return round(variant.price + sum(modifier.get("price", 0.0) for modifier in line.modifiers), 2)


def _take_stock(session: Session, variant: Variant, quantity: int) -> None:
    """Take units in one guarded statement, as checkout does: two requests cannot both take the last one."""
    result = session.execute(update(Variant).where(Variant.id == variant.id, Variant.stock >= quantity)
                             .values(stock=Variant.stock - quantity).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise HTTPException(409, f"{variant_label(variant.product, variant)} just sold out; nothing was changed")


def _put_back(session: Session, variant_id: int | None, quantity: int) -> None:
    if variant_id is not None:
        session.execute(update(Variant).where(Variant.id == variant_id).values(stock=Variant.stock + quantity)
                        .execution_options(synchronize_session=False))


def _pay_with(session: Session, user: User, order: Order, ref: str | None) -> PaymentMethod | None:
    """The method ``ref`` names; none, or "original", is the order's own."""
    return order.payment_method if ref is None or comparable(ref) in ORIGINAL else find_method(session, user, ref)


# --- routes ----------------------------------------------------------------------------------------------------

@router.get("/addresses", response_model=list[schemas.SavedAddress])
def list_addresses(session: SessionDep, user: UserDep) -> Sequence[Address]:
    return session.execute(select(Address).where(Address.user_id == user.id)
                           .order_by(Address.is_default.desc(), Address.id)).scalars().all()


@router.get("/payment-methods", response_model=list[schemas.PaymentMethod])
def list_payment_methods(session: SessionDep, user: UserDep) -> Sequence[PaymentMethod]:
    return payment_methods(session, user)


@router.get("/policy", response_model=schemas.PolicyView)
def read_policy(policy: PolicyDep) -> schemas.PolicyView:
    """The after-purchase policy as the shop enforces it (``shop/policy.yaml``), rules in plain sentences."""
    return schemas.PolicyView(return_window_days=policy.return_window_days,
                              exchange_window_days=policy.exchange_window_days,
                              cancel_reasons=policy.cancel_reasons,
                              rules={name: policy.rule(name) for name in policy.actions},
                              states={name: [state.value for state in rule.states]
                                      for name, rule in policy.actions.items()})


def chosen_address(session: Session, user: User, body: schemas.AddressChoice) -> tuple[Address | None, dict]:
    """The saved address the body names, or a new one (not saved), as what an order keeps of it."""
    given = [name for name in ("address_id", "label", "address") if getattr(body, name) is not None]
    if len(given) != 1:
        raise HTTPException(422, "Give one of address_id, label (e.g. 'work') or a new address")
    if body.address is not None:
        fields = body.address.model_dump()
        fields["recipient"] = fields["recipient"] or user.name
        return None, fields
    saved = session.execute(select(Address).where(Address.user_id == user.id)).scalars().all()
    match = [a for a in saved if a.id == body.address_id] if body.address_id is not None else \
        [a for a in saved if a.label and comparable(a.label) == comparable(body.label)]
    if not match:
        have = _join([a.label or f"{a.line1}, {a.city}" for a in saved], "and") if saved else "none saved"
        raise HTTPException(404, f"You have no saved address '{body.address_id or body.label}'; you have {have}")
    return match[0], match[0].snapshot()


@router.put("/addresses/default", response_model=list[schemas.SavedAddress])
def change_default_address(body: schemas.AddressChoice, session: SessionDep, user: UserDep) -> Sequence[Address]:
    """Make a saved address the default, or save a new one as the default (orders already placed keep theirs)."""
    lock_customer(session, user)
    address, fields = chosen_address(session, user, body)
    if address is None:
        address = Address(user_id=user.id, **fields)
        session.add(address)
    session.execute(update(Address).where(Address.user_id == user.id).values(is_default=False)
                    .execution_options(synchronize_session="fetch"))
    address.is_default = True
    session.commit()
    return list_addresses(session, user)


@router.post("/orders/{order_id}/address", response_model=schemas.Order | schemas.ChangePreview)
def change_order_address(body: schemas.AddressChoice, changes: ChangesDep) -> Order | schemas.ChangePreview:
    def apply(order: Order, _: list[PickedItem]) -> None:
        _, order.shipping_address = chosen_address(changes.session, changes.user, body)

    return changes.run("change_address", KeyedOperation.change_address, body.expected_fingerprint, apply)


@router.post("/orders/{order_id}/payment", response_model=schemas.Order | schemas.ChangePreview)
def change_order_payment(body: schemas.PaymentChoice, changes: ChangesDep) -> Order | schemas.ChangePreview:
    """Pay a pending order another way: the new method is charged the total (a gift card must cover it) and
    the old one refunded in full."""
    def apply(order: Order, _: list[PickedItem]) -> None:
        method = find_method(changes.session, changes.user, body.payment_method)
        if order.payment_method_id == method.id:
            raise HTTPException(409, f"Order {order.id} is already paid with your {spoken(method)}")
        charge(order, method, order.total, "change_payment")
        if order.payment_method is not None:  # orders from before payment methods: nothing recorded to refund
            refund(changes.policy, order, order.payment_method, order.total, "change_payment")
        order.payment_method = method

    return changes.run("change_payment", KeyedOperation.change_payment, body.expected_fingerprint, apply)


@router.post("/orders/{order_id}/items/modify", response_model=schemas.Order | schemas.ChangePreview)
def modify_order_items(body: schemas.ItemChangeRequest, changes: ChangesDep) -> Order | schemas.ChangePreview:
    """Change items of a pending order to other variants of the same products, once; the order becomes
    "pending (items modified)" and the price difference is charged or refunded (``pay_with``)."""
    session, policy = changes.session, changes.policy

    def becomes(line: OrderLine, variant: Variant, unit_price: float, quantity: int) -> None:
        _put_back(session, line.variant_id, quantity)  # not shipped yet: the old variant goes back on sale
        line.variant_id, line.sku, line.options, line.unit_price = variant.id, variant.sku, dict(variant.options), \
            unit_price
        line.color, line.size = named_value(variant.options, COLOR_OPTIONS), named_value(variant.options, SIZE_OPTIONS)

    def apply(order: Order, picked: list[PickedItem]) -> None:
        if any(item.quantity != item.line.quantity for item in picked):
            raise HTTPException(422, "An item change covers all units of a line: leave quantity out")
        method = _pay_with(session, changes.user, order, body.pay_with)
        difference = change_variants(session, policy, picked, "modify_items", becomes)
        settle(policy, order, method, difference, "modify_items")
        order.total = round(order.total + difference, 2)
        order.status = OrderStatus.pending_items_modified

    return changes.run("modify_items", KeyedOperation.modify_items, body.expected_fingerprint, apply, body.items)


def change_variants(session: Session, policy: Policy, picked: list[PickedItem], action: PolicyAction,
                    record: Callable[[OrderLine, Variant, float, int], None]) -> float:
    """Give each picked item the variant it asks for, its units taken from stock now, and ``record`` it on the
    line; the price difference of them all (positive: the customer pays more)."""
    difference = 0.0
    for item in sorted(picked, key=lambda item: item.line.id):  # one fixed order, as checkout takes stock
        assert isinstance(item.change, schemas.ItemChange)
        variant = new_variant(session, policy, item.line, item.change, item.quantity, action)
        _take_stock(session, variant, item.quantity)
        unit_price = _unit_price(item.line, variant)
        difference += (unit_price - item.line.unit_price) * item.quantity
        record(item.line, variant, unit_price, item.quantity)
    refresh_product_stock(session, (item.line.product_id for item in picked))
    return difference


@router.post("/orders/{order_id}/return", response_model=schemas.Order | schemas.ChangePreview)
def return_items(body: schemas.ReturnRequest, changes: ChangesDep) -> Order | schemas.ChangePreview:
    """Return items of a delivered order within the window: the order becomes "return requested" and the
    refund is recorded, to the original payment method (default) or a gift card, paid when the items arrive."""
    def apply(order: Order, picked: list[PickedItem]) -> None:
        destination = _refund_destination(changes.session, changes.user, order, body.refund_to)
        amount = 0.0
        for item in picked:
            item.line.returned_quantity += item.quantity
            amount += item.line.unit_price * item.quantity
        refund(changes.policy, order, destination, amount, "return", awaiting_items=True)
        order.status = OrderStatus.return_requested

    return changes.run("return", KeyedOperation.return_items, body.expected_fingerprint, apply, body.items)


def _refund_destination(session: Session, user: User, order: Order, refund_to: str | None) -> PaymentMethod | None:
    """Where a return's refund goes: the original method, or one of the customer's gift cards."""
    method = _pay_with(session, user, order, refund_to)
    if method is None or method.id == order.payment_method_id:
        return method
    if method.kind is not PaymentKind.gift_card:
        raise HTTPException(409, f"A refund goes back to the original payment method or to a gift card, not to "
                                 f"your {spoken(method)}")
    return method


@router.post("/orders/{order_id}/exchange", response_model=schemas.Order | schemas.ChangePreview)
def exchange_items(body: schemas.ItemChangeRequest, changes: ChangesDep) -> Order | schemas.ChangePreview:
    """Exchange delivered items for other available variants of the same products, once: the new units are
    set aside, the order becomes "exchange requested" and the price difference is charged or refunded."""
    session, policy = changes.session, changes.policy

    def set_aside(line: OrderLine, variant: Variant, unit_price: float, quantity: int) -> None:
        line.returned_quantity += quantity  # the old units come back; the new ones wait for them
        line.exchange = {"variant_id": variant.id, "sku": variant.sku, "options": dict(variant.options),
                         "unit_price": unit_price, "quantity": quantity}

    def apply(order: Order, picked: list[PickedItem]) -> None:
        method = _pay_with(session, changes.user, order, body.pay_with)
        settle(policy, order, method, change_variants(session, policy, picked, "exchange", set_aside), "exchange")
        order.status = OrderStatus.exchange_requested

    return changes.run("exchange", KeyedOperation.exchange_items, body.expected_fingerprint, apply, body.items)


@router.get("/refunds", response_model=list[schemas.Transaction])
def refund_status(session: SessionDep, user: UserDep,
                  order_id: Annotated[str | None, Query(max_length=32)] = None) -> Sequence[OrderTransaction]:
    """The customer's refunds, newest first; with ``order_id``, that order's (404 for another's order)."""
    statement = (select(OrderTransaction).join(Order, Order.id == OrderTransaction.order_id)
                 .where(Order.user_id == user.id, OrderTransaction.kind == TransactionKind.refund))
    if order_id is not None:
        statement = statement.where(Order.id == order_or_404(session, user, order_id).id)
    return session.execute(statement.order_by(OrderTransaction.created_at.desc(),
                                              OrderTransaction.id.desc())).scalars().all()


@router.post("/orders/{order_id}/cancel", response_model=schemas.Order | schemas.ChangePreview)
def cancel_order(changes: ChangesDep, body: schemas.CancelRequest | None = None) -> Order | schemas.ChangePreview:
    """Cancel an order that has not shipped, put its units back in stock and refund it to its payment method;
    ``reason``, when given, is one of the policy's cancel reasons."""
    session, policy = changes.session, changes.policy
    reason = _cancel_reason(policy, body.reason if body else None)

    def apply(order: Order, _: list[PickedItem]) -> None:
        order.status = OrderStatus.cancelled
        order.cancel_reason = reason
        restock: dict[int, int] = defaultdict(int)
        for line in order.lines:
            if line.variant_id is not None:
                restock[line.variant_id] += line.quantity
        for variant_id in sorted(restock):  # the same lock order as checkout's
            _put_back(session, variant_id, restock[variant_id])
        refresh_product_stock(session, (line.product_id for line in order.lines))
        # The total is what is paid now: item changes settled their difference, a payment change refunded the
        # first.
        refund(policy, order, order.payment_method, order.total, "cancel")

    return changes.run("cancel", KeyedOperation.cancel, body.expected_fingerprint if body else None, apply)


def _cancel_reason(policy: Policy, said: str | None) -> str | None:
    if said is None:
        return None
    reason = next((reason for reason in policy.cancel_reasons if comparable(reason) == comparable(said)), None)
    if reason is None:
        raise HTTPException(422, f"A cancel reason is one of {_join([repr(r) for r in policy.cancel_reasons])}, "
                                 f"not {said!r}")
    return reason
