"""Query understanding: numbers said as words, sizes and "in stock" become filters; explicit filters win."""

from __future__ import annotations

from typing import Any

import pytest

from shop.search import ParsedQuery, parse_query


def said_filters(query: ParsedQuery) -> dict[str, Any]:
    """The filters a spoken query can name, those set only."""
    values = {"min_price": query.min_price, "max_price": query.max_price, "size": query.size,
              "in_stock": query.in_stock}
    return {name: value for name, value in values.items() if value is not None}


@pytest.mark.parametrize(
    ("said", "clean", "filters"),
    [
        ("headphones under fifty bucks", "headphones", {"max_price": 50}),
        ("laptop under a thousand dollars", "laptop", {"max_price": 1000}),
        ("jackets between twenty and forty dollars", "jackets", {"min_price": 20, "max_price": 40}),
        ("womens running shoes in size eight under a hundred bucks", "womens running shoes",
         {"max_price": 100, "size": "8"}),
        ("running shoes size ten and a half in stock", "running shoes", {"size": "10.5", "in_stock": True}),
        ("black t-shirt size medium", "black t-shirt", {"size": "M"}),
        ("jacket in size extra large", "jacket", {"size": "XL"}),
        ("speakers over two hundred and fifty dollars", "speakers", {"min_price": 250}),
        ("add one of those to my cart", "add one of those to my cart", {}),
    ],
)
def test_spoken_filters_leave_the_text(said: str, clean: str, filters: dict[str, Any]) -> None:
    query = parse_query(said)
    assert (query.text, said_filters(query)) == (clean, filters)


def test_search_words_come_from_the_text_without_filters() -> None:
    query = parse_query("womens running shoes in size eight under a hundred bucks")
    assert query.terms == ("women", "running", "shoe")


def test_explicit_filters_win_over_spoken_ones() -> None:
    query = parse_query("shoes under fifty dollars size nine", max_price=80, size="10")
    assert (query.text, query.max_price, query.size) == ("shoes", 80, "10")


def test_no_text_leaves_the_filters_as_given() -> None:
    assert parse_query(category="Books", max_price=20) == ParsedQuery(
        category="Books", category_terms=("book",), max_price=20)


@pytest.mark.parametrize(("said", "narrows"), [
    ("show me something nice", False), ("in stock please", False), ("headphones", True),
    ("under fifty dollars", True), ("something in size ten", True),
])
def test_narrows_when_words_or_filters_are_named(said: str, narrows: bool) -> None:
    assert parse_query(said, in_stock=True).narrows is narrows
