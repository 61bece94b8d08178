"""After the purchase: payment methods, order transactions (refunds and charges), and what orders record.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Orders gain the shipping address (a copy), the payment method, when they were delivered and why they were
cancelled; order lines gain the units being returned and the variant an exchange sends instead. The
status and idempotency-operation columns widen for the new values ("pending (items modified)", ...).
Existing orders keep everything: their address and payment method stay unknown (NULL), and a delivered or
returned order counts as delivered when it was last updated, so the return window applies to it too.

On SQLite, ``orders`` is altered in place (ADD COLUMN, and the status length in the stored schema): batch
mode would copy it and drop the old table, which SQLite refuses inside the migration's transaction while
order lines and idempotency keys point at it.

Downgrade drops all of this; orders in a new state go back to the nearest old one (items modified ->
pending, return or exchange requested -> delivered), and idempotency keys spent on the new operations go.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=12, scale=2, asdecimal=False)
OLD_STATUS, NEW_STATUS = 10, 24  # VARCHAR lengths
OLD_OPERATION, NEW_OPERATION = 8, 14
PAYMENT_FK = "fk_orders_payment_method_id_payment_methods"
PAYMENT_COLUMN_SQLITE = "payment_method_id INTEGER REFERENCES payment_methods (id)"
PLAIN_ORDER_COLUMNS = (("shipping_address", sa.JSON), ("delivered_at", lambda: sa.DateTime(timezone=True)),
                       ("cancel_reason", lambda: sa.String(length=40)))


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _edit_sqlite_schema(table: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the table's stored CREATE TABLE: SQLite's documented procedure for schema
    changes that leave the stored rows as they are (a VARCHAR length, which SQLite never enforces; the
    foreign key of a column about to be dropped)."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        updated = bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ? AND instr(sql, ?)",
            (old, new, table, old)).rowcount
        if updated != 1:
            raise RuntimeError(f"{table}: {old!r} not found in its stored schema")
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _status_length(old: int, new: int) -> None:
    if _sqlite():
        _edit_sqlite_schema("orders", f"status VARCHAR({old})", f"status VARCHAR({new})")
    else:
        op.alter_column("orders", "status", type_=sa.String(new), existing_type=sa.String(old), existing_nullable=False)


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("card", "paypal", "gift_card", name="paymentkind", native_enum=False, length=12),
                  nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("last_digits", sa.String(length=4), nullable=True),
        sa.Column("balance", MONEY, nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_methods_user_id", "payment_methods", ["user_id"])

    _status_length(OLD_STATUS, NEW_STATUS)
    for name, column_type in PLAIN_ORDER_COLUMNS:
        op.add_column("orders", sa.Column(name, column_type(), nullable=True))
    if _sqlite():  # a REFERENCES column may be added in place when its default is NULL
        op.execute(f"ALTER TABLE orders ADD COLUMN {PAYMENT_COLUMN_SQLITE}")
    else:
        op.add_column("orders", sa.Column("payment_method_id", sa.Integer(), nullable=True))
        op.create_foreign_key(PAYMENT_FK, "orders", "payment_methods", ["payment_method_id"], ["id"])
    op.execute("UPDATE orders SET delivered_at = updated_at WHERE status IN ('delivered', 'returned')")

    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("returned_quantity", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("exchange", sa.JSON(), nullable=True))
    with op.batch_alter_table("order_lines") as batch:  # the models set it: no default in the schema
        batch.alter_column("returned_quantity", server_default=None, existing_type=sa.Integer(),
                           existing_nullable=False)
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("operation", type_=sa.String(NEW_OPERATION), existing_type=sa.String(OLD_OPERATION),
                           existing_nullable=False)
    op.create_table(
        "order_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("charge", "refund", name="transactionkind", native_enum=False, length=8),
                  nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.Enum("awaiting_items", "processing", "completed", name="refundstate",
                                   native_enum=False, length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["payment_method_id"], ["payment_methods.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_transactions_order_id", "order_transactions", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_transactions_order_id", table_name="order_transactions")
    op.drop_table("order_transactions")
    op.execute("DELETE FROM idempotency_keys WHERE operation NOT IN ('checkout', 'cancel')")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("operation", type_=sa.String(OLD_OPERATION), existing_type=sa.String(NEW_OPERATION),
                           existing_nullable=False)
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("exchange")
        batch.drop_column("returned_quantity")

    op.execute("UPDATE orders SET status = 'pending' WHERE status = 'pending_items_modified'")
    op.execute("UPDATE orders SET status = 'delivered' WHERE status IN ('return_requested', 'exchange_requested')")
    if _sqlite():  # SQLite drops no column that a foreign key names: drop the key from the stored schema first
        _edit_sqlite_schema("orders", PAYMENT_COLUMN_SQLITE, "payment_method_id INTEGER")
    else:
        op.drop_constraint(PAYMENT_FK, "orders", type_="foreignkey")
    op.drop_column("orders", "payment_method_id")
    for name, _ in reversed(PLAIN_ORDER_COLUMNS):
        op.drop_column("orders", name)
    _status_length(NEW_STATUS, OLD_STATUS)
    op.drop_index("ix_payment_methods_user_id", table_name="payment_methods")
    op.drop_table("payment_methods")
