"""The catalog's words for the assistant: categories, brands, option names and values, add-ons.

Served by ``GET /catalog/vocabulary`` with an ETag (:func:`catalog_version`) that changes whenever the
catalog does: a product added, edited or removed, its options or add-ons re-imported (the loader rewrites
those rows, so their ids move on). Checking the version is one aggregate query per table; the words are only
read when a client does not have the current version.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.models import Modifier, Product, ProductOption

MAX_OPTIONS = 50  # option names served: the most used ones (a catalog's long tail is one product each)
MAX_VALUES = 100  # values per option, the most used first
MAX_MODIFIERS = 200


def catalog_version(session: Session) -> str:
    """A short tag of the catalog's state: changes with any product, option or add-on change."""
    state = [session.execute(select(func.count(), func.max(Product.updated_at))).one(),
             session.execute(select(func.count(), func.max(ProductOption.id))).one(),
             session.execute(select(func.count(), func.max(Modifier.id))).one()]
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


def _counted(session: Session, column: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(column, func.count()).group_by(column).order_by(func.count().desc(), column)).all()
    return [{"name": name, "count": count} for name, count in rows]


def catalog_vocabulary(session: Session) -> dict[str, Any]:
    """Categories and brands with their product counts, options with their values, add-on names: most used first
    (ties: names alphabetically, values in the shop's order)."""
    products_per_option: Counter[str] = Counter()
    value_uses: dict[str, Counter[str]] = defaultdict(Counter)
    for name, values in session.execute(select(ProductOption.name, ProductOption.values)):
        products_per_option[name] += 1
        value_uses[name].update(values or [])
    options = [{"name": name, "values": [value for value, _ in value_uses[name].most_common(MAX_VALUES)]}
               for name, _ in sorted(products_per_option.items(), key=lambda item: (-item[1], item[0]))[:MAX_OPTIONS]]
    modifiers = session.execute(select(Modifier.name).group_by(Modifier.name)
                                .order_by(func.count().desc(), Modifier.name).limit(MAX_MODIFIERS)).scalars()
    return {"categories": _counted(session, Product.category), "brands": _counted(session, Product.brand),
            "options": options, "modifiers": list(modifiers)}
