"""Product recommendations for the shop's ``GET /recommendations``: who bought what, what goes with what,
what reads alike, and what sells, each result with a short reason.

How a request is answered (see ``shop.recsys.catalog`` for the ranking itself):

1. The customer's orders and cart are read fresh from the database (two small queries), so a purchase
   made a second ago already counts: ALS folds the history in per request, item-kNN reads it directly.
2. With ``product_id`` the ranking is "goes with this" (co-purchases, then similar text); otherwise it is
   personal (collaborative, plus text similarity to recent items). New customers and new products
   fall back on text similarity and popularity within category.
3. ``query`` narrows the candidates to the catalog search's matches for the customer's words.
4. Out-of-stock products (stock read fresh) and what the customer bought or has in the cart are never
   returned.

Freshness: a process-wide :class:`Recommender` per database fits lazily on first use, refits in a background thread
on a schedule (only when the shop's data changed) and after every ``refit_after_orders`` orders
(:func:`notify_order`), and swaps the new model in atomically; requests never wait for a refit.
``python -m shop.recsys.service --retrain`` fits from the command line and warms the embedding cache.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shop.background import start_thread
from shop.db import DEFAULT_DATA_DIR, Database, sqlite_url
from shop.models import Product
from shop.recsys.catalog import CatalogItem, CatalogModel, CatalogOptions, ScoringRequest
from shop.recsys.embeddings import EmbeddingCache, Encoder, product_text
from shop.recsys.shop_data import CustomerActivity, data_signature, load_activity, load_all_activity, load_catalog
from shop.search import CatalogSearch, parse_query
from shop.vectors import get_encoder

log = logging.getLogger(__name__)

Recommendation = tuple[Product, str]


class UnknownProductError(LookupError):
    """``product_id`` names no product (the API answers 404)."""


@dataclass(frozen=True)
class RecommenderOptions:
    """How recommendations are made and kept fresh."""

    catalog: CatalogOptions = field(default_factory=CatalogOptions)
    cart_strength: float = 0.5  # a cart line is interest, not yet a purchase
    exclude_all_purchased: bool = True  # False: only the latest order (and the cart) is excluded
    query_pool: int = 100  # best search matches a query narrows the candidates to
    max_limit: int = 50
    refit_interval_s: float = 600.0  # scheduled refit check; 0 turns the schedule off
    refit_after_orders: int = 25  # notify_order() calls that trigger a background refit
    sync_encode_limit: int = 200  # a blocking first fit encodes at most this many texts; the rest in background
    content: bool = True  # text-embedding similarity (False: collaborative and popularity only)
    embedding_cache: Path | None = None  # .npz file keeping product embeddings across restarts


@dataclass(frozen=True)
class FitReport:
    """What one fit saw and how long it took."""

    products: int
    customers: int
    events: int
    embeddings_missing: int
    seconds: float


@dataclass(frozen=True)
class _Snapshot:
    """A fitted model plus the data signature it was fitted on; replaced whole, never mutated."""

    model: CatalogModel
    signature: tuple[object, ...]
    report: FitReport


class Recommender:
    """Fits on the shop database and answers recommendation requests; safe to share between threads."""

    def __init__(self, options: RecommenderOptions | None = None,
                 encoder_factory: Callable[[], Encoder] = get_encoder) -> None:
        self.options = options or RecommenderOptions()
        self._embeddings = EmbeddingCache(encoder_factory, self.options.embedding_cache)
        self._snapshot: _Snapshot | None = None
        self._fit_lock = threading.Lock()  # one fit at a time
        self._first_fit_lock = threading.Lock()
        self._state_lock = threading.Lock()  # guards the fields below
        self._engine: Engine | None = None
        self._refit_wanted = False
        self._refit_thread: threading.Thread | None = None
        self._scheduler: threading.Thread | None = None
        self._stop = threading.Event()
        self._orders_since_fit = 0

    # --- fitting -------------------------------------------------------------------------------------

    @property
    def report(self) -> FitReport | None:
        """The current model's fit report (None before the first fit)."""
        snapshot = self._snapshot
        return snapshot.report if snapshot else None

    def fit(self, session: Session, encode_limit: int | None = None) -> FitReport:
        """Fit on the shop's current data and swap the new model in.

        ``encode_limit``: encode at most this many product texts not in the cache (None: all); products
        left without an embedding only miss the content signal until a later fit encodes them.
        """
        with self._fit_lock:
            started = time.perf_counter()
            signature = data_signature(session)
            items, texts = load_catalog(session)
            activity = load_all_activity(session, self.options.cart_strength)
            model, missing, events = self._build(items, texts, activity, encode_limit)
            report = FitReport(products=len(items), customers=sum(1 for a in activity.values() if a.events),
                               events=events, embeddings_missing=missing, seconds=time.perf_counter() - started)
            self._snapshot = _Snapshot(model, signature, report)  # one reference assignment: atomic swap
            with self._state_lock:
                self._orders_since_fit = 0
        if self.options.content and missing < len(texts):
            self._embeddings.save()
        log.info("recommender fitted: %s", report)
        return report

    def _build(self, items: list[CatalogItem], texts: list[str], activity: dict[int, CustomerActivity],
               encode_limit: int | None) -> tuple[CatalogModel, int, int]:
        index = {item.id: position for position, item in enumerate(items)}
        histories: list[list[int]] = []
        strengths: list[list[float]] = []
        for customer in activity.values():
            known = [(index[product_id], strength) for product_id, strength in customer.events if product_id in index]
            if known:
                histories.append([item for item, _ in known])
                strengths.append([strength for _, strength in known])
        embeddings = None
        missing = 0
        if self.options.content:
            embeddings, missing = self._embeddings.lookup(texts, encode_missing=False)
            if missing and (encode_limit is None or missing <= encode_limit):
                embeddings, missing = self._embeddings.lookup(texts, encode_missing=True, stop=self._stop)
        model = CatalogModel.fit(items, histories, strengths, embeddings, self.options.catalog)
        return model, missing, sum(len(history) for history in histories)

    def _model(self, session: Session) -> CatalogModel:
        """The current model, fitting once (blocking) if there is none yet."""
        self._remember_engine(session)
        snapshot = self._snapshot
        if snapshot is None:
            with self._first_fit_lock:  # the first requests wait for one fit, not one fit each
                if self._snapshot is None:
                    report = self.fit(session, encode_limit=self.options.sync_encode_limit)
                    if report.embeddings_missing:
                        self.refit_in_background()  # encode the rest without holding up this request
            snapshot = self._snapshot
            assert snapshot is not None
        return snapshot.model

    # --- freshness -----------------------------------------------------------------------------------

    def start(self, engine: Engine) -> None:
        """Server start-up: fit in the background now (so no request waits for the first fit) and start
        the schedule. Requests arriving before that fit ends fit once themselves, as without ``start``."""
        with self._state_lock:
            self._engine = self._engine or engine
        self.start_scheduler()
        if self._snapshot is None:
            self.refit_in_background()

    def _remember_engine(self, session: Session) -> None:
        if self._engine is None:
            engine = _engine_of(session)
            with self._state_lock:
                self._engine = self._engine or engine
            if self.options.refit_interval_s > 0:
                self.start_scheduler()

    def refit_in_background(self) -> bool:
        """Refit in a background thread (coalesced: at most one running, one more queued).

        Returns False when no database is known yet (before the first request or fit)."""
        with self._state_lock:
            if self._engine is None:
                return False
            self._refit_wanted = True
            if self._refit_thread is not None and self._refit_thread.is_alive():
                return True  # the running thread sees the flag and fits again
            self._refit_thread = start_thread(self._refit_loop, name="recommender-refit")
            return True

    def _refit_loop(self) -> None:
        while True:
            with self._state_lock:
                if not self._refit_wanted or self._stop.is_set():
                    return
                self._refit_wanted = False
                engine = self._engine
            assert engine is not None
            first = self._snapshot is None
            try:
                with Session(engine) as session:
                    # A first fit serves quickly with the embeddings at hand, then a second one encodes the rest.
                    report = self.fit(session, encode_limit=self.options.sync_encode_limit if first else None)
                if first and report.embeddings_missing:
                    with self._state_lock:
                        self._refit_wanted = True
            except Exception:  # a failed refit keeps the previous model serving
                log.exception("background refit of the recommender failed")

    @property
    def refitting(self) -> bool:
        """True while a background refit is running or queued."""
        thread = self._refit_thread
        return thread is not None and thread.is_alive()

    def wait_for_refit(self, timeout_s: float = 60.0) -> None:
        """Block until a running background refit has finished (for tests, benchmarks and the CLI)."""
        thread = self._refit_thread
        if thread is not None:
            thread.join(timeout_s)

    def notify_order(self, user_id: int) -> None:
        """An order was placed. The customer's own recommendations already reflect it (histories are read
        per request); every ``refit_after_orders`` orders the shared item knowledge is refitted."""
        with self._state_lock:
            self._orders_since_fit += 1
            due = self._orders_since_fit >= self.options.refit_after_orders
        if due:
            self.refit_in_background()

    def start_scheduler(self) -> None:
        """Check every ``refit_interval_s`` whether the shop's data changed and refit if so (idempotent)."""
        with self._state_lock:
            if self._scheduler is not None or self.options.refit_interval_s <= 0:
                return
            self._scheduler = start_thread(self._schedule, name="recommender-schedule")

    def _schedule(self) -> None:
        while not self._stop.wait(self.options.refit_interval_s):
            engine, snapshot = self._engine, self._snapshot
            if engine is None or snapshot is None:  # the first fit belongs to the first request
                continue
            try:
                with Session(engine) as session:
                    changed = data_signature(session) != snapshot.signature
            except Exception:
                log.exception("recommender schedule could not read the database")
                continue
            if changed or snapshot.report.embeddings_missing:
                self.refit_in_background()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the schedule and cut short a refit's encoding, waiting up to ``timeout_s`` for it to end."""
        self._stop.set()
        self.wait_for_refit(timeout_s)

    # --- answering -----------------------------------------------------------------------------------

    def recommend(self, session: Session, user_id: int, query: str | None = None, product_id: str | None = None,
                  limit: int = 5, search: CatalogSearch | None = None) -> list[Recommendation]:
        """Up to ``limit`` in-stock products for the customer, best first, each with a short reason.

        ``query`` narrows the candidates to ``search``'s matches (default: a lexical search).

        Raises ``ValueError`` for a limit outside 1..``max_limit`` and :class:`UnknownProductError` for a
        ``product_id`` that names no product. An empty list means nothing fits (e.g. no match for the query).
        """
        if not 1 <= limit <= self.options.max_limit:
            raise ValueError(f"limit must be between 1 and {self.options.max_limit}, got {limit}")
        model = self._model(session)
        activity = load_activity(session, user_id, self.options.cart_strength)
        history = [(model.index[product_id], strength) for product_id, strength in activity.events
                   if product_id in model.index]
        exclude = {model.index[pid] for pid in activity.exclusions(self.options.exclude_all_purchased)
                   if pid in model.index}

        anchor: int | None = None
        anchor_vector: npt.NDArray[np.float32] | None = None
        anchor_name: str | None = None
        anchor_category: str | None = None
        if product_id is not None and product_id.strip():
            product = session.get(Product, product_id.strip())
            if product is None:
                raise UnknownProductError(f"no product with id {product_id.strip()!r}")
            anchor, anchor_name, anchor_category = model.index.get(product.id), product.name, product.category
            if anchor is None and self.options.content:  # added after the last fit: embed it now
                anchor_vector = self._embeddings.encode_one(
                    product_text(product.name, product.category, product.brand, product.description or ""))

        candidates: npt.NDArray[np.int64] | None = None
        if query is not None and query.strip():
            candidates = self._query_candidates(session, model, query, search or CatalogSearch())
            if candidates is not None and candidates.size == 0:
                return []

        request = ScoringRequest(
            history=[item for item, _ in history], strengths=[strength for _, strength in history],
            cart={model.index[pid] for pid in activity.in_cart if pid in model.index},
            anchor=anchor, anchor_vector=anchor_vector, anchor_name=anchor_name, anchor_category=anchor_category,
            candidates=candidates, exclude=exclude,
        )
        scored = model.score(request)
        results: list[Recommendation] = []
        for chunk in _chunks(scored.ranked(first=4 * limit), 2 * limit):
            ids = [model.items[item].id for item in chunk]
            in_stock = {product.id: product for product in session.scalars(
                select(Product).where(Product.id.in_(ids), Product.stock > 0))}
            for item, item_id in zip(chunk, ids, strict=True):
                if item_id in in_stock:
                    results.append((in_stock[item_id], model.reason(item, request, scored, query)))
                    if len(results) == limit:
                        return results
        return results

    def _query_candidates(self, session: Session, model: CatalogModel, query: str,
                          search: CatalogSearch) -> npt.NDArray[np.int64] | None:
        """Indices of the catalog search's best in-stock matches, best first; None if the words name nothing
        to search for ("something nice"), so the query does not narrow anything."""
        parsed = parse_query(query, in_stock=True, limit=self.options.query_pool)
        if not parsed.narrows:
            return None
        _, hits = search.search_products(session, parsed)
        return np.array([model.index[product.id] for product, _ in hits if product.id in model.index],
                        dtype=np.int64)


def _chunks(items: Iterator[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the process-wide instances the shop API uses -----------------------------------------------------------

_instances: dict[str, Recommender] = {}  # one per database URL: a process may serve several shops (tests do)
_instances_lock = threading.Lock()


@atexit.register
def _stop_all() -> None:
    """At exit, end background refits cleanly: a daemon thread killed inside the ONNX runtime aborts the process."""
    with _instances_lock:
        instances = list(_instances.values())
    for instance in instances:
        instance.stop()


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def configure(engine: Engine, options: RecommenderOptions) -> None:
    """The options of the database's recommender (the app's ``settings.recommender``); call before serving."""
    with _instances_lock:
        current = _instances.get(_key(engine))
        if current is None or current.options != options:
            _instances[_key(engine)] = Recommender(options)


def get_recommender(engine: Engine) -> Recommender:
    """The recommender of the database behind ``engine`` (as :func:`configure` said), created on first use."""
    with _instances_lock:
        if _key(engine) not in _instances:
            _instances[_key(engine)] = Recommender(RecommenderOptions(
                embedding_cache=DEFAULT_DATA_DIR / "recommend-embeddings.npz"))
        return _instances[_key(engine)]


def recommend(session: Session, user_id: int, query: str | None, product_id: str | None,
              limit: int, search: CatalogSearch | None = None) -> list[Recommendation]:
    """What ``GET /recommendations`` returns: ``(product, reason)`` pairs from the shared recommender."""
    return get_recommender(_engine_of(session)).recommend(session, user_id, query=query, product_id=product_id,
                                                          limit=limit, search=search)


def start(engine: Engine) -> None:
    """Call once at server start-up: first fit in the background, then the refit schedule."""
    get_recommender(engine).start(engine)


def notify_order(session: Session, user_id: int) -> None:
    """Call after a checkout: counts towards the next background refit of that shop's recommender."""
    get_recommender(_engine_of(session)).notify_order(user_id)


# --- command line ------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """``python -m shop.recsys.service --retrain``: fit on the shop database, warm the embedding cache, report."""
    parser = argparse.ArgumentParser(prog="python -m shop.recsys.service", description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help="fit now and save the product embedding cache")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: shop.db in --data-dir)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="where the product embedding cache lives (default: %(default)s)")
    parser.add_argument("--user-id", type=int, default=None, help="also print this customer's recommendations")
    parser.add_argument("--query", default=None, help="with --user-id: narrow to these words")
    parser.add_argument("--product-id", default=None, help="with --user-id: what goes with this product")
    parser.add_argument("--limit", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.retrain and args.user_id is None:
        parser.error("nothing to do: pass --retrain and/or --user-id")

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    database = Database(args.database_url or sqlite_url(args.data_dir))
    recommender = Recommender(RecommenderOptions(embedding_cache=args.data_dir / "recommend-embeddings.npz",
                                                 refit_interval_s=0))
    try:
        with database.sessions() as session:
            report = recommender.fit(session)
            print(f"fitted in {report.seconds:.1f} s: {report.products:,} products, {report.customers:,} customers "
                  f"with history, {report.events:,} events, {report.embeddings_missing} products without embedding")
            if args.user_id is not None:
                try:
                    results = recommender.recommend(session, args.user_id, args.query, args.product_id, args.limit)
                except (ValueError, UnknownProductError) as error:
                    print(f"error: {error}")
                    return 2
                for product, reason in results:
                    print(f"  {product.id:>7}  {product.name} ({product.category}, stock {product.stock}): {reason}")
    finally:
        database.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
