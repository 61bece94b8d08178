"""Alembic migrations of the shop's schema (``env.py``, ``versions/``) and what the comparison must ignore."""

from __future__ import annotations

# Tables of SQLite's FTS5 search index (shop.search.ensure_search_index): the search code owns them, not the models.
NOT_MODELLED_PREFIX = "products_fts"


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: compare and migrate every table but the search index's."""
    return not (type_ == "table" and name is not None and name.startswith(NOT_MODELLED_PREFIX))
