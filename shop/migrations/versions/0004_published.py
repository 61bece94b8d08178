"""Drafts: ``products.published`` (Shopify's Published column); every existing product stays published.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A draft is stored but not searchable, not shown and not sold. The server default ``true`` fills the rows
that exist when the column is added and stays, so rows written without it (old clients, raw SQL) are
published too, as before.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# In place, not batch mode: SQLite's copy-and-rename of ``products`` would trip the foreign keys pointing at it.
def upgrade() -> None:
    op.add_column("products", sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("products", "published")  # SQLite >= 3.35 drops a column in place
