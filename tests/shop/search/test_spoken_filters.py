"""Spoken-query understanding: numbers said as words, sizes and "in stock" become filters."""

from __future__ import annotations

import pytest

from shop.search import SearchParams, SpokenFilters, apply_spoken_filters, parse_spoken_filters


@pytest.mark.parametrize(
    ("said", "clean", "filters"),
    [
        ("headphones under fifty bucks", "headphones", SpokenFilters(max_price=50)),
        ("laptop under a thousand dollars", "laptop", SpokenFilters(max_price=1000)),
        ("jackets between twenty and forty dollars", "jackets", SpokenFilters(min_price=20, max_price=40)),
        ("womens running shoes in size eight under a hundred bucks", "womens running shoes",
         SpokenFilters(max_price=100, size="8")),
        ("running shoes size ten and a half in stock", "running shoes", SpokenFilters(size="10.5", in_stock=True)),
        ("black t-shirt size medium", "black t-shirt", SpokenFilters(size="M")),
        ("jacket in size extra large", "jacket", SpokenFilters(size="XL")),
        ("speakers over two hundred and fifty dollars", "speakers", SpokenFilters(min_price=250)),
        ("add one of those to my cart", "add one of those to my cart", SpokenFilters()),
    ],
)
def test_parse_spoken_filters(said: str, clean: str, filters: SpokenFilters) -> None:
    assert parse_spoken_filters(said) == (clean, filters)


def test_explicit_filters_win_over_spoken_ones() -> None:
    params = apply_spoken_filters(SearchParams(q="shoes under fifty dollars size nine", max_price=80, size="10"))
    assert (params.q, params.max_price, params.size) == ("shoes", 80, "10")


def test_no_text_leaves_params_alone() -> None:
    params = SearchParams(category="Books", max_price=20)
    assert apply_spoken_filters(params) is params
