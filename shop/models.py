"""ORM models of the reference shop (SQLAlchemy 2 typed mappings)."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, DateTime, Enum, Float, ForeignKey, Integer, Numeric, String, Text,
                        UniqueConstraint, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class OrderStatus(str, enum.Enum):
    pending = "pending"
    processing = "processing"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"
    returned = "returned"


CANCELLABLE = (OrderStatus.pending, OrderStatus.processing)


class KeyedOperation(str, enum.Enum):
    """What an ``Idempotency-Key`` was spent on."""

    checkout = "checkout"
    cancel = "cancel"


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # "p1042": short, speakable, stable
    name: Mapped[str] = mapped_column(String(200), index=True)
    brand: Mapped[str] = mapped_column(String(80), index=True)
    category: Mapped[str] = mapped_column(String(80), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False), index=True)
    rating: Mapped[float] = mapped_column(Float, default=0.0, index=True)  # "top rated" lists at 1M rows
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # price and stock summarise the variants ("from" the cheapest available one; the sum), and colors/sizes
    # are the values of the options named Color/Colour and Size: stored, so search and old clients read them
    # as before. shop.catalog.load writes them with the variants; checkout and cancel keep stock in step.
    colors: Mapped[list[str]] = mapped_column(JSON, default=list)
    sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # The shop system's key: imports update by it. Rows made without one (tests, old databases) take the id.
    handle: Mapped[str] = mapped_column(String(120), unique=True, index=True,
                                        default=lambda context: context.get_current_parameters()["id"])
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A draft (Shopify's Published = FALSE) is stored but not searchable, not shown and not sold.
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    options: Mapped[list[ProductOption]] = relationship(order_by="ProductOption.position", lazy="selectin",
                                                        cascade="all, delete-orphan")
    variants: Mapped[list[Variant]] = relationship(order_by="Variant.position", lazy="selectin",
                                                   back_populates="product")
    modifiers: Mapped[list[Modifier]] = relationship(order_by="Modifier.position", lazy="selectin",
                                                     cascade="all, delete-orphan")


class ProductOption(Base):
    """A named option of a product ("Size") and its values in the shop's order."""

    __tablename__ = "product_options"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    values: Mapped[list[str]] = mapped_column(JSON)


class Variant(Base):
    """One purchasable combination of option values, with its own SKU, price and stock.

    Variants are never deleted while lines may point at them: a variant dropped from a re-import becomes
    unavailable instead."""

    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(80), unique=True)
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # option name -> value
    price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    compare_at_price: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False), nullable=True)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    available: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="variants")


class Modifier(Base):
    """A priced add-on chosen with a line (gift wrap, oat milk); one per ``group`` at most."""

    __tablename__ = "modifiers"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False), default=0.0)
    group: Mapped[str | None] = mapped_column(String(80), nullable=True)


class UserRole(str, enum.Enum):
    customer = "customer"
    owner = "owner"  # runs the shop (the studio); has no cart or orders of its own


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[UserRole] = mapped_column(Enum(UserRole, native_enum=False), default=UserRole.customer)
    # An argon2 hash (shop.auth); None: no password sign-in (seeded customers, customers from a shop's JWT).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)


class Address(Base):
    """A customer's delivery address (imported with customers; ``is_default``: the one orders go to)."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(40), nullable=True)  # "home", "work"
    recipient: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120), nullable=True)
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginSession(Base):
    """A signed-in client. Only the SHA-256 of its bearer token is stored, so a copy of the database signs no
    one in; a session ends at ``expires_at`` or when revoked (logout, password change)."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)

    user: Mapped[User] = relationship(lazy="joined")


class CartLine(Base):
    """A variant (and its chosen modifiers) in a customer's cart. ``color``/``size`` repeat the variant's
    Color/Size option values for old clients; the price is always read live from the variant and modifiers."""

    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("user_id", "variant_id", "modifier_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size: Mapped[str | None] = mapped_column(String(40), nullable=True)
    modifier_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # sorted
    modifier_key: Mapped[str] = mapped_column(String(200), default="")  # the ids joined: one line per choice
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")
    variant: Mapped[Variant] = relationship(lazy="joined")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus, native_enum=False), default=OrderStatus.pending)
    total: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    tracking_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  lazy="selectin")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # copied: the order keeps what was bought at that time
    unit_price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    quantity: Mapped[int] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # What was bought, copied like name and unit_price (which includes the modifiers): the variant may change.
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"), nullable=True, index=True)
    sku: Mapped[str | None] = mapped_column(String(80), nullable=True)
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    modifiers: Mapped[list[dict]] = mapped_column(JSON, default=list)  # [{"name", "price", "group"}]

    order: Mapped[Order] = relationship(back_populates="lines")


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` a customer sent with a checkout or cancel, and the order that request produced.

    A repeat of the request with the same key answers with that order instead of acting again.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(100))
    operation: Mapped[KeyedOperation] = mapped_column(Enum(KeyedOperation, native_enum=False))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship()
