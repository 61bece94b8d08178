"""ORM models of the reference shop (SQLAlchemy 2 typed mappings)."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone

from sqlalchemy import (JSON, Boolean, Date, DateTime, Enum, Float, ForeignKey, Integer, Numeric, String, Text,
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
    # After the purchase (shop/policy.yaml says which change each state allows):
    pending_items_modified = "pending (items modified)"  # items changed once: no second change
    return_requested = "return requested"
    exchange_requested = "exchange requested"


# Stored as plain strings (native_enum=False): the columns are sized for the longest value.
ORDER_STATUS_LENGTH = 24


class KeyedOperation(str, enum.Enum):
    """What an ``Idempotency-Key`` was spent on."""

    checkout = "checkout"
    cancel = "cancel"
    return_items = "return_items"
    exchange_items = "exchange_items"
    modify_items = "modify_items"
    change_address = "change_address"
    change_payment = "change_payment"


KEYED_OPERATION_LENGTH = 14


class PaymentKind(str, enum.Enum):
    card = "card"
    paypal = "paypal"
    gift_card = "gift_card"


class RefundState(str, enum.Enum):
    awaiting_items = "awaiting items"  # a return: the money goes back once the items arrive
    processing = "processing"  # on its way to a card or PayPal
    completed = "completed"


class TransactionKind(str, enum.Enum):
    charge = "charge"
    refund = "refund"


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

    def snapshot(self) -> dict[str, str | None]:
        """What an order keeps of the address it ships to (the customer may edit or drop the address later)."""
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


ADDRESS_FIELDS = ("label", "recipient", "line1", "line2", "city", "region", "postal_code", "country")


class PaymentMethod(Base):
    """How a customer pays, as a label and last digits only: the shop processes no real payments.

    A gift card has a balance: paying with it takes from the balance, a refund to it adds at once."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(Enum(PaymentKind, native_enum=False, length=12))
    label: Mapped[str] = mapped_column(String(40))  # "Visa", "PayPal", "Gift card"
    last_digits: Mapped[str | None] = mapped_column(String(4), nullable=True)
    balance: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False), nullable=True)  # gift cards
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
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus, native_enum=False, length=ORDER_STATUS_LENGTH),
                                                default=OrderStatus.pending)
    total: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    tracking_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # None for orders from before addresses and payment methods were recorded.
    shipping_address: Mapped[dict[str, str | None] | None] = mapped_column(JSON, nullable=True)
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  lazy="selectin", order_by="OrderLine.id")  # "the second item"
    payment_method: Mapped[PaymentMethod | None] = relationship(lazy="selectin")
    transactions: Mapped[list[OrderTransaction]] = relationship(
        back_populates="order", lazy="selectin", order_by="OrderTransaction.id", cascade="all, delete-orphan")


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
    # After the purchase: how many units the customer is sending back, and the variant they get instead
    # ({"variant_id", "sku", "options", "unit_price", "quantity"}) when exchanging.
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0)
    exchange: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderTransaction(Base):
    """Money moved for an order after checkout: a refund (cancel, return, a cheaper variant) or a charge (a
    dearer variant, a new payment method). Only records: no real payment is processed."""

    __tablename__ = "order_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[TransactionKind] = mapped_column(Enum(TransactionKind, native_enum=False, length=8))
    reason: Mapped[str] = mapped_column(String(40))  # "cancel", "return", "exchange", "modify_items", "change_payment"
    amount: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))  # > 0
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"), nullable=True)
    state: Mapped[RefundState] = mapped_column(Enum(RefundState, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_by: Mapped[date | None] = mapped_column(Date, nullable=True)  # a refund to a card or PayPal: at the latest

    order: Mapped[Order] = relationship(back_populates="transactions")
    payment_method: Mapped[PaymentMethod | None] = relationship(lazy="selectin")


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` a customer sent with a checkout or cancel, and the order that request produced.

    A repeat of the request with the same key answers with that order instead of acting again.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(100))
    operation: Mapped[KeyedOperation] = mapped_column(Enum(KeyedOperation, native_enum=False,
                                                           length=KEYED_OPERATION_LENGTH))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship()
