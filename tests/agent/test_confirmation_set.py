"""The hand-written confirmation answer set (evals/confirmation/answers.yaml) loads and is big and varied enough."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.confirmation import KIND_LABEL, LABELS, load_answers

ANSWERS = load_answers()


def test_the_set_is_large_enough_for_every_label():
    labels = Counter(answer.label for answer in ANSWERS)
    assert len(ANSWERS) >= 240
    assert labels["yes"] >= 80 and labels["no"] >= 60 and labels["unclear"] >= 50 and labels["new_request"] >= 40


def test_every_label_and_kind_is_on_both_splits():
    splits_of: dict[str, set[str]] = {}
    for answer in ANSWERS:
        splits_of.setdefault(answer.label, set()).add(answer.split)
        splits_of.setdefault(answer.kind, set()).add(answer.split)
    for name in (*LABELS, *KIND_LABEL):
        assert splits_of.get(name) == {"dev", "heldout"}, name


def test_no_text_appears_twice():
    texts = Counter(answer.text.strip().lower() for answer in ANSWERS)
    assert [text for text, count in texts.items() if count > 1] == []


@pytest.mark.parametrize("entry, complaint", [
    ('- {question: checkout, text: "yes", label: maybe, kind: plain_yes, split: dev}', "label"),
    ('- {question: checkout, text: "yes", label: yes, kind: hedge, split: dev}', "does not fit label"),
    ('- {question: checkout, text: "yes", label: yes, kind: plain_yes, split: test}', "split"),
    ('- {question: checkout, text: "yes", label: yes, kind: plain_yes}', "split"),
])
def test_a_bad_entry_fails_with_its_line_and_index(tmp_path: Path, entry: str, complaint: str):
    good = '- {question: cancel_order, text: "keep it", label: no, kind: plain_no, split: heldout}'
    path = tmp_path / "answers.yaml"
    path.write_text(f"# header\n{good}\n{entry}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"answers.yaml:3: answer #1: (?s:.*){complaint}"):
        load_answers(path)
