"""Turn and final-state scoring: the contract's rules for actions, replies and shop state."""

from __future__ import annotations

from evals.matchers import RefContext
from agent.state import ActionRecord
from evals.scenario import FinalExpectations, TurnExpectations
from evals.scoring import check_final, check_orders, refunds_of, score_turn

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


VISA = {"spoken": "Visa ending 4242"}
ORDERS = [
    {"id": "7", "status": "pending", "payment_method": {"spoken": "PayPal"}, "cancel_reason": None,
     "shipping_address": {"label": "work", "line1": "400 Market Street", "city": "Springfield"},
     "lines": [{"name": "Glow Concealer", "quantity": 1, "color": "Nude", "returned_quantity": 0, "exchange": None}],
     "transactions": [{"id": 9, "order_id": "7", "kind": "refund", "reason": "change_payment", "amount": 166.94,
                       "state": "processing", "payment_method": VISA},
                      {"id": 8, "order_id": "7", "kind": "charge", "reason": "change_payment", "amount": 166.94,
                       "state": "completed", "payment_method": {"spoken": "PayPal"}}]},
    {"id": 4, "status": "exchange requested", "payment_method": VISA, "shipping_address": None,
     "lines": [{"name": "Trail Running Shoe", "quantity": 1, "returned_quantity": 1,
                "exchange": {"options": {"Color": "Grey", "Size": "8"}}},
               {"name": "Heritage Skillet", "quantity": 2, "returned_quantity": 0, "exchange": None}],
     "transactions": [{"id": 3, "kind": "refund", "reason": "return", "amount": 5.0, "state": "completed",
                       "payment_method": None}]},
]


def test_final_orders_match_each_by_its_own_with_their_lines() -> None:
    wanted = final(orders=[{"id": "4", "status": "exchange requested",
                            "lines": [{"name": {"contains": "shoe"}, "exchanged_to": "Grey, 8"}]},
                           {"id": "7", "payment": "paypal", "address": {"contains": "400 Market"}}])
    [check] = check_orders(wanted, ORDERS, [], REFS)
    assert check.name == "final.orders" and check.passed, check.reason
    wrong = final(orders=[{"id": "4", "lines": [{"name": {"contains": "skillet"}, "returned_quantity": 2}]}])
    [check] = check_orders(wrong, ORDERS, [], REFS)
    assert not check.passed
    assert "order 4 exchange requested, Visa ending 4242, None: 1 × Trail Running Shoe (1 returned) → Grey, 8" \
        in check.reason
    assert not check_orders(final(orders=[{"id": "7"}, {"id": "7"}]), ORDERS, [], REFS)[0].passed  # one each


def test_final_refunds_are_the_ones_made_during_the_scenario() -> None:
    refunds = refunds_of(ORDERS)
    assert [(r["id"], r["order_id"], r["to"]) for r in refunds] == [(9, "7", "Visa ending 4242"), (3, "4", None)]
    made = [r for r in refunds if r["id"] != 3]  # refund 3 was there before the scenario
    wanted = final(refunds=[{"order_id": "7", "amount": {"approx": 166.94}, "to": "Visa ending 4242"}],
                   refunds_made=1)
    assert [c.passed for c in check_orders(wanted, ORDERS, made, REFS)] == [True, True]
    checks = check_orders(final(refunds=[{"order_id": "4"}], refunds_made=0), ORDERS, made, REFS)
    assert [c.passed for c in checks] == [False, False]
    assert "$166.94 for order 7 (change_payment, processing, to Visa ending 4242)" in checks[0].reason
    assert checks[1].reason.startswith("1 refunds were made")
