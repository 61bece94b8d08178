"""Options, variants and modifiers; cart and order lines hold a variant; customer addresses.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Every existing product stays one product: its ``colors`` and ``sizes`` become the options ``Color`` and
``Size`` (in that order, when it has them) with one variant per combination, each at the product's price.
The product's stock is split across its variants (evenly, the first ones taking the remainder), so the
product's total, which search and ranking read, is what it was. The handle of an existing product is its id.

Cart lines point at the variant of their product whose Color/Size match theirs (case-insensitive); an option
the line left open takes the product's first value, because a cart line now names exactly one variant (the
line's color/size are set to that variant's). Order lines point at the variant the same way, and keep the
options the customer actually chose (``options`` holds only what the line named).

Downgrade drops all of this again; cart lines that differ only by modifiers are merged into one line.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=10, scale=2, asdecimal=False)
# SQLite reflects unnamed constraints without a name; this names them so batch mode can drop them.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}

products = sa.table("products", sa.column("id", sa.String), sa.column("price", MONEY), sa.column("stock", sa.Integer),
                    sa.column("colors", sa.JSON), sa.column("sizes", sa.JSON), sa.column("handle", sa.String),
                    sa.column("tags", sa.JSON))
options_table = sa.table("product_options", sa.column("product_id", sa.String), sa.column("position", sa.Integer),
                         sa.column("name", sa.String), sa.column("values", sa.JSON))
variants = sa.table("variants", sa.column("id", sa.Integer), sa.column("product_id", sa.String),
                    sa.column("position", sa.Integer), sa.column("sku", sa.String), sa.column("options", sa.JSON),
                    sa.column("price", MONEY), sa.column("compare_at_price", MONEY),
                    sa.column("stock", sa.Integer), sa.column("available", sa.Boolean))
cart_lines = sa.table("cart_lines", sa.column("id", sa.Integer), sa.column("product_id", sa.String),
                      sa.column("color", sa.String), sa.column("size", sa.String),
                      sa.column("variant_id", sa.Integer), sa.column("modifier_ids", sa.JSON),
                      sa.column("modifier_key", sa.String))
order_lines = sa.table("order_lines", sa.column("id", sa.Integer), sa.column("product_id", sa.String),
                       sa.column("color", sa.String), sa.column("size", sa.String),
                       sa.column("variant_id", sa.Integer), sa.column("sku", sa.String),
                       sa.column("options", sa.JSON), sa.column("modifiers", sa.JSON))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _unique_name(inspector: sa.Inspector, table: str, columns: list[str]) -> tuple[str, dict | None]:
    """The name of the unique constraint over ``columns`` (SQLite's unnamed ones: named by NAMING)."""
    for constraint in inspector.get_unique_constraints(table):
        if constraint["column_names"] == columns and constraint["name"]:
            return constraint["name"], None
    return f"uq_{table}_{columns[0]}", NAMING


def _create_tables() -> None:
    op.create_table(
        "product_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product_id", "name"),
    )
    op.create_index("ix_product_options_product_id", "product_options", ["product_id"])
    op.create_table(
        "variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=80), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("compare_at_price", MONEY, nullable=True),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sku"),
    )
    op.create_index("ix_variants_product_id", "variants", ["product_id"])
    op.create_table(
        "modifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("group", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product_id", "name"),
    )
    op.create_index("ix_modifiers_product_id", "modifiers", ["product_id"])
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=True),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_addresses_user_id", "addresses", ["user_id"])


def _variant_rows(product: sa.Row) -> tuple[list[dict], list[dict]]:
    """Options and variants of one old product: Color x Size, the stock split across the combinations."""
    named = [(name, list(values or [])) for name, values in (("Color", product.colors), ("Size", product.sizes))]
    named = [(name, values) for name, values in named if values]
    options = [{"product_id": product.id, "position": position, "name": name, "values": values}
               for position, (name, values) in enumerate(named)]
    combinations: list[dict[str, str]] = [{}]
    for name, values in named:
        combinations = [{**combination, name: value} for combination in combinations for value in values]
    share, remainder = divmod(product.stock or 0, len(combinations))
    rows, skus = [], set()
    for position, combination in enumerate(combinations):
        sku = "-".join([product.id, *(_slug(value) for value in combination.values())])[:70]
        if sku in skus:  # two values that slug alike ("Navy Blue", "navy-blue")
            sku = f"{sku}-{position + 1}"
        skus.add(sku)
        rows.append({"product_id": product.id, "position": position, "sku": sku, "options": combination,
                     "price": product.price, "compare_at_price": None,
                     "stock": share + (1 if position < remainder else 0), "available": True})
    return options, rows


def _fold(value: str | None) -> str | None:
    return value.strip().casefold() if value is not None else None


def _matching_variant(candidates: list[tuple[int, dict]], color: str | None, size: str | None) -> tuple[int, dict]:
    """The variant whose Color/Size equal the line's; what the line left open (or no variant has) is not
    matched on, and among several the first (the product's first values) wins."""
    wanted = {name: _fold(value) for name, value in (("Color", color), ("Size", size)) if value is not None}
    for name in list(wanted):
        if not any(_fold(options.get(name)) == wanted[name] for _, options in candidates):
            del wanted[name]
    for variant_id, options in candidates:
        if all(_fold(options.get(name)) == value for name, value in wanted.items()):
            return variant_id, options
    return candidates[0]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    _create_tables()
    # Plain ADD COLUMN: SQLite's batch mode would copy products, which other tables' foreign keys forbid.
    # NOT NULL needs a default there; SQLite keeps it (it cannot drop one in place), Postgres drops it below.
    op.add_column("products", sa.Column("handle", sa.String(length=120), nullable=False, server_default=""))
    op.add_column("products", sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("cart_lines") as batch:
        batch.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("modifier_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("modifier_key", sa.String(length=200), nullable=True))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sku", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("modifiers", sa.JSON(), nullable=True))

    bind.execute(sa.update(products).values(handle=products.c.id, tags=[]))
    option_rows, variant_rows = [], []
    for product in bind.execute(sa.select(products).order_by(products.c.id)):
        options, rows = _variant_rows(product)
        option_rows += options
        variant_rows += rows
    if option_rows:
        bind.execute(sa.insert(options_table), option_rows)
    if variant_rows:
        bind.execute(sa.insert(variants), variant_rows)
    by_product: dict[str, list[tuple[int, dict]]] = {}
    skus: dict[int, str] = {}
    for variant_id, product_id, options, sku in bind.execute(sa.select(
            variants.c.id, variants.c.product_id, variants.c.options, variants.c.sku).order_by(variants.c.id)):
        by_product.setdefault(product_id, []).append((variant_id, options))
        skus[variant_id] = sku

    for line in bind.execute(sa.select(cart_lines)).all():
        variant_id, options = _matching_variant(by_product[line.product_id], line.color, line.size)
        bind.execute(sa.update(cart_lines).where(cart_lines.c.id == line.id).values(
            variant_id=variant_id, modifier_ids=[], modifier_key="",
            color=options.get("Color"), size=options.get("Size")))
    for line in bind.execute(sa.select(order_lines)).all():
        variant_id, _ = _matching_variant(by_product[line.product_id], line.color, line.size)
        chosen = {name: value for name, value in (("Color", line.color), ("Size", line.size)) if value is not None}
        bind.execute(sa.update(order_lines).where(order_lines.c.id == line.id).values(
            variant_id=variant_id, sku=skus[variant_id], options=chosen, modifiers=[]))

    op.create_index("ix_products_handle", "products", ["handle"], unique=True)
    if bind.dialect.name != "sqlite":
        op.alter_column("products", "handle", server_default=None, existing_type=sa.String(length=120))
        op.alter_column("products", "tags", server_default=None, existing_type=sa.JSON())
    old_unique, naming = _unique_name(inspector, "cart_lines", ["user_id", "product_id", "color", "size"])
    with op.batch_alter_table("cart_lines", naming_convention=naming) as batch:
        batch.drop_constraint(old_unique, type_="unique")
        batch.alter_column("variant_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("modifier_ids", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("modifier_key", existing_type=sa.String(length=200), nullable=False)
        batch.create_foreign_key("fk_cart_lines_variant_id", "variants", ["variant_id"], ["id"])
        batch.create_unique_constraint("uq_cart_lines_variant", ["user_id", "variant_id", "modifier_key"])
    with op.batch_alter_table("order_lines") as batch:
        batch.alter_column("options", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("modifiers", existing_type=sa.JSON(), nullable=False)
        batch.create_foreign_key("fk_order_lines_variant_id", "variants", ["variant_id"], ["id"])
        batch.create_index("ix_order_lines_variant_id", ["variant_id"])


def downgrade() -> None:
    bind = op.get_bind()
    # The old cart holds one line per product, color and size: lines that differ only by modifiers merge.
    duplicates = bind.execute(sa.text(
        "SELECT user_id, product_id, color, size, MIN(id), SUM(quantity) FROM cart_lines "
        "GROUP BY user_id, product_id, color, size HAVING COUNT(*) > 1")).all()
    for user_id, product_id, color, size, keep, quantity in duplicates:
        same = sa.text("user_id = :user AND product_id = :product AND color IS NOT DISTINCT FROM :color AND "
                       "size IS NOT DISTINCT FROM :size") if bind.dialect.name == "postgresql" else sa.text(
            "user_id = :user AND product_id = :product AND color IS :color AND size IS :size")
        params = {"user": user_id, "product": product_id, "color": color, "size": size}
        bind.execute(sa.text(f"DELETE FROM cart_lines WHERE {same.text} AND id != :keep"), {**params, "keep": keep})
        bind.execute(sa.text("UPDATE cart_lines SET quantity = :quantity WHERE id = :keep"),
                     {"quantity": min(quantity, 99), "keep": keep})
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_index("ix_order_lines_variant_id")
        batch.drop_constraint("fk_order_lines_variant_id", type_="foreignkey")
        for column in ("modifiers", "options", "sku", "variant_id"):
            batch.drop_column(column)
    with op.batch_alter_table("cart_lines") as batch:
        batch.drop_constraint("uq_cart_lines_variant", type_="unique")
        batch.drop_constraint("fk_cart_lines_variant_id", type_="foreignkey")
        for column in ("modifier_key", "modifier_ids", "variant_id"):
            batch.drop_column(column)
        batch.create_unique_constraint("cart_lines_user_id_product_id_color_size_key",
                                       ["user_id", "product_id", "color", "size"])
    op.drop_index("ix_products_handle", "products")
    op.drop_column("products", "tags")  # SQLite >= 3.35 drops a column in place
    op.drop_column("products", "handle")
    for name in ("addresses", "modifiers", "variants", "product_options"):
        op.drop_table(name)
