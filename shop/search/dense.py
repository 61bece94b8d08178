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
search.use_dense_index(index)`` on the shop's :class:`shop.search.CatalogSearch`.

Embedding is the slow part: about 10 ms per product on one core of the 2-core machine when it is
otherwise quiet, several times that when it is busy (docs/retrieval.md has the measured rates). A
2,000-product catalog takes well under a minute or two; 100,000 products take from tens of minutes to
about an hour; a million would take hours, so at that size build the index ahead of time
(``python -m shop.search.dense``) or keep the catalog lexical only.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chromadb.api import ClientAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.background import start_thread
from shop.db import DEFAULT_DATA_DIR
from shop.models import Product
from shop.vectors import TextEncoder, VectorDocument, VectorRecord, VectorStore, VectorSyncReport, content_hash

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

    chroma_path: Path | None = None  # None: ``chroma`` in the default data dir (the app passes its own)
    chroma_url: str | None = None  # a Chroma server instead of the files
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

    @classmethod
    def of(cls, report: VectorSyncReport) -> DenseSyncReport:
        return cls(embedded=len(report.added) + len(report.updated), removed=len(report.removed),
                   unchanged=report.unchanged, seconds=report.seconds)


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
        # One document per product, under the product's id; its metadata holds only the text's hash.
        self._store = VectorStore(self.options.collection, self.options.chroma_path or DEFAULT_DATA_DIR / "chroma",
                                  self.options.chroma_url,
                                  client=client, encoder=encoder, hash_key="text_hash",
                                  batch_size=self.options.batch_size)

    # ------------------------------------------------------------------ queries

    def count(self) -> int:
        return self._store.collection.count()

    def search(self, query: str, n: int = 100) -> list[tuple[str, float]]:
        """Up to ``n`` (product id, cosine similarity) pairs, most similar first; filter them in SQL."""
        query = query.strip()
        if not query or n < 1:
            return []
        embedding = self._store.encoder.encode([query])
        # n above the collection size is fine: Chroma returns what it has.
        result = self._store.collection.query(query_embeddings=embedding, n_results=n, include=["distances"])
        return [(doc_id, 1.0 - float(d)) for doc_id, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    # ------------------------------------------------------------------ keeping in sync

    def sync(self, session: Session, progress: Progress | None = None) -> DenseSyncReport:
        """Full reconciliation with the database (start-up): embed new/changed, drop deleted products."""
        def embedded(count: int) -> None:
            if progress:
                progress(f"embedded {count} products")

        with self._store.lock:
            report = self._store.sync(self._records(session), progress=embedded)
            self._save_state(session)
        return DenseSyncReport.of(report)

    def refresh(self, session: Session) -> DenseSyncReport:
        """Cheap catch-up: re-check products updated since the last sync; a full sync if any were deleted."""
        state = self._store.collection.metadata or {}
        if _STATE_WATERMARK not in state:
            return self.sync(session)
        count, newest = session.execute(select(func.count(), func.max(Product.updated_at))).one()
        if count < int(state.get(_STATE_COUNT, 0)):
            return self.sync(session)  # something was deleted: only a full pass finds what
        watermark = datetime.fromisoformat(str(state[_STATE_WATERMARK]))
        if newest is None or _as_utc(newest) <= watermark:
            return DenseSyncReport()
        with self._store.lock:
            report = self._store.sync(self._records(session, changed_after=watermark), complete=False)
            self._save_state(session)
        return DenseSyncReport.of(report)

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

        start_thread(loop, name="dense-index-follow")
        return stop

    def _records(self, session: Session, changed_after: datetime | None = None) -> Iterator[VectorRecord]:
        columns = (Product.id, Product.name, Product.category, Product.brand, Product.description)
        statement = select(*columns).order_by(Product.id)
        if changed_after is not None:
            statement = statement.where(Product.updated_at > changed_after)
        result = session.execute(statement.execution_options(yield_per=self.options.batch_size))
        for pid, name, category, brand, description in result:
            text = product_text(name, category, brand, description or "")
            yield VectorRecord(pid, content_hash(_TEXT_FORMAT, text), (VectorDocument(pid, text),))

    def _save_state(self, session: Session) -> None:
        count, newest = session.execute(select(func.count(), func.max(Product.updated_at))).one()
        watermark = _as_utc(newest) if newest is not None else datetime.fromtimestamp(0, UTC)
        metadata = dict(self._store.collection.metadata or {})
        metadata.update({_STATE_WATERMARK: watermark.isoformat(), _STATE_COUNT: int(count)})
        self._store.collection.modify(metadata=metadata)


def _as_utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


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
