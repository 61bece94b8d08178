"""``voiceshop import help``: YAML or Markdown Q&A into the help-center folder the shop serves."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shop.api import create_shop_app
from shop.catalog.problems import ImportFileError
from shop.db import Database
from shop.helpcenter.importing import import_help
from shop.helpcenter.store import FaqStore, FaqStoreOptions, load_helpcenter

FAQ_MARKDOWN = """\
# Shipping

Answers about getting your parcel.

## Do you ship to Canada?

Yes, we ship to **Canada** in 5 to 7 business days. See [our rates](https://example.com/rates).

- Tracking is included
- Duties are paid by us

## What is your return policy?

You can return unused items within *60 days* of delivery.
"""


def source(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def entries_by_question(directory: Path) -> dict[str, object]:
    return {entry.question: entry for entry in load_helpcenter(directory)}


def test_markdown_questions_are_added_to_their_topic_and_a_known_question_is_updated(
        tmp_path: Path, helpcenter: Path) -> None:
    summary = import_help(source(tmp_path, "faq.md", FAQ_MARKDOWN), helpcenter)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    entries = entries_by_question(helpcenter)
    assert len(entries) == 4  # 3 before, 1 new: the return policy was updated in place
    canada = entries["Do you ship to Canada?"]
    assert canada.topic == "Shipping" and canada.source.startswith("shipping.yaml#")
    # Markup gone, each list item a sentence of its own, the intro above the first question not an answer.
    assert canada.answer == ("Yes, we ship to Canada in 5 to 7 business days. See our rates. Tracking is included. "
                             "Duties are paid by us.")
    policy = entries["What is your return policy?"]
    assert (policy.id, policy.answer) == ("return-window", "You can return unused items within 60 days of delivery.")
    assert policy.also_asked == ("How many days do I have to return something?",)  # kept: Markdown has none


def test_re_importing_the_same_file_changes_nothing(tmp_path: Path, helpcenter: Path) -> None:
    faq = source(tmp_path, "faq.md", FAQ_MARKDOWN)
    import_help(faq, helpcenter)
    before = {path.name: path.read_text(encoding="utf-8") for path in helpcenter.glob("*.yaml")}
    summary = import_help(faq, helpcenter)
    assert (summary.created, summary.updated, summary.unchanged, summary.files) == (0, 0, 2, ())
    assert {path.name: path.read_text(encoding="utf-8") for path in helpcenter.glob("*.yaml")} == before


def test_a_yaml_topic_file_may_leave_out_ids_and_a_new_topic_gets_its_own_file(tmp_path: Path,
                                                                               helpcenter: Path) -> None:
    topic = source(tmp_path, "gifts.yaml", """\
        topic: Gift cards
        entries:
          - question: Do gift cards expire?
            also_asked: ["How long is a gift card valid?"]
            answer: No, our gift cards never expire.
          - id: free-shipping
            question: Do you offer free shipping?
            answer: Shipping is free on orders of $40 or more.
        """)
    summary = import_help(topic, helpcenter)
    assert (summary.created, summary.updated, summary.files) == (1, 1, ("gift-cards.yaml", "shipping.yaml"))
    entries = entries_by_question(helpcenter)
    assert entries["Do gift cards expire?"].id == "gift-cards-do-gift-cards-expire"
    assert entries["Do gift cards expire?"].also_asked == ("How long is a gift card valid?",)
    assert entries["Do you offer free shipping?"].answer == "Shipping is free on orders of $40 or more."
    assert entries["Do you offer free shipping?"].also_asked == ("Is delivery free?",)


def test_a_bad_file_names_its_lines_and_changes_nothing(tmp_path: Path, helpcenter: Path) -> None:
    before = {path.name: path.read_text(encoding="utf-8") for path in helpcenter.glob("*.yaml")}
    markdown = source(tmp_path, "faq.md", "## Do you ship to Canada?\nYes.\n\n## Can I pay by cheque?\n\n## No\nx\n")
    with pytest.raises(ImportFileError) as raised:
        import_help(markdown, helpcenter)
    assert [str(problem) for problem in raised.value.problems] == [
        "faq.md:4: answer: the question 'Can I pay by cheque?' has no answer text"]
    topic = source(tmp_path, "topic.yaml", """\
        topic: Payment
        entries:
          - id: Pay-By-Card
            question: Can I pay by card?
            answer: OK
        """)
    with pytest.raises(ImportFileError) as raised:
        import_help(topic, helpcenter)
    assert [(p.where, p.field) for p in raised.value.problems] == [(3, "entries[0].id"), (5, "entries[0].answer")]
    # Two entries of one file with one id would overwrite each other.
    clash = source(tmp_path, "clash.yaml", """\
        topic: Payment
        entries:
          - {id: payment-card, question: "Can I pay by card?", answer: "Yes, by any card."}
          - {id: payment-card, question: "Do you take cards?", answer: "Yes, all of them."}
        """)
    with pytest.raises(ImportFileError, match=r"clash.yaml: entries\[1\].id: the same id as entries\[0\]"):
        import_help(clash, helpcenter)
    assert {path.name: path.read_text(encoding="utf-8") for path in helpcenter.glob("*.yaml")} == before


def test_the_running_shop_answers_an_imported_question_without_a_restart(
        tmp_path: Path, helpcenter: Path, db: Database, encoder) -> None:
    store = FaqStore(FaqStoreOptions(helpcenter_dir=helpcenter, chroma_path=tmp_path / "chroma",
                                     check_interval_s=0), encoder=encoder)
    store.sync()
    client = TestClient(create_shop_app(db, help_center=store))
    question = {"q": "can you send my order to Canada"}
    assert "Canada" not in client.get("/help", params=question).json().get("answer", "")
    import_help(source(tmp_path, "faq.md", FAQ_MARKDOWN), helpcenter)
    answer = client.get("/help", params=question).json()
    assert answer["found"] is True and answer["answer"].startswith("Yes, we ship to Canada")
