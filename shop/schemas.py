"""Request and response models of the shop HTTP API, field for field as in docs/shop-api.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shop.models import OrderStatus

ProductIdText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


def _as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every timestamp we store is UTC, so say so in the JSON."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str
    name: str


class LoginRequest(BaseModel):
    login: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class LoginResponse(BaseModel):
    token: str
    user: User


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
    colors: list[str]
    sizes: list[str]
    match: str | None = None  # why a search matched this product


class Product(ProductSummary):
    description: str


class SearchResult(BaseModel):
    total: int
    items: list[ProductSummary]


class NameCount(BaseModel):
    """A category or brand with how many products it has."""

    name: str
    count: int


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
    product_id: ProductIdText
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    color: OptionText | None = None
    size: OptionText | None = None


class UpdateQuantity(BaseModel):
    quantity: Annotated[int, Field(ge=0, le=99)]


class OrderLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: str
    name: str
    unit_price: float
    quantity: int
    color: str | None
    size: str | None


class CartLine(OrderLine):
    line_total: float
    stock: int


class Cart(BaseModel):
    lines: list[CartLine]
    item_count: int  # units, summed over lines
    subtotal: float


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
