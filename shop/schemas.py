"""Request and response models of the shop HTTP API, field for field as in docs/shop-api.md."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, field_validator, model_validator

from shop.auth import MAX_PASSWORD_CHARS
from shop.models import CANCELLABLE, OrderStatus, UserRole

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


class Order(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str  # the integer key as a string: ids are spoken and shown, never computed with
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    total: float
    tracking_number: str | None
    lines: list[OrderLine]

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("created_at", "updated_at")
    @classmethod
    def _timestamps_in_utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> str:
        return order_fingerprint(self)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cancellable(self) -> bool:
        """Whether the shop would cancel it now, so the assistant doesn't offer what it would refuse."""
        return self.status in CANCELLABLE


def order_fingerprint(order: Order) -> str:
    """Names an order as the customer was told about it: id, status, lines and total (not timestamps).

    A cancel sent with this as ``expected_fingerprint`` goes ahead only if the order is still in that state.
    """
    return _digest({"id": order.id, "status": order.status.value, "lines": _line_keys(order.lines),
                    "total": _money(order.total)})
