"""The scorer's issue-12 extensions: any set with its screens and split, per-option gold, exclude/modifiers as
sets, and the shopping-query figures (content words kept, negated words as filters, found when verbatim finds)."""

from __future__ import annotations

from pydantic import Field

from tools import parse_action
from tools.cart import AddToCart
from tools.catalog import SearchProducts
from training.scoring import (DEV_DIR, QueryTotals, ShoppingQuery, Totals, load_dev_set, load_set,
                              load_shopping_queries, score, search_query_score, word_kept)

CAFE = DEV_DIR / "cafe.yaml"
CAFE_SCREENS = DEV_DIR / "cafe_contexts.yaml"


# Test doubles of the contract's issue-12 arguments, for scoring actions that carry them whatever the tool
# models on this branch already have.
class SearchWithOptionsDouble(SearchProducts):
    options: dict[str, str] | None = None
    exclude: list[str] | None = None


class AddWithOptionsDouble(AddToCart):
    options: dict[str, str] | None = None
    modifiers: list[str] | None = Field(default=None)


def _cafe(text: str):
    return next(c for c in load_set(CAFE, CAFE_SCREENS) if c.utterance == text)


def test_a_set_loads_with_its_screens_and_the_split_filter_partitions_it() -> None:
    everything = load_set(CAFE, CAFE_SCREENS)
    dev, heldout = load_set(CAFE, CAFE_SCREENS, "dev"), load_set(CAFE, CAFE_SCREENS, "heldout")
    assert len(dev) + len(heldout) == len(everything) >= 150
    assert {c.split for c in dev} == {"dev"} and {c.split for c in heldout} == {"heldout"}
    assert {c.source for c in dev}.isdisjoint(c.source for c in heldout)
    assert all(c.source.startswith("cafe:") for c in everything)
    screened = _cafe("number four small whole")  # a pick off the lattes screen
    assert [p["id"] for p in screened.shown][3] == "c111" and screened.history
    assert len(load_dev_set()) >= 200  # dev.yaml still loads the same way


def test_options_are_judged_one_by_one_with_names_case_insensitive() -> None:
    case = _cafe("large oat latte")
    right = SearchWithOptionsDouble(query="oat latte", options={"size": "large", "MILK": "Oat"})
    assert score(case, right).exact
    half = score(case, SearchWithOptionsDouble(query="oat latte", options={"Size": "Large", "Milk": "Soy"}))
    assert not half.exact and (half.args_matched, half.args_total) == (2, 3)  # query and Size right, Milk wrong
    extra = score(case, SearchWithOptionsDouble(query="latte", options={"Size": "Large", "Milk": "Oat",
                                                                         "Shots": "Double"}))
    assert not extra.exact and extra.args_total == 4 and any("shots" in p for p in extra.problems)


def test_color_and_size_are_shorthands_for_the_options_of_those_names() -> None:
    charcoal = _cafe("charcoal mug")  # gold options: {Color: Charcoal}
    assert score(charcoal, parse_action({"action": "search_products", "query": "mug", "color": "charcoal"})).exact
    assert not score(charcoal, parse_action({"action": "search_products", "query": "mug", "color": "white"})).exact
    large = _cafe("large americano")  # gold options: {Size: Large}
    assert score(large, parse_action({"action": "search_products", "query": "americano", "size": "Large"})).exact
    as_option = score(large, SearchWithOptionsDouble(query="americano", options={"Size": "Large"}))
    assert as_option.exact
    # and the other way round: a dev.yaml gold `color` accepts the Color option
    dev = next(c for c in load_dev_set() if "option:color" in c.args and c.tool == "search_products")
    gold = dev.args["option:color"].example(None)  # type: ignore[arg-type]
    query = dev.args["query"].example(None) if "query" in dev.args else "x"  # type: ignore[arg-type]
    others = {k: m.example(None) for k, m in dev.args.items()  # type: ignore[arg-type]
              if k not in ("query", "option:color") and not k.startswith("option:")}
    assert score(dev, SearchWithOptionsDouble(query=query, options={"COLOR": gold}, **others)).exact, dev.utterance


def test_optional_options_may_be_given_and_must_then_match() -> None:
    case = _cafe("make it oat milk")  # gold Milk: Oat; optional Size: Medium (the read-back's size)
    assert score(case, AddWithOptionsDouble(product_id="c101", options={"Milk": "Oat"})).exact
    assert score(case, AddWithOptionsDouble(product_id="c101", options={"Milk": "Oat", "Size": "medium"})).exact
    assert not score(case, AddWithOptionsDouble(product_id="c101", options={"Milk": "Oat", "Size": "Large"})).exact


def test_exclusions_and_modifiers_are_sets_with_contains_elements() -> None:
    two = _cafe("hot drink, no caffeine, no dairy, for my kid")  # exclude [{contains: caffeine}, {contains: dairy}]
    assert score(two, SearchWithOptionsDouble(query="hot drink", exclude=["dairy products", "caffeine"])).exact
    assert not score(two, SearchWithOptionsDouble(query="hot drink", exclude=["caffeine"])).exact
    assert not score(two, SearchWithOptionsDouble(query="hot drink", exclude=["caffeine", "dairy", "nuts"])).exact
    scone = _cafe("plain scone with clotted cream and jam")
    right = AddWithOptionsDouble(product_id="c307", options={"Flavor": "Plain"}, modifiers=["Jam", "Clotted cream"])
    assert score(scone, right).exact
    wrong = AddWithOptionsDouble(product_id="c307", options={"Flavor": "Plain"}, modifiers=["Jam", "Butter"])
    assert not score(scone, wrong).exact


def test_a_content_word_is_kept_up_to_plurals_and_typos_but_numbers_are_exact() -> None:
    assert word_kept("shoes", ["running shoe"]) and word_kept("batteries", ["aa battery"])
    assert word_kept("hedphones", ["wireless headphones"])  # the model's spelling correction keeps it
    assert word_kept("north face", ["north face jacket"]) and not word_kept("north face", ["face cream"])
    assert word_kept("16 oz", ["tumbler 16oz"]) and not word_kept("16 oz", ["tumbler 20 oz"])
    assert word_kept("256gb", ["iphone 256 gb"]) and not word_kept("10", ["size 11"])
    assert word_kept("ear buds", ["earbuds"]) and word_kept("tshirt", ["t shirts"])  # one word or two
    assert not word_kept("1/2 inch", ["garden hose 12 inch"]) and not word_kept("pull up bar", ["bar"])
    assert word_kept("eight", ["running shoe", "8"]) and not word_kept("eight", ["running shoe", "9"])
    assert not word_kept("nike", ["running shoes"])


def test_a_query_score_finds_missing_words_and_negated_words_made_filters() -> None:
    query = ShoppingQuery("running shoes not black", ["running", "shoes", "black"], negated=["black"])
    excluded = search_query_score(query, {"q": "running shoes", "exclude": ["black"], "limit": "5"}, None, 3, 5)
    assert excluded.searched and excluded.missing == [] and excluded.negated_as_filters == [] and excluded.found
    as_filter = search_query_score(query, {"q": "running shoes", "color": "Black"}, None, 0, 5)
    assert as_filter.missing == [] and as_filter.negated_as_filters == ["black"] and not as_filter.found
    # the shop's own account of what it applied wins over what was sent (grounding may drop a filter)
    grounded = search_query_score(query, {"q": "running shoes", "color": "Black"}, {"query": "running shoes"}, 2, 5)
    assert grounded.negated_as_filters == []
    said_only = search_query_score(query, {"q": "shoes", "said": query.text}, None, 1, 5)
    assert said_only.missing == ["running", "black"]  # the verbatim `said` is evidence, not a kept word
    other_action = search_query_score(query, None, None, 0, 5)
    assert not other_action.searched and other_action.missing == query.content_words


def test_query_totals_count_found_only_where_the_verbatim_query_finds() -> None:
    query = ShoppingQuery("lamp", ["lamp"])
    totals = QueryTotals()
    totals.add(search_query_score(query, {"q": "lamp"}, None, found=4, verbatim_found=9), 0.2, 0.01)
    totals.add(search_query_score(query, {"q": "lamp"}, None, found=0, verbatim_found=3), 0.4, 0.02)
    totals.add(search_query_score(query, {"q": "lamp"}, None, found=0, verbatim_found=0), 0.3, 0.03)
    totals.add(search_query_score(query, None, None, found=0, verbatim_found=0), 0.1, None)
    figures = totals.figures()
    assert figures["found_when_verbatim"] == 0.5 and figures["verbatim_found"] == 2
    assert figures["search_chosen"] == 0.75 and figures["all_words_kept"] == 0.75
    assert figures["search_p50_s"] == 0.02 and figures["understand_p50_s"] == 0.25


def test_the_shopping_queries_load_by_split() -> None:
    everything = load_shopping_queries()
    dev, heldout = load_shopping_queries(split="dev"), load_shopping_queries(split="heldout")
    assert len(dev) + len(heldout) == len(everything) >= 200
    assert all(q.content_words for q in everything)
    assert any(q.negated for q in dev) and any(q.negated for q in heldout)


def test_a_variant_choice_is_right_with_the_right_product_and_options_whatever_else() -> None:
    case = _cafe("number four small whole")  # add_to_cart c111, Size Small, Milk Whole
    right = score(case, AddWithOptionsDouble(product_id="c111", quantity=2, options={"Size": "small", "Milk": "Whole"}))
    assert right.variant_pick is True and not right.exact  # the quantity is wrong, the variant is not
    assert score(case, AddWithOptionsDouble(product_id="c112", options={"Size": "Small", "Milk": "Whole"})
                 ).variant_pick is False
    assert score(case, AddWithOptionsDouble(product_id="c111", options={"Size": "Small"})).variant_pick is False
    assert score(case, AddWithOptionsDouble(product_id="c111", options={"Size": "Small", "Milk": "Whole",
                                                                        "Shots": "Double"})).variant_pick is False
    assert score(case, SearchWithOptionsDouble(query="chai", options={"Size": "Small"})).variant_pick is False
    assert score(_cafe("large oat latte"), SearchWithOptionsDouble(query="latte")).variant_pick is None
    totals = Totals()
    totals.add(right, 0.5)
    totals.add(score(case, None), 0.5)
    totals.add(score(_cafe("large oat latte"), SearchWithOptionsDouble(query="latte")), 0.5)
    assert totals.figures()["variant_options"] == 0.5 and totals.figures()["variant_choices"] == 2


def test_every_labelled_word_is_kept_by_its_own_query_text() -> None:
    """The verbatim text keeps all its content words (labels and word rules agree) and nothing else does."""
    queries = load_shopping_queries()
    unkept = [(q.source, w) for q in queries for w in q.content_words + q.negated if not word_kept(w, [q.text])]
    assert unkept == []
    assert all(set(q.negated) <= set(q.content_words) for q in queries)
    # the words of one query are not all kept by an unrelated one (the rules do not accept everything)
    assert sum(all(word_kept(w, [b.text]) for w in a.content_words) for a, b in zip(queries, queries[1:])) < 10
