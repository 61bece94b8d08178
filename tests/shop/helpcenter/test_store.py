"""The help-center store: follows edits and removals, answers paraphrases, abstains when it should."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from shop.helpcenter.store import (
    DEFAULT_THRESHOLD,
    HELPCENTER_DIR,
    FaqStore,
    FaqStoreOptions,
    HelpCenterError,
    load_helpcenter,
)

SHIPPING = """
topic: Shipping
entries:
  - id: free-shipping
    question: Do you offer free shipping?
    also_asked: ["Is delivery free?"]
    answer: Standard shipping is free on orders of $50 or more.
  - id: delivery-time
    question: How long does delivery take?
    also_asked: ["When will my order arrive?"]
    answer: Standard delivery takes 3 to 5 business days.
"""
RETURNS = """
topic: Returns
entries:
  - id: return-window
    question: What is your return policy?
    also_asked: ["How many days do I have to return something?"]
    answer: You can return unused items within 30 days of delivery.
"""


def write(directory: Path, name: str, content: str) -> None:
    path = directory / name
    path.write_text(textwrap.dedent(content), encoding="utf-8")
    # Make sure the edit is visible to an mtime check even within one clock tick of the previous write.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


@pytest.fixture
def store(tmp_path: Path, helpcenter: Path, encoder) -> FaqStore:
    options = FaqStoreOptions(helpcenter_dir=helpcenter, chroma_path=tmp_path / "chroma", check_interval_s=0)
    faq = FaqStore(options, encoder=encoder)
    faq.sync()
    return faq


def test_sync_indexes_entries_and_skips_unchanged(store: FaqStore, tmp_path: Path, helpcenter: Path, encoder) -> None:
    assert store.entry_count() == 3
    assert store.sync().unchanged == 3
    # A new process over the same directory finds the index already there: nothing to re-embed.
    again = FaqStore(FaqStoreOptions(helpcenter_dir=helpcenter, chroma_path=tmp_path / "chroma"), encoder=encoder)
    report = again.sync()
    assert (report.added, report.updated, report.removed, report.unchanged) == ([], [], [], 3)


def test_search_returns_answer_source_and_score(store: FaqStore) -> None:
    hits = store.search("how many days until my package gets here", k=3)
    assert hits[0].id == "delivery-time"
    assert hits[0].answer == "Standard delivery takes 3 to 5 business days."
    assert hits[0].source == "shipping.yaml#delivery-time"
    assert hits[0].score > hits[1].score
    assert len({h.id for h in hits}) == len(hits) == 3


def test_edited_answer_is_served_without_restart(store: FaqStore, helpcenter: Path) -> None:
    write(helpcenter, "shipping.yaml", SHIPPING.replace("3 to 5 business days", "2 to 4 business days"))
    answer = store.answer("when will my order arrive")
    assert answer is not None and answer.answer == "Standard delivery takes 2 to 4 business days."
    report = store.sync()  # already followed: nothing left to do
    assert report.updated == [] and report.unchanged == 3


def test_sync_reports_only_the_changed_entry(store: FaqStore, helpcenter: Path) -> None:
    write(helpcenter, "shipping.yaml", SHIPPING.replace("$50", "$40"))
    report = store.sync()
    assert report.updated == ["free-shipping"] and report.unchanged == 2


def test_removed_file_and_added_entry_are_followed(store: FaqStore, helpcenter: Path) -> None:
    (helpcenter / "returns.yaml").unlink()
    write(helpcenter, "payment.yaml", """
        topic: Payment
        entries:
          - id: payment-methods
            question: Which payment methods do you accept?
            answer: We accept Visa, Mastercard and PayPal.
        """)
    hits = store.search("can I pay with paypal", k=5)
    assert hits[0].id == "payment-methods"
    assert "return-window" not in {h.id for h in hits}
    assert store.entry_count() == 3


def test_broken_edit_keeps_the_last_good_index(store: FaqStore, helpcenter: Path) -> None:
    write(helpcenter, "shipping.yaml", "topic: Shipping\nentries:\n  - id: [unclosed\n")
    answer = store.answer("how long does delivery take")
    assert answer is not None and "3 to 5" in answer.answer
    with pytest.raises(HelpCenterError, match="shipping.yaml"):
        store.sync()


def test_duplicate_ids_are_rejected(helpcenter: Path) -> None:
    write(helpcenter, "more.yaml", RETURNS.replace("topic: Returns", "topic: More"))
    with pytest.raises(HelpCenterError, match="return-window"):
        load_helpcenter(helpcenter)


def test_empty_question_finds_nothing(store: FaqStore) -> None:
    assert store.search("   ") == [] and store.answer("") is None


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory, encoder) -> FaqStore:
    options = FaqStoreOptions(chroma_path=tmp_path_factory.mktemp("chroma"), follow_edits=False)
    faq = FaqStore(options, encoder=encoder)
    faq.sync()
    return faq


def test_shipped_help_center_is_complete() -> None:
    entries = load_helpcenter(HELPCENTER_DIR)
    assert len(entries) >= 60
    topics = {e.topic for e in entries}
    for needed in ("Shipping", "Returns and exchanges", "Refunds", "Payment", "Warranty", "Account",
                   "Sizing and fit", "Promotions and rewards", "Privacy and data"):
        assert needed in topics


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("do I pay for shipping on a sixty dollar order", "shipping-free-threshold"),
        ("how do I send back a jacket that doesn't fit", "returns-how"),
        ("is my voice recorded when I talk to you", "privacy-voice-recordings"),
    ],
)
def test_real_help_center_answers_paraphrases(real_store: FaqStore, question: str, entry_id: str) -> None:
    answer = real_store.answer(question)
    assert answer is not None and answer.source.endswith(f"#{entry_id}")
    assert answer.score >= DEFAULT_THRESHOLD


@pytest.mark.parametrize("question", ["what is the capital of France", "tell me a joke about cats",
                                      "how do I bake sourdough bread"])
def test_real_help_center_abstains_on_unrelated_questions(real_store: FaqStore, question: str) -> None:
    assert real_store.answer(question) is None


def test_empty_help_center_answers_nothing(tmp_path: Path, encoder) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    store = FaqStore(FaqStoreOptions(helpcenter_dir=empty, chroma_path=tmp_path / "chroma-empty"), encoder=encoder)
    assert store.sync().unchanged == 0
    assert store.search("how long does delivery take") == [] and store.answer("refunds?") is None
