"""Help-center retrieval: the YAML files in ``shop/helpcenter/`` indexed in ChromaDB.

Product owners edit plain files; this store follows them. :meth:`FaqStore.sync` re-embeds only the
entries whose content hash changed and deletes entries that were removed. It runs at start-up and,
while the app runs, again whenever the files' modification times change (checked cheaply before a
search), so an edit is live on the next question without a restart.

Each entry is indexed as several documents: its question, each ``also_asked`` phrasing, and the
question together with its answer. A search scores an entry as the mean of its best phrasing's
similarity (does the customer ask *this*?) and its question+answer similarity (is it about what the
answer talks about?): one phrasing that happens to match a different intent no longer suffices,
which separates answerable from unanswerable questions better than the best document alone
(bench: recall@1 and abstain both rose on the dev split).

Below :data:`DEFAULT_THRESHOLD` the store abstains (``answer()`` returns ``None``): the assistant then
says it does not know and offers a person instead of guessing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from chromadb.api import ClientAPI
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shop.db import DEFAULT_DATA_DIR
from shop.policy import POLICY_PATH, Policy, PolicyError, load_policy, quote_rules
from shop.vectors import TextEncoder, VectorDocument, VectorRecord, VectorStore, VectorSyncReport, content_hash

log = logging.getLogger(__name__)

#: Minimum entry score (see :meth:`FaqStore.search`) for the store to answer.
#: Chosen with ``python -m bench.retrieval_quality --part faq --calibrate``: the value in 0.20..0.80 that
#: maximises mean("answered with a right entry", "correctly abstained") on the *dev* half of
#: bench/data/faq_queries.yaml (0.46). The *test* half's figures at this value are in docs/retrieval.md.
DEFAULT_THRESHOLD = 0.46

HELPCENTER_DIR = Path(__file__).resolve().parent
_PHRASING = "phrasing"
_FULL_TEXT = "full_text"
# Bump when the way entries become documents changes: every entry is then re-indexed once.
_INDEX_FORMAT = "3"


class HelpCenterError(ValueError):
    """A help-center file cannot be used; the message names the file and the problem."""


class _EntryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
    question: Annotated[str, Field(min_length=3)]
    also_asked: list[Annotated[str, Field(min_length=3)]] = []
    answer: Annotated[str, Field(min_length=3)]


class _TopicFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: Annotated[str, Field(min_length=1)]
    entries: list[_EntryFile]


@dataclass(frozen=True)
class HelpEntry:
    """One question/answer of the help center, as written in its file."""

    id: str
    topic: str
    question: str
    also_asked: tuple[str, ...]
    answer: str
    source: str  # "<file>#<id>": where an editor finds it

    def record(self) -> VectorRecord:
        """This entry as indexed: each phrasing alone, plus question + answer for its content."""
        texts = [(_PHRASING, q) for q in (self.question, *self.also_asked)] + [
            (_FULL_TEXT, f"{self.question} {self.answer}")
        ]
        shown = {"question": self.question, "answer": self.answer, "source": self.source}
        return VectorRecord(
            id=self.id,
            content_hash=content_hash(_INDEX_FORMAT, self.topic, self.question, *self.also_asked, self.answer),
            documents=tuple(VectorDocument(f"{self.id}#{n}", text, {"kind": kind, **shown})
                            for n, (kind, text) in enumerate(texts)),
        )


def load_helpcenter(directory: Path, policy_path: Path = POLICY_PATH) -> list[HelpEntry]:
    """All entries of ``directory/*.yaml``, answers quoting the policy's rules where they say ``{policy.return}``
    (``shop/policy.yaml``); raises :class:`HelpCenterError` on a malformed file, duplicate id or unknown rule."""
    if not directory.is_dir():
        raise HelpCenterError(f"help-center directory not found: {directory}")
    try:
        policy = load_policy(policy_path)
    except PolicyError as exc:
        raise HelpCenterError(str(exc)) from exc
    entries: dict[str, HelpEntry] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            parsed = _TopicFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise HelpCenterError(f"{path.name}: {exc}") from exc
        for item in parsed.entries:
            if item.id in entries:
                raise HelpCenterError(f"{path.name}: entry id {item.id!r} is already used in {entries[item.id].source}")
            entries[item.id] = HelpEntry(
                id=item.id,
                topic=parsed.topic,
                question=_one_line(item.question),
                also_asked=tuple(_one_line(q) for q in item.also_asked),
                answer=_one_line(_quoted(item.answer, policy, path)),
                source=f"{path.name}#{item.id}",
            )
    return list(entries.values())


def _quoted(answer: str, policy: Policy, path: Path) -> str:
    try:
        return quote_rules(answer, policy)
    except PolicyError as exc:
        raise HelpCenterError(f"{path.name}: {exc}") from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())


class FaqHit(BaseModel):
    """A help-center entry found for a question; ``score`` is its similarity (cosine-based, -1..1)."""

    id: str
    question: str
    answer: str
    source: str
    score: float


class FaqAnswer(BaseModel):
    """What the assistant may tell the customer: the best entry's answer and where it comes from."""

    answer: str
    source: str
    score: float
    matched_question: str


@dataclass(frozen=True)
class FaqStoreOptions:
    """Where the content and the index live, and how the store answers."""

    helpcenter_dir: Path = HELPCENTER_DIR
    chroma_path: Path | None = None  # None: ``chroma`` in the default data dir (the app passes its own)
    chroma_url: str | None = None  # a Chroma server instead of the files
    collection: str = "helpcenter"
    threshold: float = DEFAULT_THRESHOLD
    follow_edits: bool = True  # re-sync when the files change while running
    check_interval_s: float = 1.0  # at most one directory stat per interval


class FaqStore:
    """The help center in a ChromaDB collection; thread-safe."""

    def __init__(
        self,
        options: FaqStoreOptions | None = None,
        *,
        client: ClientAPI | None = None,
        encoder: TextEncoder | None = None,
    ) -> None:
        self.options = options or FaqStoreOptions()
        # Each entry is several documents; their metadata names the entry and the hash of its content.
        self._store = VectorStore(self.options.collection, self.options.chroma_path or DEFAULT_DATA_DIR / "chroma",
                                  self.options.chroma_url,
                                  client=client, encoder=encoder, hash_key="entry_hash", record_key="entry_id")
        self._snapshot: tuple[tuple[str, int, int, int], ...] | None = None
        self._checked_at = 0.0

    def sync(self) -> VectorSyncReport:
        """Bring the index in line with the files: embed new/changed entries, delete removed ones."""
        with self._store.lock:
            snapshot = self._file_snapshot()
            entries = load_helpcenter(self.options.helpcenter_dir)
            report = self._store.sync(entry.record() for entry in entries)
            self._snapshot = snapshot
            if report.added or report.updated or report.removed:
                log.info("help center synced: %d added, %d updated, %d removed",
                         len(report.added), len(report.updated), len(report.removed))
            return report

    def search(self, question: str, k: int = 3) -> list[FaqHit]:
        """The ``k`` entries most similar to ``question``, best first (each entry at most once)."""
        question = question.strip()
        if not question or k < 1:
            return []
        self._follow_edits()
        embedding = self._store.encoder.encode([question])
        with self._store.lock:
            # Stage 1: the nearest documents name the candidate entries. Stage 2: every document of those
            # entries is scored exactly (their stored vectors), so each entry's two parts are both known.
            nearest = self._store.collection.query(query_embeddings=embedding, n_results=k * 10, include=["metadatas"])
            candidates = list(dict.fromkeys(str(m["entry_id"]) for m in nearest["metadatas"][0]))
            if not candidates:
                return []  # nothing indexed
            docs = self._store.collection.get(
                where={"entry_id": {"$in": candidates}}, include=["metadatas", "embeddings"]
            )
        similarities = np.asarray(docs["embeddings"], dtype=np.float32) @ embedding[0]
        phrasing: dict[str, float] = {}
        full_text: dict[str, float] = {}
        meta_of: dict[str, Mapping[str, Any]] = {}
        for meta, similarity in zip(docs["metadatas"], similarities.tolist(), strict=True):
            entry_id = str(meta["entry_id"])
            part = phrasing if meta["kind"] == _PHRASING else full_text
            part[entry_id] = max(part.get(entry_id, -1.0), similarity)
            meta_of[entry_id] = meta
        hits = [
            FaqHit(
                id=entry_id,
                question=str(meta_of[entry_id]["question"]),
                answer=str(meta_of[entry_id]["answer"]),
                source=str(meta_of[entry_id]["source"]),
                score=round((phrasing.get(entry_id, -1.0) + full_text.get(entry_id, -1.0)) / 2, 4),
            )
            for entry_id in meta_of
        ]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def answer(self, question: str) -> FaqAnswer | None:
        """The best entry's answer, or ``None`` when nothing is similar enough (abstain, offer a person)."""
        hits = self.search(question, k=1)
        if not hits or hits[0].score < self.options.threshold:
            return None
        top = hits[0]
        return FaqAnswer(answer=top.answer, source=top.source, score=top.score, matched_question=top.question)

    def entry_count(self) -> int:
        """How many entries are indexed."""
        return len(self._store.stored_hashes())

    def _follow_edits(self) -> None:
        if not self.options.follow_edits:
            return
        now = time.monotonic()
        if now - self._checked_at < self.options.check_interval_s:
            return
        self._checked_at = now
        snapshot = self._file_snapshot()
        if snapshot == self._snapshot:
            return
        try:
            self.sync()
        except HelpCenterError as exc:
            # A half-saved or broken edit must not take the help center down: keep serving the last good
            # index, and retry when the files change again.
            self._snapshot = snapshot
            log.warning("help center not re-indexed, keeping the previous version: %s", exc)

    def _file_snapshot(self) -> tuple[tuple[str, int, int, int], ...]:
        directory = self.options.helpcenter_dir
        if not directory.is_dir():
            return ()
        # The policy's rules are quoted in answers: an edit of the policy re-indexes them too.
        stats = ((p.name, p.stat()) for p in (*directory.glob("*.yaml"), POLICY_PATH) if p.exists())
        return tuple(sorted((name, st.st_mtime_ns, st.st_size, st.st_ino) for name, st in stats))
