"""Shopify's product CSV export as a :class:`~shop.catalog.format.CatalogFile`.

Shopify's convention: the rows of one product share its ``Handle``; the first carries the product's fields
(Title, Body (HTML), Vendor, Type, Tags, Published, Status, the Option names) and its first variant, each
following row one more variant (Option values, Variant SKU / Price / Compare At Price / Inventory Qty) or
only an extra image (no variant fields: skipped). A product without options is written as one variant whose
Option1 is ``Title`` = ``Default Title``. Columns this reader does not use (images, weights, SEO, metafields,
...) are ignored. docs/catalog-import.md lists the columns and what each becomes.

Every problem is reported with the row a spreadsheet shows (the header is row 1) and the column; a file with
any problem yields none of its products.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from pydantic import ValidationError

from shop.catalog.format import CatalogFile, ProductSpec, VariantSpec
from shop.catalog.problems import ImportFileError, Problem, pydantic_message

HANDLE, TITLE, BODY, VENDOR, TAGS = "Handle", "Title", "Body (HTML)", "Vendor", "Tags"
PRODUCT_CATEGORY, TYPE, PUBLISHED, STATUS = "Product Category", "Type", "Published", "Status"
SKU, PRICE, COMPARE_AT = "Variant SKU", "Variant Price", "Variant Compare At Price"
QUANTITY, POLICY, TRACKER = "Variant Inventory Qty", "Variant Inventory Policy", "Variant Inventory Tracker"
OPTION_COUNT = 3  # Shopify's export carries Option1..Option3
DEFAULT_OPTION = ("Title", "Default Title")  # how Shopify writes "this product has no options"
# Older exports call the shop's own product type "Custom Product Type" (and Shopify's "Standard Product Type").
TYPE_COLUMNS = (TYPE, "Custom Product Type", "Product Type")
REQUIRED_COLUMNS = (HANDLE, TITLE, PRICE)


def option_name_column(number: int) -> str:
    return f"Option{number} Name"


def option_value_column(number: int) -> str:
    return f"Option{number} Value"


# Which column a ProductSpec / VariantSpec field comes from, to point a validation error at the cell.
_PRODUCT_COLUMNS = {"handle": HANDLE, "title": TITLE, "vendor": VENDOR, "category": TYPE, "description": BODY,
                    "tags": TAGS, "published": PUBLISHED, "options": option_name_column(1)}
_VARIANT_COLUMNS = {"sku": SKU, "price": PRICE, "compare_at_price": COMPARE_AT, "stock": QUANTITY,
                    "options": option_value_column(1), "available": POLICY}
_CSV_FIELD_LIMIT = 10 * 1024 * 1024  # a long Body (HTML) is one field; csv's default limit is 128 KiB


@dataclass
class _Variant:
    row: int
    spec: VariantSpec


@dataclass
class _Product:
    """A product while its rows are read."""

    row: int  # its first row
    fields: dict[str, object]
    option_names: list[str]
    variants: list[_Variant] = field(default_factory=list)


class _Row:
    """One CSV record with forgiving column lookup (case and surrounding spaces of the header ignored)."""

    def __init__(self, number: int, cells: Mapping[str | None, str | list[str] | None],
                 columns: Mapping[str, str]) -> None:
        self.number = number
        self._cells = cells
        self._columns = columns

    def __getitem__(self, column: str) -> str:
        header = self._columns.get(column.casefold())
        value = self._cells.get(header) if header is not None else None
        return value.strip() if isinstance(value, str) else ""

    def has_column(self, column: str) -> bool:
        return column.casefold() in self._columns

    def is_blank(self) -> bool:
        return not any(isinstance(value, str) and value.strip() for value in self._cells.values())


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def problem(self, row: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, row, column, message))

    # --- cells ---------------------------------------------------------------------------------------------

    def money(self, row: _Row, column: str, *, required: bool) -> float | None:
        text = row[column]  # Shopify writes "1299.00": a comma is no thousands or decimal mark to guess at
        if not text:
            if required:
                self.problem(row.number, column, "required: the variant's price")
            return None
        try:
            value = float(text)
        except ValueError:
            self.problem(row.number, column, f"{row[column]!r} is not a number")
            return None
        if not 0 <= value <= 1_000_000:
            self.problem(row.number, column, f"{row[column]} is not a price between 0 and 1,000,000")
            return None
        return value

    def quantity(self, row: _Row) -> int:
        text = row[QUANTITY]
        try:
            quantity = float(text) if text else 0.0  # a spreadsheet may have written 12 as "12.0"
        except ValueError:
            quantity = 0.5
        if not quantity.is_integer():
            self.problem(row.number, QUANTITY, f"{text!r} is not a whole number")
            return 0
        return max(int(quantity), 0)  # Shopify exports oversold variants' negative quantities: none in stock

    def flag(self, row: _Row, column: str, default: bool) -> bool:
        text = row[column].casefold()
        if not text:
            return default
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        self.problem(row.number, column, f"{row[column]!r} is neither TRUE nor FALSE")
        return default

    # --- rows ----------------------------------------------------------------------------------------------

    def first_row(self, row: _Row) -> _Product:
        """A product's first row: its fields and option names."""
        category = next((row[column] for column in TYPE_COLUMNS if row[column]), "")
        if not category and row[PRODUCT_CATEGORY]:
            category = row[PRODUCT_CATEGORY].split(">")[-1].strip()  # Shopify's taxonomy path: its leaf
        if not category:
            self.problem(row.number, TYPE, f"required: the product's type (or a {PRODUCT_CATEGORY})")
        if not row[TITLE]:
            self.problem(row.number, TITLE, "required on a product's first row")
        if not row[VENDOR]:
            self.problem(row.number, VENDOR, "required on a product's first row: the brand")
        status = row[STATUS].casefold()
        if status not in ("", "active", "draft", "archived"):
            self.problem(row.number, STATUS, f"{row[STATUS]!r} is not active, draft or archived")
        published = self.flag(row, PUBLISHED, True) and status in ("", "active")
        names = [row[option_name_column(n)] for n in range(1, OPTION_COUNT + 1)]
        if (names[0], row[option_value_column(1)]) == DEFAULT_OPTION:
            names[0] = ""
        while names and not names[-1]:
            names.pop()
        for number, name in enumerate(names, 1):
            if name and name.casefold() in (earlier.casefold() for earlier in names[:number - 1]):
                self.problem(row.number, option_name_column(number), f"option {name!r} is named twice")
            if not name:
                self.problem(row.number, option_name_column(number),
                             f"empty, but Option{number + 1} Name is given: options are numbered from 1")
        tags = list(dict.fromkeys(tag.strip() for tag in row[TAGS].split(",") if tag.strip()))
        fields = {"handle": row[HANDLE], "title": row[TITLE], "vendor": row[VENDOR], "category": category,
                  "description": html_to_text(row[BODY]), "tags": tags, "published": published}
        return _Product(row.number, fields, [name for name in names if name])

    def variant_row(self, row: _Row, product: _Product) -> None:
        values: dict[str, str] = {}
        for number in range(1, OPTION_COUNT + 1):
            value = row[option_value_column(number)]
            if number <= len(product.option_names):
                if value:
                    values[product.option_names[number - 1]] = value
                else:
                    self.problem(row.number, option_value_column(number),
                                 f"required: this product's option {product.option_names[number - 1]!r} "
                                 f"(row {product.row})")
            elif value and not (number == 1 and value == DEFAULT_OPTION[1]):
                self.problem(row.number, option_value_column(number),
                             f"{value!r} given, but the product's first row (row {product.row}) names no "
                             f"Option{number}")
        price = self.money(row, PRICE, required=True)
        compare_at = self.money(row, COMPARE_AT, required=False)
        stock = self.quantity(row)
        tracked = not row.has_column(TRACKER) or bool(row[TRACKER])
        # Sold out only when Shopify tracks the stock and denies overselling at zero.
        available = not row.has_column(QUANTITY) or not tracked or stock > 0 or row[POLICY].casefold() == "continue"
        sku = row[SKU] or generated_sku(product.fields["handle"], list(values.values()))
        if price is None or len(values) != len(product.option_names):
            return
        for earlier in product.variants:
            if earlier.spec.options == values:
                self.problem(row.number, option_value_column(1),
                             f"the same options as row {earlier.row} ({_said(values)}): each variant needs its own")
                return
        try:
            spec = VariantSpec(sku=sku, options=values, price=price, compare_at_price=compare_at, stock=stock,
                               available=available)
        except ValidationError as error:
            for detail in error.errors():
                column = _VARIANT_COLUMNS.get(str(detail["loc"][0]), "")
                self.problem(row.number, column, pydantic_message(detail["msg"]))
            return
        product.variants.append(_Variant(row.number, spec))

    def product(self, draft: _Product) -> ProductSpec | None:
        rows = {draft.row, *(variant.row for variant in draft.variants)}
        if any(problem.where in rows for problem in self.problems):
            return None  # already said what is wrong with its rows; the model would only say it again
        if not draft.variants:
            self.problem(draft.row, PRICE, "the product has no variant (a row with a Variant Price)")
            return None
        # An option's values in the order the variants first use them (Shopify's order).
        options = [{"name": name, "values": list(dict.fromkeys(variant.spec.options[name]
                                                                for variant in draft.variants))}
                   for name in draft.option_names]
        try:
            return ProductSpec.model_validate({**draft.fields, "options": options,
                                               "variants": [variant.spec for variant in draft.variants]})
        except ValidationError as error:
            for detail in error.errors():
                location = detail["loc"]
                if location and location[0] == "variants" and len(location) > 1:
                    variant = draft.variants[int(location[1])]
                    column = _VARIANT_COLUMNS.get(str(location[2]), "") if len(location) > 2 else ""
                    self.problem(variant.row, column, pydantic_message(detail["msg"]))
                else:
                    column = _PRODUCT_COLUMNS.get(str(location[0]), "") if location else ""
                    self.problem(draft.row, column, pydantic_message(detail["msg"]))
            return None


def read_shopify_csv(path: Path) -> CatalogFile:
    """The products of a Shopify product CSV export; raises :class:`ImportFileError` listing every problem."""
    reader = _Reader(path.name)
    products: dict[str, _Product] = {}
    skus: dict[str, int] = {}
    csv.field_size_limit(min(sys.maxsize, _CSV_FIELD_LIMIT))
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # utf-8-sig: Excel's byte-order mark
            records = csv.DictReader(file)
            columns = {header.strip().casefold(): header for header in records.fieldnames or () if header}
            missing = [column for column in REQUIRED_COLUMNS if column.casefold() not in columns]
            if missing:
                raise ImportFileError([Problem(path.name, 1, column, "column missing: is this Shopify's product "
                                               "CSV export?") for column in missing])
            # Each record is one spreadsheet row, whatever newlines its quoted cells hold; the header is row 1.
            for number, cells in enumerate(records, 2):
                row = _Row(number, cells, columns)
                if row.is_blank():
                    continue
                handle = row[HANDLE]
                if not handle:
                    reader.problem(number, HANDLE, "required on every row")
                    continue
                product = products.get(handle)
                if product is None:
                    product = products[handle] = reader.first_row(row)
                elif row[TITLE] and row[TITLE] != product.fields["title"]:
                    reader.problem(number, TITLE, f"handle {handle!r} already has the title "
                                                  f"{product.fields['title']!r} (row {product.row}); a product's "
                                                  f"later rows carry only variant fields")
                    continue
                if not _has_variant_fields(row):
                    continue  # an image-only row
                before = len(product.variants)
                reader.variant_row(row, product)
                if len(product.variants) > before:
                    sku = product.variants[-1].spec.sku
                    if sku in skus:
                        reader.problem(number, SKU, f"{sku!r} is already the SKU of row {skus[sku]}")
                    skus.setdefault(sku, number)
    except UnicodeDecodeError as error:
        raise ImportFileError([Problem(path.name, None, "", f"not UTF-8 text ({error.reason} at byte {error.start}):"
                                                            " save the CSV as UTF-8")]) from None
    except csv.Error as error:
        reader.problem(None, "", f"not a readable CSV file: {error}")
    specs = [reader.product(draft) for draft in products.values()]
    if reader.problems:
        raise ImportFileError(reader.problems)
    return CatalogFile(products=[spec for spec in specs if spec is not None])


def generated_sku(handle: object, values: list[str]) -> str:
    """A stable SKU for a variant the export gives none: the handle and its option values (Shopify allows
    variants without SKU; the shop keys variants by SKU, so re-importing the same file finds them again)."""
    return "-".join([str(handle), *(_slug(value) for value in values)])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x"


def _has_variant_fields(row: _Row) -> bool:
    columns = (SKU, PRICE, COMPARE_AT, QUANTITY, *(option_value_column(n) for n in range(1, OPTION_COUNT + 1)))
    return any(row[column] for column in columns)


def _said(values: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in values.items())


_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                     "section", "article", "blockquote", "hr", "dd", "dt"})


class _PlainText(HTMLParser):
    """The text of an HTML fragment, one line per block; entities decoded, script/style dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """``Body (HTML)`` as plain text: what the assistant may read aloud and search."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
