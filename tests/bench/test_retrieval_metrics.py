"""The retrieval benchmark's metrics and relevance rules, on hand-made cases."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from bench.retrieval_quality import FaqQuery, FaqResult, faq_metrics, ndcg_at, recall_at, rule_holds


def test_ndcg_is_one_for_the_ideal_order_and_lower_otherwise() -> None:
    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert ndcg_at(["c", "b", "a"], grades) < ndcg_at(["a", "c", "b"], grades) < 1.0
    assert ndcg_at(["x", "y"], grades) == 0.0
    # one relevant product at rank 2: gain 7 discounted by log2(3)
    assert ndcg_at(["x", "a"], {"a": 3}) == pytest.approx(1 / math.log2(3))


def test_recall_counts_only_best_graded_and_is_capped_at_k() -> None:
    grades = {f"p{i}": 3 for i in range(20)} | {"q": 1}
    assert recall_at([f"p{i}" for i in range(10)], grades) == 1.0  # 10 of 20 found, capped at 10
    assert recall_at(["q", "p0"], {"p0": 3, "q": 1}) == 1.0
    assert recall_at(["q"], {"p0": 3, "q": 1}) == 0.0


def product(**fields: object) -> SimpleNamespace:
    base = {"name": "Cloudrun Women's Trail Running Shoe", "description": "A waterproof membrane.",
            "category": "Running Shoes", "brand": "Stridewell", "colors": ["Red"], "sizes": ["8"], "price": 90.0}
    return SimpleNamespace(**(base | fields))


def test_rules_match_phrases_at_word_starts() -> None:
    assert rule_holds({"grade": 3, "name": ["women's"]}, product())
    assert not rule_holds({"grade": 3, "name": ["men's"]}, product())  # not inside "women's"
    assert rule_holds({"grade": 3, "category": "Running Shoes", "text": ["waterproof"], "color": "red",
                       "size": "8", "max_price": 90}, product())
    assert not rule_holds({"grade": 3, "max_price": 89.99}, product())


def test_faq_metrics_split_answers_and_abstentions() -> None:
    results = [
        FaqResult(FaqQuery("q1", frozenset({"a"})), ["a", "b"], 0.8),  # right, answered
        FaqResult(FaqQuery("q2", frozenset({"a"})), ["b", "a"], 0.7),  # wrong first, right second
        FaqResult(FaqQuery("q3", frozenset({"a"})), ["a"], 0.3),  # right but below threshold
        FaqResult(FaqQuery("q4", frozenset()), ["b"], 0.2),  # unanswerable, abstained
        FaqResult(FaqQuery("q5", frozenset()), ["b"], 0.9),  # unanswerable, answered
    ]
    m = faq_metrics(results, threshold=0.5)
    assert (m["recall@1"], m["recall@3"]) == (pytest.approx(2 / 3), 1.0)
    assert (m["answered_right"], m["answered_wrong"], m["abstained_answerable"]) == (
        pytest.approx(1 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert m["correct_abstain"] == 0.5


def test_support_questions_load_by_split_with_the_entries_that_answer_them(tmp_path) -> None:
    from bench.retrieval_quality import load_support_questions

    cases = tmp_path / "support.yaml"
    cases.write_text(
        "cases:\n"
        '  - {say: "forgot password", expect: {action: search_faq}, help: account-password-reset, split: dev}\n'
        '  - {say: "refund", expect: {action: search_faq}, help: [refunds-status, refunds-timing], split: heldout}\n'
        '  - {say: "agent", expect: {action: handoff}, reason: person, split: dev}\n', encoding="utf-8")
    by_split = load_support_questions(cases)
    assert {split: [(q.question, sorted(q.relevant)) for q in qs] for split, qs in by_split.items()} == {
        "dev": [("forgot password", ["account-password-reset"])],
        "heldout": [("refund", ["refunds-status", "refunds-timing"])]}
    shipped = load_support_questions()
    assert sum(len(qs) for qs in shipped.values()) >= 150 and set(shipped) == {"dev", "heldout"}
