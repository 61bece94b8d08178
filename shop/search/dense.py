"""Product vectors in ChromaDB: the dense half of the hybrid catalog search.

Each product is embedded once from its name, category, brand and description (the same encoder as the
help center, :mod:`shop.vectors`). The catalog database stays the source of truth: the collection holds
only vectors (and a hash of the text they came from). Filters are applied in SQL to the neighbours a
query returns, never inside Chroma: its metadata filters scan (60 ms to 1 s per query at 100,000
products, measured) where an unfiltered top-500 query takes ~3 ms. A stale vector can therefore cost a
missed candidate but never a wrong result.

Keeping it in sync:
- :meth:`DenseIndex.sync` (start-up) compares a content hash per product with what the collection holds:
  new or re-worded products are embedded, deleted products are removed; price or stock changes cost
  nothing here.
- :meth:`DenseIndex.refresh` (cheap, while running) looks only at products whose ``updated_at`` is newer
  than the last sync, plus the product count to notice deletions; :meth:`DenseIndex.follow` runs it every
  few seconds in a background thread, so edits show up without a restart and no request pays for it.

Start-up: ``index = DenseIndex(); index.sync(session); stop = index.follow(db.sessions);
shop.search.use_dense_index(index)``.

Embedding is the slow part: about 10 ms per product on one core of the 2-core machine when it is
otherwise quiet, several times that when it is busy (docs/retrieval.md has the measured rates). A
2,000-product catalog takes well under a minute or two; 100,000 products take from tens of minutes to
about an hour; a million would take hours, so at that size build the index ahead of time
(``python -m shop.search.dense``) or keep the catalog lexical only.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.db import DEFAULT_DATA_DIR
from shop.models import Product
from shop.vectors import MODEL_ID, TextEncoder, get_encoder, open_chroma_client, open_collection

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
# Bump when product_text() changes: every product is then re-embedded once.
_TEXT_FORMAT = "1"
_STATE_WATERMARK = "synced_through"  # collection metadata: newest updated_at seen by the last sync
_STATE_COUNT = "product_count"  # collection metadata: products in the database at the last sync


def product_text(name: str, category: str, brand: str, description: str) -> str:
    """The text a product is embedded from: what it is first, then the details."""
    return f"{name}. {category} by {brand}. {description}"


@dataclass(frozen=True)
class DenseIndexOptions:
    """Where the vectors live and how big the write batches are."""

    chroma_path: Path = field(default_factory=lambda: DEFAULT_DATA_DIR / "chroma")
    chroma_url: str | None = field(default_factory=lambda: os.environ.get("CHROMA_URL") or None)
    collection: str = "products"
    batch_size: int = 512  # products read, embedded and written at a time
    refresh_interval_s: float = 5.0  # how often follow() looks for changed products


@dataclass
class DenseSyncReport:
    """What a sync or refresh did (product counts) and how long it took."""

    embedded: int = 0  # new or re-worded products
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Row:
    id: str
    text: str
    text_hash: str


class DenseIndex:
    """Product vectors for semantic search; thread-safe."""

    def __init__(
        self,
        options: DenseIndexOptions | None = None,
        *,
        client: ClientAPI | None = None,
        encoder: TextEncoder | None = None,
    ) -> None:
        self.options = options or DenseIndexOptions()
        self._encoder = encoder or get_encoder()
        self._client = client or open_chroma_client(self.options.chroma_path, self.options.chroma_url)
        self._collection: Collection = open_collection(self._client, self.options.collection, self._encoder)
        self._lock = threading.RLock()  # refresh() may fall back to sync() while holding it

    # ------------------------------------------------------------------ queries

    def count(self) -> int:
        return self._collection.count()

    def search(self, query: str, n: int = 100) -> list[tuple[str, float]]:
        """Up to ``n`` (product id, cosine similarity) pairs, most similar first; filter them in SQL."""
        query = query.strip()
        if not query or n < 1:
            return []
        embedding = self._encoder.encode([query])
        # n above the collection size is fine: Chroma returns what it has.
        result = self._collection.query(query_embeddings=embedding, n_results=n, include=["distances"])
        return [(doc_id, 1.0 - float(d)) for doc_id, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    # ------------------------------------------------------------------ keeping in sync

    def sync(self, session: Session, progress: Progress | None = None) -> DenseSyncReport:
        """Full reconciliation with the database (start-up): embed new/changed, drop deleted products."""
        with self._lock:
            started = time.perf_counter()
            stored = self._stored_hashes()
            seen: set[str] = set()
            report = self._upsert(self._rows(session), stored, seen, progress)
            gone = set(stored) - seen
            for chunk in _chunks(sorted(gone), self.options.batch_size * 8):
                self._collection.delete(ids=chunk)
            report.removed = len(gone)
            self._save_state(session)
            report.seconds = time.perf_counter() - started
            return report

    def refresh(self, session: Session) -> DenseSyncReport:
        """Cheap catch-up: re-check products updated since the last sync; a full sync if any were deleted."""
        state = self._collection.metadata or {}
        if _STATE_WATERMARK not in state:
            return self.sync(session)
        count, newest = session.execute(select(func.count(), func.max(Product.updated_at))).one()
        if count < int(state.get(_STATE_COUNT, 0)):
            return self.sync(session)  # something was deleted: only a full pass finds what
        watermark = datetime.fromisoformat(str(state[_STATE_WATERMARK]))
        if newest is None or _as_utc(newest) <= watermark:
            return DenseSyncReport()
        with self._lock:
            started = time.perf_counter()
            rows = list(self._rows(session, changed_after=watermark))
            stored = self._stored_hashes(ids=[r.id for r in rows])
            report = self._upsert(iter(rows), stored, set(), None)
            self._save_state(session)
            report.seconds = time.perf_counter() - started
            return report

    def follow(self, sessions: Callable[[], Session]) -> threading.Event:
        """Keep the index in sync while the app runs: :meth:`refresh` every ``refresh_interval_s`` seconds.

        Runs in a daemon thread so no search request pays for the change check; ``sessions`` makes a
        session (e.g. ``Database.sessions``). Set the returned event to stop following.
        """
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(self.options.refresh_interval_s):
                try:
                    with sessions() as session:
                        report = self.refresh(session)
                    if report.embedded or report.removed:
                        log.info("dense index refreshed: %s", report)
                except Exception:
                    log.exception("dense index refresh failed; retrying in %.0f s", self.options.refresh_interval_s)

        threading.Thread(target=loop, name="dense-index-follow", daemon=True).start()
        return stop

    def _upsert(
        self, rows: Iterator[_Row], stored: dict[str, str], seen: set[str], progress: Progress | None
    ) -> DenseSyncReport:
        """Embed rows whose text changed (ids go into ``seen``)."""
        report = DenseSyncReport()
        batch: list[_Row] = []
        for row in rows:
            seen.add(row.id)
            if stored.get(row.id) != row.text_hash:
                batch.append(row)
            else:
                report.unchanged += 1
            if len(batch) >= self.options.batch_size:
                report.embedded += self._embed_and_write(batch)
                batch = []
                if progress:
                    progress(f"embedded {report.embedded} products")
        if batch:
            report.embedded += self._embed_and_write(batch)
        return report

    def _embed_and_write(self, rows: Sequence[_Row]) -> int:
        self._collection.upsert(
            ids=[r.id for r in rows],
            embeddings=self._encoder.encode([r.text for r in rows]),
            metadatas=[{"text_hash": r.text_hash} for r in rows],
        )
        return len(rows)

    def _rows(self, session: Session, changed_after: datetime | None = None) -> Iterator[_Row]:
        columns = (Product.id, Product.name, Product.category, Product.brand, Product.description)
        statement = select(*columns).order_by(Product.id)
        if changed_after is not None:
            statement = statement.where(Product.updated_at > changed_after)
        result = session.execute(statement.execution_options(yield_per=self.options.batch_size))
        for pid, name, category, brand, description in result:
            text = product_text(name, category, brand, description or "")
            yield _Row(pid, text, _digest(_TEXT_FORMAT, MODEL_ID, text))

    def _stored_hashes(self, ids: list[str] | None = None) -> dict[str, str]:
        """product id -> hash of the text its vector came from (paged: the collection may be large)."""
        stored: dict[str, str] = {}
        page = 10_000
        if ids is not None:
            for chunk in _chunks(ids, page):
                got = self._collection.get(ids=chunk, include=["metadatas"])
                stored.update(_hashes(got))
            return stored
        offset = 0
        while True:
            got = self._collection.get(limit=page, offset=offset, include=["metadatas"])
            if not got["ids"]:
                return stored
            stored.update(_hashes(got))
            offset += len(got["ids"])

    def _save_state(self, session: Session) -> None:
        count, newest = session.execute(select(func.count(), func.max(Product.updated_at))).one()
        watermark = _as_utc(newest) if newest is not None else datetime.fromtimestamp(0, UTC)
        metadata = dict(self._collection.metadata or {})
        metadata.update({_STATE_WATERMARK: watermark.isoformat(), _STATE_COUNT: int(count)})
        self._collection.modify(metadata=metadata)


def _hashes(got: Any) -> dict[str, str]:
    return {doc_id: str((meta or {}).get("text_hash", "")) for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True)}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _as_utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def main(argv: list[str] | None = None) -> int:
    """``python -m shop.search.dense``: build or catch up the product vectors of the shop database."""
    from shop.db import Database

    parser = argparse.ArgumentParser(description="Embed the catalog into ChromaDB (incremental).")
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL or var/shop.db")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads for embedding")
    args = parser.parse_args(argv)

    from shop.vectors import EncoderOptions

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    database = Database(args.database_url)
    index = DenseIndex(encoder=TextEncoder(EncoderOptions(intra_op_threads=args.threads)))
    with database.sessions() as session:
        report = index.sync(session, progress=lambda line: print(line, flush=True))
    print(f"{report}; {index.count()} products indexed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
