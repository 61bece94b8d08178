"""Sign-in: customer roles, password hashes and sessions replace the fixed per-customer token.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Written by ``alembic revision --autogenerate`` and then edited: existing customers get the role ``customer``
(a server default while the column is added, dropped afterwards so the table matches the models), and their
old bearer tokens go: sign-in now starts sessions (``sessions``, only token hashes stored).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database made by create_all() after sign-in came but before migrations did already has some of this:
    # add only what is missing, as 0001 does.
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("sessions"):
        op.create_table(
            "sessions",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("token_hash"),
        )
        op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    columns = {column["name"] for column in inspector.get_columns("users")}
    role = sa.Enum("customer", "owner", name="userrole", native_enum=False)
    with op.batch_alter_table("users") as batch:
        if "role" not in columns:
            batch.add_column(sa.Column("role", role, nullable=False, server_default="customer"))
        if "password_hash" not in columns:
            batch.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        if "token" in columns:
            batch.drop_column("token")
    if "role" not in columns:
        with op.batch_alter_table("users") as batch:
            batch.alter_column("role", server_default=None, existing_type=role, existing_nullable=False)


def downgrade() -> None:
    # The old schema wants a unique token per customer: each gets one nobody knows (sign in again after).
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    op.execute("UPDATE users SET token = 'signed-out-' || CAST(id AS VARCHAR(20))")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("users_token_key", ["token"])
        batch.drop_column("password_hash")
        batch.drop_column("role")
    op.drop_table("sessions")
