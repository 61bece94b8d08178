"""Spoken option values matched to a product's own values: units, size words, fuzzy and phonetic names,
and never a guess for a value the product does not have."""

from __future__ import annotations

import pytest

from tools.variants import (Unmatched, cart_arguments, choose, describe, key, match_name, match_value,
                            modifiers_in, product_options, said_in)

PHONE = {"Color": ["Black", "Navy Blue"], "Storage": ["128 GB", "256 GB", "1 TB"]}
COFFEE = {"Weight": ["250 g", "1 kg"], "Grind": ["Whole Bean", "Espresso", "French Press"],
          "Roast": ["Light", "Medium", "Dark"]}
LATTE = {"Size": ["Small", "Medium", "Large"]}
LATTE_ADDONS = ["Oat milk", "Soy milk", "Extra shot"]


@pytest.mark.parametrize(("said", "values", "expected"), [
    ("256 gig", PHONE["Storage"], "256 GB"),
    ("256GB", PHONE["Storage"], "256 GB"),
    ("one terabyte", PHONE["Storage"], "1 TB"),
    ("a kilo", COFFEE["Weight"], "1 kg"),
    ("the 1 kilo bag", COFFEE["Weight"], "1 kg"),
    ("250 grams", COFFEE["Weight"], "250 g"),
    ("large", ["S", "M", "L", "XL"], "L"),
    ("extra large", ["S", "M", "L", "XL"], "XL"),
    ("L", LATTE["Size"], "Large"),
    ("espresso grind", COFFEE["Grind"], "Espresso"),
    ("expresso", COFFEE["Grind"], "Espresso"),  # close spelling
    ("french press", COFFEE["Grind"], "French Press"),
    ("blue", PHONE["Color"], "Navy Blue"),  # the only blue one
    ("columbian", ["Colombian", "Ethiopian"], "Colombian"),  # same sound
])
def test_a_spoken_value_finds_the_products_spelling(said: str, values: list[str], expected: str) -> None:
    assert match_value(said, values) == expected


@pytest.mark.parametrize(("said", "values"), [
    ("512 gig", PHONE["Storage"]),  # numbers are never bridged by a close spelling
    ("red", PHONE["Color"]),
    ("blue", ["Sky Blue", "Navy Blue"]),  # two blues: no single one was named
    ("xl", ["S", "M", "L"]),
    ("", ["S"]),
])
def test_a_value_the_product_lacks_matches_nothing(said: str, values: list[str]) -> None:
    assert match_value(said, values) is None


def test_units_and_size_words_have_one_key() -> None:
    assert key("256 gig") == key("256GB") == key("256 Gb") == "256gb"
    assert key("Large") == key("L") == key("large") == "l"
    assert key("1 kilo") == key("1kg") != key("1 l")


def test_option_names_are_matched_loosely() -> None:
    assert match_name("colour", ["Color", "Storage"]) == "Color"
    assert match_name("grind", ["Grind Size", "Weight"]) == "Grind Size"
    assert match_name("flavour", ["Color", "Storage"]) is None


def test_a_choice_is_resolved_per_option_with_shorthands_and_addons() -> None:
    choice = choose({"color": "blue", "storage": "256 gig"}, [], PHONE)
    assert choice.options == {"Color": "Navy Blue", "Storage": "256 GB"} and not choice.unmatched
    assert cart_arguments(choice) == {"color": "Navy Blue", "options": {"Storage": "256 GB"}}
    # A value said under the wrong option name is still found where exactly one option has it.
    assert choose({"size": "256 gig"}, [], PHONE).options == {"Storage": "256 GB"}
    # "milk: oat" where oat milk is an add-on, not an option; "with large" where large is a size.
    latte = choose({"milk": "oat"}, ["large"], LATTE, LATTE_ADDONS)
    assert latte.options == {"Size": "Large"} and latte.modifiers == ("Oat milk",)


def test_what_the_product_lacks_is_reported_with_what_it_has() -> None:
    choice = choose({"storage": "512 gig"}, ["almond milk"], PHONE, LATTE_ADDONS)
    assert choice.options == {}
    assert choice.unmatched == (Unmatched("512 gig", "Storage", ("128 GB", "256 GB", "1 TB")),
                                Unmatched("almond milk", None, tuple(LATTE_ADDONS)))
    unknown = choose({"flavour": "vanilla"}, [], LATTE)
    assert unknown.unmatched == (Unmatched("vanilla", None, ("Size: Small, Medium, Large",)),)


@pytest.mark.parametrize(("utterance", "options", "expected"), [
    ("the blue one in large", {"Color": ["Blue", "Red"], "Size": ["S", "M", "L"]}, {"Color": "Blue", "Size": "L"}),
    ("the 256 gig", PHONE, {"Storage": "256 GB"}),
    ("the 1 kilo bag espresso grind", COFFEE, {"Weight": "1 kg", "Grind": "Espresso"}),
    ("a medium roast in small", {**COFFEE, "Size": ["Small", "Medium"]}, {"Roast": "Medium", "Size": "Small"}),
    ("i want it in extra large", {"Size": ["L", "XL"]}, {"Size": "XL"}),  # not "large" inside it
    ("large or small", {"Size": ["S", "L"]}, {}),  # two sizes said: not a choice
    ("the cheaper one", PHONE, {}),
])
def test_values_said_in_the_customers_words(utterance: str, options: dict, expected: dict) -> None:
    assert said_in(utterance, options) == expected


def test_addons_said_in_the_customers_words() -> None:
    assert modifiers_in("make it oat milk with an extra shot", LATTE_ADDONS) == ["Oat milk", "Extra shot"]
    assert modifiers_in("just milk", LATTE_ADDONS) == []


def test_products_from_before_options_have_color_and_size() -> None:
    assert product_options({"colors": ["Red"], "sizes": ["9", "10"]}) == {"Color": ["Red"], "Size": ["9", "10"]}
    assert product_options({"options": [{"name": "Storage", "values": ["128 GB"]}], "colors": []}) == \
        {"Storage": ["128 GB"]}


def test_the_variant_is_described_as_spoken() -> None:
    assert describe({"Size": "Large"}, ["Oat milk"]) == "Large, Oat milk"
    assert describe(None, None) == ""


def test_half_an_before_a_unit_is_a_half() -> None:
    """ "half an inch" once raised a KeyError: the regex knew "half an", the table only "half a"."""
    assert key("half an inch") == key("half a inch") == key("0.5 inch")


def test_fractions_written_spaced_or_said_have_one_key() -> None:
    """ "3/4 inch" reads "3 4 inch" once the slash is dropped (spoken_form, the grammar's words) and "three
    quarter inch" when said: all three name the same value, never the "4 inch" beside it."""
    assert key("3/4 inch") == key("3 4 inch") == key("three quarter inch") == key("three quarters inch") == "0.75in"
    assert key("half inch") == key("1/2 inch") == key("1 2 inch")
    assert key("five eighths inch") == key("5/8 inch") != key("3/8 inch")
    nap = ["3/8 inch", "1/2 inch", "3/4 inch", "4 inch"]
    assert match_value("3 4 inch", nap) == match_value("three quarter inch", nap) == "3/4 inch"
    assert match_value("4 inch", nap) == "4 inch"


def test_regular_is_no_medium() -> None:
    """ "Regular" is a size of its own ("Small, Regular, Large") or a fit, never the letter size M."""
    assert key("Regular") != key("M")
    assert match_value("regular", ["Small", "Regular", "Large"]) == "Regular"
    assert match_value("regular", ["S", "M", "L"]) is None
    assert said_in("medium regular fit", {"Size": ["S", "M"], "Fit": ["Slim", "Regular"]}) == \
        {"Size": "M", "Fit": "Regular"}
