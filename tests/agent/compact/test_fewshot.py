"""The few-shot index is built from the committed pool file, and its vectors are cached by content."""

from __future__ import annotations

from pathlib import Path

from agent.compact.fewshot import POOL_FILE, FewShotIndex, read_pool, write_pool
from agent.compact.prompt import Example
from tests.agent.doubles import KeywordEncoder


def test_the_index_holds_the_committed_pool_and_finds_near_wordings(tmp_path: Path) -> None:
    encoder = KeywordEncoder(["cart", "order", "track", "cancel", "return"])
    index = FewShotIndex.build(tmp_path, encoder=encoder)
    assert index.examples == read_pool(POOL_FILE) and len(index.vectors) == len(index.examples)
    nearest = index.nearest("track my order", 3)
    assert len(nearest) == 3 and all("track" in e.utterance or "order" in e.utterance for e in nearest)
    assert len(list(tmp_path.glob("fewshot-*.npy"))) == 1


def test_another_pool_gets_its_own_cached_vectors(tmp_path: Path) -> None:
    pool = tmp_path / "pool.jsonl"
    write_pool([Example("show my cart", "cart"), Example("track my order", "status")], pool)
    encoder = KeywordEncoder(["cart", "order"])
    first = FewShotIndex.build(tmp_path / "cache", pool=pool, encoder=encoder)
    assert [e.line for e in first.nearest("where is my order", 1)] == ["status"]
    write_pool([Example("show my cart", "cart")], pool)
    second = FewShotIndex.build(tmp_path / "cache", pool=pool, encoder=encoder)
    assert second.examples == [Example("show my cart", "cart")]
    assert len(list((tmp_path / "cache").glob("fewshot-*.npy"))) == 2
