"""A query's structured filters as SQL, resolved once per search and shared by the lexical and dense sides.

Category and brand are matched against the shop's own spellings ("running shoe" finds "Running Shoes")
once, so the filter itself is a plain equality that can use the column's index. A category the shop
lacks ("shoes") is not an error for a voice user: its words are searched for instead.

What the customer ruled out (``ParsedQuery.exclude``) drops a product when its text mentions it (name,
brand, category or description; on SQLite through the FTS5 index, so "straws" counts for "straw") unless
the text itself rules it out too ("BPA-free", "no straw", "without straw" stay for "without straw"), or
when every value of one of its options is ruled out (a shirt only in black, for "anything but black"; one
also in navy stays, since a navy variant is what the customer can still have; the same for any option: a
bag whose only Material is Leather goes for "not leather").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import (ColumnElement, Engine, Text, and_, cast, exists, false, func, literal_column, not_, or_, select,
                        table, text)
from sqlalchemy import JSON as JSON_TYPE
from sqlalchemy import Select, literal
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.orm import Session

from shop.models import Product, ProductOption
from shop.search.query import MAX_TERMS, WORD, ParsedQuery, singular


@dataclass(frozen=True)
class CatalogFilters:
    """The SQL conditions of one query, and the search words an unknown category turned into."""

    keys: tuple[ColumnElement[bool], ...]  # category and brand: equalities on indexed columns, the narrowest
    rows: tuple[ColumnElement[bool], ...]  # price, stock: row by row
    unknown_category: bool  # a category was given that the shop does not have
    extra_terms: tuple[str, ...]  # that category's words, searched for instead
    # Ruled-out words in the text: as SQL (for dense neighbours and plain listings) and as an FTS5 expression
    # to remove from a text match ("" when none), where they cost next to nothing.
    unmentioned: tuple[ColumnElement[bool], ...] = ()
    fts_unmentioned: str = ""
    # Precomputed sets of products (see FilterSets): the colour/size filters' products, and the drafts and
    # products the exclusions rule out. Checked on the FTS5 rowids directly, without a join to products.
    within: tuple[ProductSet, ...] = ()
    ruled_out: ProductSet | None = None

    def set_conditions(self, key: ColumnElement | None = None) -> list[ColumnElement[bool]]:
        """The product sets as conditions on ``key`` (products' own key by default)."""
        conditions = [products.including(key) for products in self.within]
        if self.ruled_out is not None and self.ruled_out.keys:
            conditions.append(self.ruled_out.excluding(key))
        return conditions

    @property
    def all(self) -> list[ColumnElement[bool]]:
        return [*self.sql, *self.set_conditions()]

    @property
    def sql(self) -> list[ColumnElement[bool]]:
        """The conditions other than the product sets."""
        return [*self.keys, *self.rows, *self.unmentioned]

    @property
    def has_sets(self) -> bool:
        return bool(self.within) or (self.ruled_out is not None and bool(self.ruled_out.keys))

    @property
    def any(self) -> bool:
        """Whether anything is filtered at all."""
        return bool(self.sql) or self.has_sets

    def admits(self, key: ProductKey) -> bool:
        """Whether the product sets let the product with ``key`` through (for a few candidates, in Python)."""
        return (all(key in products.keys for products in self.within)
                and (self.ruled_out is None or key not in self.ruled_out.keys))

    def terms(self, query: ParsedQuery) -> tuple[str, ...]:
        """The lexical search words: the query's, then an unknown category's."""
        return tuple(dict.fromkeys(query.terms + self.extra_terms))[:MAX_TERMS]


def catalog_filters(session: Session, query: ParsedQuery, sets: FilterSets | None = None) -> CatalogFilters:
    """Resolve ``query``'s filters against this shop's categories and brands (one index hop each).

    ``sets``: the drafts and option values of the catalog, as :meth:`shop.search.CatalogSearch.search` keeps
    them per catalog change; None reads them now, which scans every option list when the query filters by or
    rules out a value (fine for tests and small catalogs)."""
    keys: list[ColumnElement[bool]] = []
    unknown_category = False
    extra_terms: tuple[str, ...] = ()
    if query.category:
        category = _canonical(session, Product.category, query.category)
        if category is not None:
            keys.append(Product.category == category)
        else:
            unknown_category, extra_terms = True, query.category_terms
            if not extra_terms:
                keys.append(false())
    if query.brand:
        brand = _canonical(session, Product.brand, query.brand)
        keys.append(Product.brand == brand if brand is not None else false())

    if sets is None:  # not precomputed (a direct call, not through CatalogSearch): read them now
        sets = read_filter_sets(session, with_options=needs_options(query))
    within = tuple(sets.having(column, value) for column, value in (("colors", query.color), ("sizes", query.size))
                   if value is not None)
    rows: list[ColumnElement[bool]] = []
    if query.min_price is not None:
        rows.append(Product.price >= query.min_price)
    if query.max_price is not None:
        rows.append(Product.price <= query.max_price)
    if query.in_stock:
        rows.append(Product.stock > 0)
    unmentioned = tuple(_not_mentioned(session, phrase, f"exclusion_{number}")
                        for number, phrase in enumerate(query.exclude))
    return CatalogFilters(tuple(keys), tuple(rows), unknown_category, extra_terms, unmentioned,
                          fts_unmentioned(query.exclude), within, sets.ruled_out(query.exclude))


# --- what options and drafts rule out, precomputed per catalog change ---------------------------------------

ProductKey = int | str  # products.rowid on SQLite (what the FTS5 index returns), products.id elsewhere


def product_key(session: Session) -> KeyedColumnElement:
    """The column a :class:`ProductSet` holds: SQLite's rowid, so the FTS5 side skips the join."""
    return literal_column("products.rowid") if is_sqlite(session) else Product.id


@dataclass(frozen=True)
class ProductSet:
    """Products by key, checked as one ``IN``/``NOT IN`` over a JSON list (a single bind parameter, any size)."""

    keys: frozenset[ProductKey]
    sqlite: bool = True

    @cached_property
    def _json(self) -> str:  # kept: a colour's set is reused by every search filtering by it
        return json.dumps(sorted(self.keys, key=str))

    def _listed(self) -> Select:
        listed = self._json
        if self.sqlite:
            return select(func.json_each(listed).table_valued("value").c.value)
        return select(func.json_array_elements_text(cast(literal(listed, Text), JSON_TYPE)).table_valued("value").c.value)

    def _key(self, key: ColumnElement | None) -> ColumnElement:
        return key if key is not None else (literal_column("products.rowid") if self.sqlite else Product.id)

    def including(self, key: ColumnElement | None = None) -> ColumnElement[bool]:
        return self._key(key).in_(self._listed()) if self.keys else false()

    def excluding(self, key: ColumnElement | None = None) -> ColumnElement[bool]:
        return self._key(key).not_in(self._listed())


@dataclass(frozen=True)
class OptionIndex:
    """Read once per catalog change: each distinct set of option values and the products having an option
    with exactly those values (Color, Size and any other option), and which products list each colour and size.

    A query's exclusions rule out a product when the value set of one of its options lies inside them: a
    shirt only in black for "anything but black", one also in navy stays. Answering that is a few set
    operations here instead of a JSON scan per candidate row (~80 ms CPU per query at 100k products); a colour
    or size filter likewise becomes the set of products that list it, checked on the FTS5 rowids (~3x cheaper
    than joining each match to its product row).
    """

    products_by_values: Mapping[frozenset[str], frozenset[ProductKey]]
    value_sets: Mapping[str, tuple[frozenset[str], ...]]  # a value -> the value sets holding it
    listing: Mapping[tuple[str, str], ProductSet]  # ("colors" or "sizes", a lowercase value) -> its products

    def ruled_out(self, exclude: Iterable[str]) -> frozenset[ProductKey]:
        """The products whose options ``exclude`` (lowercase phrases) rules out."""
        wanted = frozenset(exclude)
        inside = {values for value in wanted for values in self.value_sets.get(value, ()) if values <= wanted}
        return frozenset().union(*(self.products_by_values[values] for values in inside))


@dataclass(frozen=True)
class FilterSets:
    """What a search's option filters and exclusions need from the catalog: the drafts (always) and the option
    index (only read for queries that filter by or rule out a value: ``needs_options``)."""

    drafts: frozenset[ProductKey]
    options: OptionIndex | None
    sqlite: bool

    def having(self, column: str, value: str) -> ProductSet:
        """The products whose ``column`` ("colors" or "sizes") lists ``value`` (any case)."""
        assert self.options is not None, "read with the options for a query with a colour or size"
        return self.options.listing.get((column, value.lower()), ProductSet(frozenset(), self.sqlite))

    def ruled_out(self, exclude: tuple[str, ...]) -> ProductSet:
        """The drafts and the products whose options ``exclude`` rules out."""
        by_options = self.options.ruled_out(exclude) if exclude and self.options is not None else frozenset()
        return ProductSet(self.drafts | by_options, self.sqlite)


def needs_options(query: ParsedQuery) -> bool:
    return bool(query.exclude) or query.color is not None or query.size is not None


def read_drafts(session: Session) -> frozenset[ProductKey]:
    """The products stored as drafts (few, and read once per catalog change)."""
    return frozenset(session.execute(select(product_key(session)).where(Product.published.is_(False))).scalars())


def read_filter_sets(session: Session, with_options: bool) -> FilterSets:
    """The catalog's :class:`FilterSets` as it is now (with the options: a scan of every option list)."""
    return FilterSets(read_drafts(session), read_option_index(session) if with_options else None, is_sqlite(session))


def read_option_index(session: Session) -> OptionIndex:
    """Every product's option value sets, from the catalog as it is now.

    Grouped in SQL by the stored list, so only the distinct lists (hundreds in a seeded 100k catalog) are
    decoded here, not every product's: ~0.3 s at 100k products where decoding row by row took ~3 s.
    """
    key = product_key(session)
    grouped = [select(cast(column, Text), func.aggregate_strings(cast(key, Text), ","))
               .where(column.is_not(None)).group_by(cast(column, Text)) for column in (Product.colors, Product.sizes)]
    grouped.append(select(cast(ProductOption.values, Text), func.aggregate_strings(cast(key, Text), ","))
                   .join(Product, Product.id == ProductOption.product_id).group_by(cast(ProductOption.values, Text)))
    as_key = int if is_sqlite(session) else str
    products: dict[frozenset[str], set[ProductKey]] = defaultdict(set)
    listing: dict[tuple[str, str], set[ProductKey]] = defaultdict(set)
    for column, statement in zip(("colors", "sizes", None), grouped, strict=True):
        for listed, keys in session.execute(statement):
            values = frozenset(str(value).lower() for value in json.loads(listed) or ())
            if not values:
                continue
            members = {as_key(product) for product in keys.split(",")}
            products[values] |= members
            for value in values if column else ():
                listing[column, value] |= members
    value_sets: dict[str, list[frozenset[str]]] = defaultdict(list)
    for values in products:
        for value in values:
            value_sets[value].append(values)
    return OptionIndex({values: frozenset(keys) for values, keys in products.items()},
                       {value: tuple(sets) for value, sets in value_sets.items()},
                       {name: ProductSet(frozenset(keys), is_sqlite(session)) for name, keys in listing.items()})


# How a product's own text says it is free of something: "straw" in "no straw" or "straw-free" is no mention.
_SELF_NEGATIONS = ("no {}", "without {}", "{} free", "non {}")


def _mention(phrase: str) -> str:
    """FTS5: the text mentions ``phrase`` other than to say it is free of it. Phrases hold only [a-z0-9] words."""
    said = " ".join(WORD.findall(phrase))
    return f'("{said}" NOT (' + " OR ".join(f'"{form.format(said)}"' for form in _SELF_NEGATIONS) + "))"


def fts_unmentioned(exclude: tuple[str, ...]) -> str:
    """What to append to an FTS5 MATCH so it leaves out the products that mention a ruled-out phrase."""
    return " NOT (" + " OR ".join(_mention(phrase) for phrase in exclude) + ")" if exclude else ""


def _not_mentioned(session: Session, phrase: str, name: str) -> ColumnElement[bool]:
    """The product's text does not mention ``phrase`` (``name``: the statement's bind parameter for it)."""
    words = WORD.findall(phrase)
    if is_sqlite(session):
        # Imported here: lexical imports this module.
        from shop.search.lexical import FTS_TABLE

        mentions = (select(literal_column("rowid")).select_from(table(FTS_TABLE))
                    .where(text(f"{FTS_TABLE} MATCH :{name}").bindparams(**{name: _mention(phrase)})))
        return literal_column("products.rowid").not_in(mentions)
    said = " ".join(words)
    mentioned = or_(*(column.ilike(f"%{said}%") for column in (Product.name, Product.brand, Product.category,
                                                                  Product.description)))
    free_of = or_(*(Product.description.ilike(f"%{form.format(said)}%") for form in _SELF_NEGATIONS))
    return not_(and_(mentioned, not_(free_of)))


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


def _comparable_name(value: str) -> str:
    """"running shoe", "Running-Shoes" and "RUNNING SHOES" compare equal; so do "t shirt" and "T-Shirts"."""
    return "".join(singular(word) for word in re.findall(r"[a-z0-9]+", value.lower()))


def _distinct_values(session: Session, column: ColumnElement) -> list[str]:
    """Every distinct value of an indexed ``products`` column, hopping through its index value by value.

    One index seek per value (22 categories) where ``SELECT DISTINCT`` reads the whole index (~150 ms at a
    million products). ``column`` is one of ours, never user input.
    """
    name = column.key
    return list(session.execute(text(
        f"WITH RECURSIVE hop(value) AS (SELECT min({name}) FROM products UNION ALL "
        f"SELECT (SELECT min({name}) FROM products WHERE {name} > hop.value) FROM hop WHERE hop.value IS NOT NULL) "
        f"SELECT value FROM hop WHERE value IS NOT NULL"
    )).scalars())


def _canonical(session: Session, column: ColumnElement, value: str) -> str | None:
    """The stored spelling of a category or brand ("running shoe" -> "Running Shoes"), or None if unknown."""
    return canonical_name(value, _distinct_values(session, column))


def canonical_name(value: str, stored_values: Iterable[str]) -> str | None:
    """The one of ``stored_values`` that ``value`` names, up to case, spacing and plurals; None if none."""
    wanted = _comparable_name(value)
    return next((stored for stored in stored_values if _comparable_name(stored) == wanted), None)
