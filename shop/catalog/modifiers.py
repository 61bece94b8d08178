"""Add-ons kept beside a catalog file (``modifiers.yaml``): Shopify's product CSV has no column for them.

The form (examples/cafe/modifiers.yaml, docs/catalog-import.md): ``by_type`` gives modifiers for every
product of a category (the CSV's ``Type``), ``by_handle`` for one product, added after those of its type.
A handle or type the catalog does not have, or a modifier name given twice for one product, is a problem
with its line, like any other problem of the file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shop.catalog.files import document_lines, read_document
from shop.catalog.format import CatalogFile, Handle, ModifierSpec, Word, _Strict
from shop.catalog.problems import ImportFileError, Problem

MODIFIERS_BESIDE = "modifiers.yaml"  # the file `voiceshop import catalog` applies when it sits beside the catalog


class ModifiersFile(_Strict):
    by_type: dict[Word, list[ModifierSpec]] = Field(default_factory=dict)  # product category -> its add-ons
    by_handle: dict[Handle, list[ModifierSpec]] = Field(default_factory=dict)  # one product's own add-ons


def read_modifiers(path: Path) -> ModifiersFile:
    """``path`` (YAML or JSON) validated; raises :class:`ImportFileError` naming line and field."""
    return read_document(path, ModifiersFile)


def with_modifiers(catalog: CatalogFile, path: Path) -> tuple[CatalogFile, int]:
    """``catalog`` with the add-ons of ``path`` joined to its products (after any they already have), and how
    many products got some. Raises :class:`ImportFileError` listing every problem of ``path``."""
    modifiers = read_modifiers(path)
    lines = document_lines(path)
    problems: list[Problem] = []
    categories = {product.category for product in catalog.products}
    handles = {product.handle for product in catalog.products}
    for section, known, what in (("by_type", categories, "product Type (category)"),
                                 ("by_handle", handles, "product handle")):
        for key in getattr(modifiers, section):
            if key not in known:
                problems.append(Problem(path.name, lines.get((section, key)), f"{section}.{key}",
                                        f"no {what} {key!r} in the catalog"))
    products, changed = [], 0
    for product in catalog.products:
        added = [*modifiers.by_type.get(product.category, []), *modifiers.by_handle.get(product.handle, [])]
        names: set[str] = set()
        for modifier in [*product.modifiers, *added]:
            if modifier.name.casefold() in names:
                section, key = ("by_handle", product.handle) if product.handle in modifiers.by_handle \
                    else ("by_type", product.category)
                problems.append(Problem(path.name, lines.get((section, key)), f"{section}.{key}",
                                        f"modifier {modifier.name!r} is given twice for product {product.handle!r}"))
            names.add(modifier.name.casefold())
        if added:
            changed += 1
            product = product.model_copy(update={"modifiers": [*product.modifiers, *added]})
        products.append(product)
    if problems:
        raise ImportFileError(problems)
    return catalog.model_copy(update={"products": products}), changed
