"""The hand-written dev set and the scoring rules of the understanding report."""

from __future__ import annotations

from functools import cache

from agent.compact.prompt import spoken_form
from evals.matchers import Literal
from tools import TOOLS, parse_action
from training.scoring import DEV_DIR, Case, case_from_example, load_dev_set, load_set, score, summarize
from training.taskdata import generate
from training.train import TrainOptions


def assert_gold_products_are_on_screen(cases: list[Case]) -> None:
    """Gold product ids point at something the customer could see (shown or in the cart)."""
    for case in cases:
        ids = {p["id"] for p in case.shown} | {line["product_id"] for line in (case.cart or {}).get("lines", [])}
        for name in ("product_id", "product_ids"):
            if name in case.args and isinstance(case.args[name], Literal):
                wanted = case.args[name].value
                assert set(wanted if isinstance(wanted, list) else [wanted]) <= ids, case.source


def test_dev_set_is_large_covers_every_action_and_resolves() -> None:
    cases = load_dev_set()
    assert len(cases) >= 200
    # The after-purchase actions have their own hand-written set (issue 14): between them, every action.
    after_purchase = load_set(DEV_DIR / "after_purchase.yaml", DEV_DIR / "after_purchase_contexts.yaml")
    assert {c.tool for c in cases} | {c.tool for c in after_purchase} == set(TOOLS)
    assert_gold_products_are_on_screen(cases)


@cache
def generated_utterances() -> frozenset[str]:
    """What the committed adapter was trained on (training.train's defaults), plus both splits at another seed
    (the held-out templates, and wordings another draw would produce)."""
    train = TrainOptions()
    examples = generate(train.examples, "train", train.seed, consent=True)
    examples += [e for split in ("train", "heldout") for e in generate(3000, split, 0)]
    return frozenset(spoken_form(e.utterance) for e in examples)


def test_dev_utterances_are_not_generated_ones() -> None:
    clashes = [c.utterance for c in load_dev_set() if spoken_form(c.utterance) in generated_utterances()]
    assert not clashes


def _case(text: str):
    return next(c for c in load_dev_set() if c.utterance == text)


def test_exact_needs_every_argument_and_nothing_extra() -> None:
    case = _case("find me wireless headphones under fifty dollars")
    right = parse_action({"action": "search_products", "query": "wireless headphones", "max_price": 50})
    assert score(case, right).exact
    extra = parse_action({"action": "search_products", "query": "wireless headphones", "max_price": 50, "color": "Red"})
    result = score(case, extra)
    assert result.tool_ok and not result.exact and result.args_total == 3 and result.args_matched == 2
    wrong_tool = score(case, parse_action({"action": "recommend"}))
    assert not wrong_tool.tool_ok and not wrong_tool.exact
    invalid = score(case, None)
    assert invalid.invalid and not invalid.tool_ok


def test_defaults_optional_and_free_texts_are_not_penalised() -> None:
    case = _case("I'll take the first pair")
    assert score(case, parse_action({"action": "add_to_cart", "product_id": "p1204"})).exact  # quantity 1 = default
    assert score(case, parse_action({"action": "add_to_cart", "product_id": "p1204", "quantity": 1})).exact
    assert not score(case, parse_action({"action": "add_to_cart", "product_id": "p1204", "quantity": 2})).exact
    greeting = _case("hello there")
    assert score(greeting, parse_action({"action": "reply", "text": "anything at all"})).exact
    faq = _case("what is your policy on returns")
    assert score(faq, parse_action({"action": "search_faq", "question": "what is your policy on returns"})).exact


def test_generated_cases_use_their_decoded_action_as_gold_and_summaries_add_up() -> None:
    example = next(e for e in generate(200, "heldout", 9) if e.line.startswith("add "))
    case = case_from_example(example)
    assert score(case, example.action()).exact
    figures = summarize([(score(case, example.action()), 0.5), (score(case, None), 1.5)])
    assert figures["exact"] == 0.5 and figures["invalid"] == 0.5 and figures["cases"] == 2
