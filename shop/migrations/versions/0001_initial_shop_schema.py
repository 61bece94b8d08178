"""Initial shop schema: products, users, cart lines, orders, order lines, idempotency keys (as before sign-in).

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Databases made before migrations existed (``create_all`` at start-up) already hold some of these tables:
only the missing ones are created (``idempotency_keys`` is the one that came last), so they join the
migration history here instead of failing on "table already exists".
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "products" not in existing:
        op.create_table(
            "products",
            sa.Column("id", sa.String(length=16), nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("brand", sa.String(length=80), nullable=False),
            sa.Column("category", sa.String(length=80), nullable=False),
            sa.Column("description", sa.Text(), nullable=False),
            sa.Column("price", sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=False),
            sa.Column("rating", sa.Float(), nullable=False),
            sa.Column("review_count", sa.Integer(), nullable=False),
            sa.Column("stock", sa.Integer(), nullable=False),
            sa.Column("colors", sa.JSON(), nullable=False),
            sa.Column("sizes", sa.JSON(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        for column in ("brand", "category", "name", "price", "rating"):
            op.create_index(f"ix_products_{column}", "products", [column])
    if "users" not in existing:
        op.create_table(
            "users",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("login", sa.String(length=80), nullable=False),
            sa.Column("name", sa.String(length=120), nullable=False),
            sa.Column("token", sa.String(length=64), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("login"),
            sa.UniqueConstraint("token"),
        )
    if "cart_lines" not in existing:
        op.create_table(
            "cart_lines",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("product_id", sa.String(length=16), nullable=False),
            sa.Column("quantity", sa.Integer(), nullable=False),
            sa.Column("color", sa.String(length=40), nullable=True),
            sa.Column("size", sa.String(length=40), nullable=True),
            sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("user_id", "product_id", "color", "size"),
        )
        op.create_index("ix_cart_lines_user_id", "cart_lines", ["user_id"])
    if "orders" not in existing:
        op.create_table(
            "orders",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("status", sa.Enum("pending", "processing", "shipped", "delivered", "cancelled", "returned",
                                        name="orderstatus", native_enum=False), nullable=False),
            sa.Column("total", sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False),
            sa.Column("tracking_number", sa.String(length=40), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_orders_created_at", "orders", ["created_at"])
        op.create_index("ix_orders_user_id", "orders", ["user_id"])
    if "idempotency_keys" not in existing:
        op.create_table(
            "idempotency_keys",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("key", sa.String(length=100), nullable=False),
            sa.Column("operation", sa.Enum("checkout", "cancel", name="keyedoperation", native_enum=False),
                      nullable=False),
            sa.Column("order_id", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("user_id", "key"),
        )
    if "order_lines" not in existing:
        op.create_table(
            "order_lines",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("order_id", sa.Integer(), nullable=False),
            sa.Column("product_id", sa.String(length=16), nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("unit_price", sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=False),
            sa.Column("quantity", sa.Integer(), nullable=False),
            sa.Column("color", sa.String(length=40), nullable=True),
            sa.Column("size", sa.String(length=40), nullable=True),
            sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
            sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
        op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])


def downgrade() -> None:
    for name in ("order_lines", "idempotency_keys", "orders", "cart_lines", "users", "products"):
        op.drop_table(name)  # a table's indexes go with it
