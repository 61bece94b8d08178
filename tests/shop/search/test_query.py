"""Query understanding: numbers said as words, sizes and "in stock" become filters; explicit filters win."""

from __future__ import annotations

from typing import Any

import pytest

from shop.search import ParsedQuery, parse_query
from shop.search.query import heard


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
    ("under fifty dollars", True), ("something in size ten", True), ("anything but black", True),
])
def test_narrows_when_words_or_filters_are_named(said: str, narrows: bool) -> None:
    assert parse_query(said, in_stock=True).narrows is narrows


# --- what the customer ruled out ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("said", "text", "exclude"),
    [
        ("water bottle without straw", "water bottle", ("straw",)),
        ("bracelet no glass beads", "bracelet", ("glass beads",)),
        ("shoes not leather", "shoes", ("leather",)),
        ("not leather shoes", "shoes", ("leather",)),
        ("sugar-free gum", "gum", ("sugar",)),
        ("gluten free bread under 5 dollars", "bread", ("gluten",)),
        ("t-shirt anything but black", "t-shirt", ("black",)),
        ("running shoes other than nike", "running shoes", ("nike",)),
        ("tumbler without a straw or lid for kids", "tumbler for kids", ("straw", "lid")),
        ("phone case but not a wallet", "phone case", ("wallet",)),
        ("sofa nothing with velvet", "sofa", ("velvet",)),
        ("running shoes nothing with laces", "running shoes", ("laces",)),
        ("black shoes, not leather please", "black shoes please", ("leather",)),
    ],
)
def test_negated_words_become_exclusions_never_search_words(said: str, text: str, exclude: tuple[str, ...]) -> None:
    query = parse_query(said)
    assert (query.text, query.exclude) == (text, exclude)
    assert not {word for phrase in exclude for word in phrase.split()} & set(query.terms)


@pytest.mark.parametrize("said", ["non-slip yoga mat", "no-show socks", "hands-free headset", "no, show me red ones",
                                  "not one of those", "headphones no more than fifty dollars"])
def test_what_only_looks_like_a_negation_rules_nothing_out(said: str) -> None:
    assert parse_query(said).exclude == ()


def test_no_more_than_is_still_a_price_bound() -> None:
    query = parse_query("headphones no more than fifty dollars")
    assert (query.text, query.max_price, query.exclude) == ("headphones", 50, ())


def test_a_filter_the_text_rules_out_is_dropped_not_applied() -> None:
    query = parse_query("t-shirt anything but black", color="Black")
    assert (query.color, query.exclude, query.ignored) == (None, ("black",), (("color", "Black", "ruled out"),))


def test_explicit_exclusions_join_the_spoken_ones() -> None:
    query = parse_query("mug without handle", exclude=["Glass-Beads", "  "])
    assert query.exclude == ("handle", "glass beads")


# --- filters grounded in what the customer said -----------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "utterance", "size", "expected"),
    [
        ("Boomcraft", "a boomcraft speaker", False, True),  # exact
        ("Boomcraft", "a boom craft speaker", False, True),  # spaced apart
        ("Nordpeak", "a nordpeek jacket", False, True),  # misheard (fuzzy)
        ("Sonari", "sonnary headphones", False, True),  # sounds alike (Metaphone)
        ("Boomcraft", "a bumcraft speaker", False, True),
        ("Running Shoes", "some running shoe", False, True),  # plural
        ("Water Bottle", "a bracelet with glass beads", False, False),
        ("Adidas", "nike running shoes", False, False),
        ("L", "a jacket in large", True, True),
        ("L", "a large jacket", True, True),
        ("M", "a jacket in large", True, False),
        ("10", "shoes in size 10", True, True),
        ("10", "shoes in size 11", True, False),
    ],
)
def test_heard(value: str, utterance: str, size: bool, expected: bool) -> None:
    assert heard(value, utterance, size=size) is expected


def test_filters_not_said_are_searched_as_words() -> None:
    query = parse_query("water bottle", brand="Water Bottle", color="Glass Beads",
                        said="i want a water bottle without glass beads")
    assert query.brand == "Water Bottle"  # said: whether the catalog has it is the search's to check
    assert query.color is None and query.exclude == ("glass beads",)
    assert ("color", "Glass Beads", "ruled out") in query.ignored


def test_a_brand_the_customer_did_not_say_moves_to_the_words() -> None:
    query = parse_query("running shoes", brand="Adidas", said="nike running shoes")
    assert query.brand is None
    assert query.ignored == (("brand", "Adidas", "not said"),)
    assert "adidas" in query.text.split()


def test_without_said_the_caller_s_filters_stand() -> None:
    assert parse_query("running shoes", brand="Adidas").brand == "Adidas"
