"""Turn and final-state scoring: the contract's rules for actions, replies and shop state."""

from __future__ import annotations

from evals.matchers import RefContext
from agent.state import ActionRecord
from evals.scenario import FinalExpectations, TurnExpectations
from evals.scoring import check_final, score_turn

REFS = RefContext(results=("p10", "p20"), cart=())


def expect(**raw: object) -> TurnExpectations:
    return TurnExpectations.model_validate(raw)


def act(tool: str, **args: object) -> ActionRecord:
    return ActionRecord(tool=tool, args=args)


SEARCH_THEN_ADD = expect(actions=[
    {"tool": "search_products", "args": {"query": {"contains": "shoe"}, "max_price": {"approx": 50}}},
    {"tool": "add_to_cart", "args": {"product_id": {"ref": "results[1]"}}},
])


def test_same_actions_in_order_with_matching_arguments_pass() -> None:
    score = score_turn(SEARCH_THEN_ADD, [act("search_products", query="running shoes", max_price=50, limit=5),
                                         act("add_to_cart", product_id="p20", quantity=1)], "", REFS)
    [check] = score.checks
    assert check.passed and check.reason == ""
    assert (score.args_expected, score.args_matched) == (3, 3)


def test_a_wrong_argument_fails_with_its_name_and_counts_in_argument_accuracy() -> None:
    score = score_turn(SEARCH_THEN_ADD, [act("search_products", query="running shoes", max_price=500),
                                         act("add_to_cart", product_id="p10")], "", REFS)
    [check] = score.checks
    assert not check.passed
    assert "action 1 search_products: max_price" in check.reason and "500" in check.reason
    assert "action 2 add_to_cart: product_id: expected results[1] = 'p20', got 'p10'" in check.reason
    assert (score.args_expected, score.args_matched) == (3, 1)


def test_order_missing_and_extra_actions_fail() -> None:
    swapped = score_turn(SEARCH_THEN_ADD, [act("add_to_cart", product_id="p20"), act("search_products", query="shoe")],
                         "", REFS)
    assert not swapped.checks[0].passed and swapped.args_matched == 0
    missing = score_turn(SEARCH_THEN_ADD, [act("search_products", query="shoe", max_price=50)], "", REFS)
    assert "action 2: expected add_to_cart, got nothing" in missing.checks[0].reason
    extra = score_turn(expect(actions=[]), [act("view_cart")], "", REFS)
    assert not extra.checks[0].passed and "unexpected extra action: view_cart" in extra.checks[0].reason
    only_reply = score_turn(expect(actions=[]), [], "Hello!", REFS)
    assert only_reply.checks[0].passed


def test_absent_actions_expectation_checks_nothing_about_actions() -> None:
    score = score_turn(expect(reply_contains_any=["hello"]), [act("view_cart")], "Hello there", REFS)
    assert [c.name for c in score.checks] == ["reply_contains_any"] and score.checks[0].passed
    assert not score.actions_checked


def test_reply_checks() -> None:
    score = score_turn(expect(reply_contains_any=["shoe", "sneaker"], reply_excludes=["error", "sorry"]), [],
                       "Sorry, I found no Sneakers", REFS)
    contains, excludes = score.checks
    assert contains.passed
    assert not excludes.passed and "sorry" in excludes.reason
    missing = score_turn(expect(reply_contains_any=["shoe"]), [], "Here are some boots", REFS)
    assert not missing.checks[0].passed and "boots" in missing.checks[0].reason


def final(**raw: object) -> FinalExpectations:
    return FinalExpectations.model_validate(raw)


CART = [{"product_id": "p20", "name": "Trail Running Shoe", "quantity": 2, "color": "Blue"},
        {"product_id": "p30", "name": "Road Running Shoe", "quantity": 1, "color": None}]


def test_final_cart_lines_each_need_their_own_line() -> None:
    wanted = final(cart=[{"name": {"contains": "running shoe"}, "quantity": 1},
                         {"name": {"contains": "running shoe"}}], cart_size=2, orders_placed=0)
    checks = check_final(wanted, CART, 0, REFS)
    assert [c.passed for c in checks] == [True, True, True]
    too_many = final(cart=[{"name": {"contains": "shoe"}}] * 3)
    [check] = check_final(too_many, CART, 0, REFS)
    assert not check.passed and "Trail Running Shoe" in check.reason


def test_final_counts_and_refs() -> None:
    checks = check_final(final(cart=[{"product_id": {"ref": "results[1]"}, "quantity": 2}], cart_size=1,
                               orders_placed=1), CART, 0, REFS)
    assert [c.name for c in checks] == ["final.cart", "final.cart_size", "final.orders_placed"]
    assert [c.passed for c in checks] == [True, False, False]
    assert "2 cart lines" in checks[1].reason and "0 orders were placed" in checks[2].reason
