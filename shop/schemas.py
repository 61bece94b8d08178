"""Request and response models of the shop HTTP API, field for field as in docs/shop-api.md."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, field_validator, model_validator

from shop.auth import MAX_PASSWORD_CHARS
from shop.models import OrderStatus, PaymentKind, RefundState, TransactionKind, UserRole
from shop.policy import default_policy

ProductIdText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


FINGERPRINT_LENGTH = 16


def _as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every timestamp we store is UTC, so say so in the JSON."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str
    name: str
    role: UserRole


class LoginRequest(BaseModel):
    login: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    # Left out only by the demo login; never stripped: spaces are part of a password.
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_CHARS)] | None = None


class ShopTokenRequest(BaseModel):
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8192)]


class LoginResponse(BaseModel):
    token: str  # the session's bearer token: shown once, stored only as a hash
    user: User
    expires_at: datetime


class ProductOption(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    values: list[str]


class Variant(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    options: dict[str, str]  # option name -> value
    price: float
    compare_at_price: float | None
    stock: int
    available: bool


class Modifier(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    price: float
    group: str | None


class ProductSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    brand: str
    category: str
    price: float
    rating: float
    review_count: int
    stock: int
    colors: list[str]  # the values of the option named Color/Colour, for clients from before options
    sizes: list[str]  # the values of the option named Size
    match: str | None = None  # why a search matched this product
    handle: str
    options: list[ProductOption]
    variants: list[Variant]
    modifiers: list[Modifier]


class Product(ProductSummary):
    description: str


class SearchResult(BaseModel):
    """A page of products, and what the search understood: the filters it applied, those it dropped to find
    anything (``relaxed``, in order) and those it could not use (``ignored``: not said, not in the catalog, or
    ruled out by the customer), so a reply can say what was understood."""

    total: int
    items: list[ProductSummary]
    applied: dict[str, Any] = Field(default_factory=dict)  # {"query": "running shoes", "brand": "Nike", ...}
    relaxed: list[dict[str, Any]] = Field(default_factory=list)  # [{"filter": "max_price", "value": 50}]
    ignored: list[dict[str, str]] = Field(default_factory=list)  # [{"filter", "value", "reason"}]
    similar_only: bool = False  # no result matched the words, only the meaning


class NameCount(BaseModel):
    """A category or brand with how many products it has."""

    name: str
    count: int


class CatalogVocabulary(BaseModel):
    """The catalog's words, most used first (``GET /catalog/vocabulary``)."""

    categories: list[NameCount]
    brands: list[NameCount]
    options: list[ProductOption]  # across the catalog: each option name once, its values most used first
    modifiers: list[str]


class RecommendedProduct(ProductSummary):
    reason: str


class RecommendationList(BaseModel):
    items: list[RecommendedProduct]


class HelpAnswer(BaseModel):
    """The help center's answer to a question; only ``found: false`` when nothing is close enough."""

    found: bool
    answer: str | None = None
    source: str | None = None  # "<file>#<entry id>"
    score: float | None = None
    matched_question: str | None = None


class AddToCart(BaseModel):
    """What to add: a product and which of its variants, by ``variant_id`` or by option values (``color`` and
    ``size`` are shorthands for the options of those names), with modifiers by name or id."""

    product_id: ProductIdText
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    color: OptionText | None = None
    size: OptionText | None = None
    variant_id: Annotated[int, Field(ge=1)] | None = None
    options: Annotated[dict[OptionText, OptionText], Field(max_length=10)] | None = None
    modifiers: Annotated[list[OptionText | Annotated[int, Field(ge=1)]], Field(max_length=10)] | None = None


class LineModifier(BaseModel):
    name: str
    price: float
    group: str | None = None


class UpdateQuantity(BaseModel):
    """A cart line's new quantity (0 removes it) and/or its variant and add-ons changed in place ("make it oat
    milk", "make it large"): ``options`` override the line's option values, ``modifiers`` replace its add-ons of
    the same group (one without a group joins them). At least one of the three."""

    quantity: Annotated[int, Field(ge=0, le=99)] | None = None
    options: Annotated[dict[OptionText, OptionText], Field(min_length=1, max_length=10)] | None = None
    modifiers: Annotated[list[OptionText | Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=10)] | None = None

    @model_validator(mode="after")
    def _says_what_changes(self) -> UpdateQuantity:
        if self.quantity is None and self.options is None and self.modifiers is None:
            raise ValueError("give quantity, options or modifiers")
        return self


class OrderLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: str
    name: str
    unit_price: float  # the variant's price plus the modifiers'
    quantity: int
    color: str | None
    size: str | None
    variant_id: int | None = None  # None only for order lines whose variant no longer exists
    sku: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    modifiers: list[LineModifier] = Field(default_factory=list)
    returned_quantity: int = 0  # units being sent back (a return)
    exchange: dict[str, Any] | None = None  # the variant an exchange sends instead: variant_id, sku, options, ...


class CartLine(OrderLine):
    line_total: float
    stock: int


def _digest(content: Any) -> str:
    """First 16 hex digits of the SHA-256 of ``content`` as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _money(amount: float) -> str:
    return f"{amount:.2f}"  # cents, so 19.9 and 19.90 (or a float's last bits) hash alike


def _line_keys(lines: Iterable[OrderLine]) -> list[list[Any]]:
    """What identifies the lines for a fingerprint, in an order that ignores the order they were added in."""
    keys = [[line.product_id, line.variant_id or 0, line.sku or "", sorted(line.options.items()),
             sorted([modifier.name, _money(modifier.price)] for modifier in line.modifiers),
             line.color or "", line.size or "", line.quantity, _money(line.unit_price)]
            for line in lines]
    return sorted(keys)


def cart_fingerprint(cart: Cart) -> str:
    """Names exactly what a checkout of ``cart`` would buy and charge.

    Covers each line's product, variant (id, SKU, options), modifiers, color, size, quantity and current unit
    price, and the subtotal; not the
    stock shown, nor the order lines were added in. A checkout sent with this as ``expected_fingerprint``
    goes ahead only if the cart is still the one the customer confirmed.
    """
    return _digest({"lines": _line_keys(cart.lines), "subtotal": _money(cart.subtotal)})


class Cart(BaseModel):
    lines: list[CartLine]
    item_count: int  # units, summed over lines
    subtotal: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> str:
        return cart_fingerprint(self)


class ExpectedFingerprint(BaseModel):
    """Optional body of POST /checkout and POST /orders/{id}/cancel: act only on what the customer confirmed."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field must not silently turn the check off

    expected_fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class PaymentMethod(BaseModel):
    """A payment method as the shop keeps it: a label and last digits, a balance for gift cards."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: PaymentKind
    label: str
    last_digits: str | None
    balance: float | None
    is_default: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def spoken(self) -> str:
        """"Visa ending 4242", "PayPal", "gift card ending 7890 ($25.00 left)": how the assistant names it."""
        ending = f" ending {self.last_digits}" if self.last_digits else ""
        left = f" (${self.balance:,.2f} left)" if self.balance is not None else ""
        return f"{self.label}{ending}{left}"


class Address(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    label: str | None = None
    recipient: str
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str


class SavedAddress(Address):
    id: int
    is_default: bool


AddressText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class NewAddress(BaseModel):
    """An address the customer says; ``recipient`` defaults to the customer's name."""

    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    recipient: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None
    line1: AddressText
    line2: AddressText | None = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]


class AddressChoice(BaseModel):
    """Which address: one of the customer's saved ones (by id or label, "work") or a new one."""

    model_config = ConfigDict(extra="forbid")

    address_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    address: NewAddress | None = None
    expected_fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


MethodRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class PaymentChoice(BaseModel):
    """``payment_method``: an id, a kind ("paypal", "gift card", "card") or the last digits ("4242")."""

    model_config = ConfigDict(extra="forbid")

    payment_method: MethodRef
    expected_fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class ItemRef(BaseModel):
    """An item of an order: its ``line`` (1 = the first item as listed), product id or SKU."""

    model_config = ConfigDict(extra="forbid")

    line: Annotated[int, Field(ge=1, le=500)] | None = None
    product_id: ProductIdText | None = None
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None = None
    quantity: Annotated[int, Field(ge=1, le=99)] | None = None  # default: all of the line's units


class ItemChange(ItemRef):
    """An item and the variant of the same product it becomes: by option values ("Size": "10"; the item's
    other options stay) or by variant id."""

    options: Annotated[dict[OptionText, OptionText], Field(max_length=10)] | None = None
    variant_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[ItemRef], Field(min_length=1, max_length=50)]
    refund_to: MethodRef | None = None  # "original" (default), "gift card" or one of the customer's methods
    expected_fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class ItemChangeRequest(BaseModel):
    """Exchange (delivered) or modify (pending) items; ``pay_with`` settles the price difference (default:
    the order's payment method)."""

    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[ItemChange], Field(min_length=1, max_length=50)]
    pay_with: MethodRef | None = None
    expected_fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class CancelRequest(ExpectedFingerprint):
    """Optional body of POST /orders/{id}/cancel: the fingerprint and why (one of the policy's reasons)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None


class PolicyView(BaseModel):
    """``GET /policy``: the after-purchase rules the shop enforces, from ``shop/policy.yaml``."""

    return_window_days: int
    exchange_window_days: int
    cancel_reasons: list[str]
    rules: dict[str, str]  # action -> the rule as a sentence
    states: dict[str, list[str]]  # action -> the order states that allow it


class Transaction(BaseModel):
    """A refund or charge of an order; a refund to a card or PayPal arrives by ``due_by`` at the latest."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: str
    kind: TransactionKind
    reason: str
    amount: float
    state: RefundState
    due_by: date | None
    created_at: datetime
    payment_method: PaymentMethod | None

    @field_validator("order_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("created_at")
    @classmethod
    def _timestamps_in_utc(cls, value: datetime) -> datetime:
        return _as_utc(value)


class Order(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str  # the integer key as a string: ids are spoken and shown, never computed with
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    total: float
    tracking_number: str | None
    lines: list[OrderLine]
    shipping_address: Address | None = None
    payment_method: PaymentMethod | None = None
    delivered_at: datetime | None = None
    cancel_reason: str | None = None
    transactions: list[Transaction] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("created_at", "updated_at", "delivered_at")
    @classmethod
    def _timestamps_in_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> str:
        return order_fingerprint(self)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cancellable(self) -> bool:
        """Whether the shop would cancel it now, so the assistant doesn't offer what it would refuse."""
        return default_policy().allows("cancel", self.status)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allowed(self) -> list[str]:
        """The changes the policy allows in this state (``shop/policy.yaml``): cancel, return, ..."""
        return list(default_policy().allowed_in(self.status))


def order_fingerprint(order: Order) -> str:
    """Names an order as the customer was told about it: id, status, lines and total (not timestamps), and
    the address and payment method once it has them (orders from before those have the same fingerprint).

    A cancel or change sent with this as ``expected_fingerprint`` goes ahead only if the order is still so.
    """
    content: dict[str, Any] = {"id": order.id, "status": order.status.value, "lines": _line_keys(order.lines),
                               "total": _money(order.total)}
    if order.shipping_address is not None:
        content["address"] = order.shipping_address.model_dump()
    if order.payment_method is not None:
        content["payment"] = order.payment_method.id
    return _digest(content)


class ChangePreview(BaseModel):
    """What a change would do (``?preview=true``): the order now (its ``fingerprint`` is what a confirmed
    request sends as ``expected_fingerprint``) and as it would be after, transactions included."""

    order: Order
    after: Order
