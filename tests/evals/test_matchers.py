"""The contract's matchers: each accepts what the spec says and rejects the rest with a reason."""

from __future__ import annotations

import pytest

from evals.matchers import (
    MISSING,
    Absent,
    AnyValue,
    Approx,
    Contains,
    Fields,
    ListOf,
    Literal,
    MatcherSyntaxError,
    NoExample,
    OneOf,
    Ref,
    RefContext,
    assign,
    parse_matcher,
)

REFS = RefContext(results=("p10", "p20", "p30"), cart=("p7",))


def ok(raw: object, actual: object, refs: RefContext = REFS) -> bool:
    return parse_matcher(raw).check(actual, refs) is None


def test_literal_strings_are_case_insensitive_and_trimmed() -> None:
    assert ok("Headphones", "  headphones ")
    assert not ok("Headphones", "Headphone")
    assert not ok("Headphones", MISSING)


def test_literal_numbers_are_exact() -> None:
    assert ok(1, 1) and ok(1, 1.0)
    assert not ok(1, 2) and not ok(50, 50.01)
    assert not ok(1, True), "a boolean is not the number 1"


def test_contains_on_strings_and_lists() -> None:
    assert ok({"contains": "headphone"}, "Wireless HEADPHONES")
    assert not ok({"contains": "headphone"}, "earbuds")
    assert ok({"contains": "blue"}, ["Red", "Navy Blue"])
    assert not ok({"contains": "blue"}, ["Red"])
    assert not ok({"contains": "x"}, 12)


def test_approx_uses_a_relative_tolerance() -> None:
    assert ok({"approx": 50}, 50.4)  # within the default 1 %
    assert not ok({"approx": 50}, 51)
    assert ok({"approx": 50, "tol": 0.05}, 52)
    assert not ok({"approx": 50}, "50"), "a string is not a number"


def test_any_and_absent() -> None:
    assert ok({"any": True}, "x") and not ok({"any": True}, MISSING)
    assert ok({"absent": True}, MISSING) and not ok({"absent": True}, "blue")


def test_one_of() -> None:
    assert ok({"one_of": ["price_asc", "relevance"]}, "Relevance")
    assert not ok({"one_of": ["price_asc", "relevance"]}, "rating")


def test_refs_resolve_against_shown_products_and_cart() -> None:
    assert ok({"ref": "results[1]"}, "p20")
    assert not ok({"ref": "results[1]"}, "p10")
    assert ok({"ref": "cart[0]"}, "p7")
    reason = parse_matcher({"ref": "results[5]"}).check("p10", REFS)
    assert reason is not None and "does not exist" in reason and "3 products" in reason


def test_a_list_matches_one_to_one_in_any_order() -> None:
    both = [{"ref": "results[0]"}, {"ref": "results[1]"}]
    assert ok(both, ["p20", "p10"])
    assert not ok(both, ["p10", "p10"]), "each expected element needs its own actual element"
    assert not ok(both, ["p10", "p20", "p30"])


def test_reasons_say_what_was_expected_and_what_came() -> None:
    reason = parse_matcher({"approx": 50}).check(500, REFS)
    assert reason is not None and "50" in reason and "500" in reason


def test_parse_gives_typed_matchers() -> None:
    assert parse_matcher("x") == Literal("x")
    assert parse_matcher({"contains": "a"}) == Contains("a")
    assert parse_matcher({"approx": 5, "tol": 0.1}) == Approx(5.0, 0.1)
    assert parse_matcher({"any": True}) == AnyValue()
    assert parse_matcher({"absent": True}) == Absent()
    assert parse_matcher({"one_of": [1, 2]}) == OneOf((1, 2))
    assert parse_matcher({"ref": "cart[2]"}) == Ref("cart", 2)
    assert parse_matcher([1]) == ListOf((Literal(1),))


@pytest.mark.parametrize("raw, expected_words", [
    ({"contain": "x"}, "not a matcher"),
    ({"contains": "x", "approx": 1}, "not a matcher"),
    ({"approx": "fifty"}, "expected a number"),
    ({"approx": 50, "tol": 5}, "fraction"),
    ({"any": "yes"}, "expected true"),
    ({"one_of": []}, "non-empty list"),
    ({"ref": "result[1]"}, 'expected "results[i]"'),
    ({"tol": 0.1, "contains": "x"}, "not a matcher"),
])
def test_malformed_matchers_say_what_was_expected(raw: object, expected_words: str) -> None:
    with pytest.raises(MatcherSyntaxError, match=None) as error:
        parse_matcher(raw)
    assert expected_words in str(error.value)


def test_examples_satisfy_their_matchers() -> None:
    for raw in ("Books", {"contains": "shoe"}, {"approx": 50}, {"one_of": ["a", "b"]}, {"ref": "results[2]"},
                [{"ref": "results[0]"}, {"ref": "results[1]"}]):
        matcher = parse_matcher(raw)
        assert matcher.check(matcher.example(REFS), REFS) is None, raw
    for raw in ({"any": True}, {"absent": True}, {"ref": "results[9]"}):
        with pytest.raises(NoExample):
            parse_matcher(raw).example(REFS)


def test_assign_finds_a_matching_where_greedy_would_not() -> None:
    # The first expectation fits both items; greedy would take item 0 and starve the second.
    expected = [{"a", "b"}, {"a"}]
    actual = ["a", "b"]
    assert assign(expected, actual, lambda e, a: a in e) == [1, 0]
    assert assign([{"a"}, {"a"}], ["a", "b"], lambda e, a: a in e) is None


def test_a_mapping_checks_its_listed_fields_only() -> None:
    item = parse_matcher([{"name": {"contains": "running shoe"}, "size": "8"}])
    assert item == ListOf((Fields((("name", Contains("running shoe")), ("size", Literal("8")))),))
    assert item.check([{"name": "Trail Running Shoes", "size": "8", "quantity": 1}], REFS) is None
    assert item.check([{"name": "Trail Running Shoes", "size": "9"}], REFS) is not None
    one = parse_matcher({"name": {"contains": "running shoe"}, "size": "8"})
    assert one.check({"name": "Trail Running Shoes"}, REFS) == "size: expected '8', got nothing"
    assert one.check("8", REFS) == "expected a mapping {name contains 'running shoe', size '8'}, got '8'"
    assert item.example(REFS) == [{"name": "running shoe", "size": "8"}]
    assert parse_matcher({"name": "x", "size": {"absent": True}}).example(REFS) == {"name": "x"}
    with pytest.raises(MatcherSyntaxError, match="did you mean 'contains'"):
        parse_matcher([{"name": {"contain": "shoe"}}])
