"""Recommender benchmark: offline accuracy on Amazon Beauty and the seeded shop, and request latency.

    .venv/bin/python -m bench.recommend_bench                 # all three parts (~10 min on 2 busy cores)
    .venv/bin/python -m bench.recommend_bench beauty --no-tune   # Beauty with the tuned defaults only
    .venv/bin/python -m bench.recommend_bench shop
    .venv/bin/python -m bench.recommend_bench latency --products 2000 --customers 200

beauty: the public Amazon Beauty sequences (../shared/data/amazon-beauty, protocol of its SOURCES.md):
leave-one-out, full ranking over all 12,101 items, HIT@10 and NDCG@10 for popularity, item-kNN, ALS,
BPR and the shipped hybrid. Hyperparameters are chosen on the validation target (second-to-last item);
the test target (last item) is scored once per method, by a model refitted on everything before it, in
a fresh process so its training time and peak memory are its own.

shop: the same protocol on the seeded shop's order history (orders in time order, cancelled and
returned ones left out), including the full shipped ranking (collaborative + text similarity +
popularity within category), whose blend weights are chosen on the shop's validation target.

latency: ``shop.recsys.service`` requests (personal, with a query, "goes with this", new customer) against
a seeded SQLite shop, p50/p95/max, also while a background refit runs; and a check that a new order
changes the customer's recommendations without a refit.
"""

from __future__ import annotations

import os

# Before numpy loads: implicit runs its own threads, a BLAS thread pool on top only fights them.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from evals.metrics import percentile
from shop.db import Database
from shop.recsys.amazon_beauty import DEFAULT_PATH, load_sequences
from shop.recsys.catalog import BlendWeights, CatalogItem, CatalogModel, CatalogOptions, ScoringRequest
from shop.recsys.evaluation import LeaveOneOutSplit, RankingMetrics, evaluate, leave_one_out
from shop.recsys.hybrid import HybridModel, HybridOptions
from shop.recsys.interactions import History
from shop.recsys.scorers import (
    AlsOptions,
    AlsScorer,
    BprOptions,
    BprScorer,
    ItemKnnOptions,
    ItemKnnScorer,
    PopularityScorer,
    Scorer,
)

Config = ItemKnnOptions | AlsOptions | BprOptions | HybridOptions | CatalogOptions | None
HYBRID = "hybrid CF: ALS + recency item-kNN"
SHIPPED = "shipped ranking: hybrid CF + popularity"


def say(message: str) -> None:
    """Progress goes to stderr; the tables go to stdout."""
    print(message, file=sys.stderr, flush=True)


def make_scorer(method: str, config: Config) -> Scorer:
    if method == "popularity":
        return PopularityScorer()
    if method == "item-kNN":
        assert isinstance(config, ItemKnnOptions)
        return ItemKnnScorer(config)
    if method == "ALS":
        assert isinstance(config, AlsOptions)
        return AlsScorer(config)
    if method == "BPR":
        assert isinstance(config, BprOptions)
        return BprScorer(config)
    if method == HYBRID:
        assert isinstance(config, HybridOptions)
        return HybridModel(config)
    if method == SHIPPED:
        assert isinstance(config, CatalogOptions)
        return CatalogScorer(None, None, config)  # Beauty has no product text or categories
    raise ValueError(method)


def describe(config: Config) -> str:
    """Only the hyperparameters that were tuned or matter, for the table."""
    if config is None:
        return "-"
    if isinstance(config, ItemKnnOptions):
        return f"{config.kind}, K={config.neighbours}"
    if isinstance(config, AlsOptions):
        return f"f={config.factors}, alpha={config.alpha:g}, reg={config.regularization:g}"
    if isinstance(config, BprOptions):
        return f"f={config.factors}, lr={config.learning_rate:g}, reg={config.regularization:g}"
    if isinstance(config, CatalogOptions):
        return f"the hybrid above + popularity weight {config.weights.popularity:g}"
    return (f"ALS({describe(config.als)}) + kNN({describe(config.knn)}), "
            f"kNN weight={config.knn_weight:g}, decay={config.recency_decay:g}")


# --- Amazon Beauty -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalRun:
    """One method's test-split result, measured in its own process."""

    method: str
    config: str
    metrics: RankingMetrics
    train_s: float
    peak_rss_mib: float
    fit_rss_mib: float  # peak during the fit above the process's size just before it (data loaded)


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (``VmRSS`` now, ``VmHWM`` peak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak_rss() -> None:
    """Start the peak (VmHWM) afresh; ``getrusage``'s maximum would include the parent's, inherited over exec."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")


def _final_run(method: str, config: Config, data_path: str) -> FinalRun:
    """Fit on everything but the last item and score the last item (runs in a fresh process)."""
    sequences, n_items = load_sequences(Path(data_path))
    split = leave_one_out(sequences, n_items, holdout=1)
    scorer = make_scorer(method, config)
    _reset_peak_rss()
    before = _status_mib("VmRSS")
    started = time.perf_counter()
    scorer.fit(split.train, n_items)
    train_s = time.perf_counter() - started
    peak = _status_mib("VmHWM")
    metrics = evaluate(scorer, split)
    return FinalRun(method, describe(config), metrics, train_s, peak, max(0.0, peak - before))


def _validate(method: str, config: Config, split: LeaveOneOutSplit) -> RankingMetrics:
    scorer = make_scorer(method, config)
    scorer.fit(split.train, split.n_items)
    return evaluate(scorer, split)


def _pick(method: str, configs: Sequence[Config], split: LeaveOneOutSplit,
          validation: list[tuple[str, str, RankingMetrics]]) -> Config:
    """The config with the best validation NDCG@10 (every tried one is recorded)."""
    best, best_ndcg = configs[0], -1.0
    for config in configs:
        started = time.perf_counter()
        metrics = _validate(method, config, split)
        validation.append((method, describe(config), metrics))
        say(f"  valid {method:<12} {describe(config):<40} NDCG@10 {metrics.ndcg:.4f} "
            f"HIT@10 {metrics.hit:.4f} ({time.perf_counter() - started:.0f} s)")
        if metrics.ndcg > best_ndcg:
            best, best_ndcg = config, metrics.ndcg
    return best


def tune_beauty(split: LeaveOneOutSplit, threads: int,
                validation: list[tuple[str, str, RankingMetrics]]) -> dict[str, Config]:
    """Small grids on the validation target; the shipped hybrid reuses the best ALS and kNN settings."""
    knn = _pick("item-kNN", [ItemKnnOptions(kind, k, threads) for kind in ("cosine", "tfidf", "bm25")
                             for k in (50, 200, 1000)], split, validation)
    als = _pick("ALS", [AlsOptions(factors=f, alpha=a, num_threads=threads) for f in (64, 128, 256)
                        for a in (10.0, 40.0)], split, validation)
    bpr = _pick("BPR", [BprOptions(factors=f, learning_rate=lr, num_threads=threads) for f in (64, 128)
                        for lr in (0.01, 0.05)], split, validation)
    assert isinstance(knn, ItemKnnOptions) and isinstance(als, AlsOptions)
    # Fit the hybrid once and tune only its blend (scoring-time settings) on top of it.
    hybrid = HybridModel(HybridOptions(als=als, knn=knn))
    hybrid.fit(split.train, split.n_items)
    best = hybrid.options
    best_ndcg = -1.0
    for weight in (0.5, 0.7, 0.85):
        for decay in (0.5, 0.7, 0.85):
            candidate = hybrid.with_blend(weight, decay)
            metrics = evaluate(candidate, split)
            validation.append((HYBRID, describe(candidate.options), metrics))
            say(f"  valid hybrid kNN weight {weight:g} decay {decay:g}: NDCG@10 {metrics.ndcg:.4f}")
            if metrics.ndcg > best_ndcg:
                best, best_ndcg = candidate.options, metrics.ndcg
    # The shop's ranking on top of the tuned hybrid: only the popularity weight applies (no text here).
    shipped = CatalogScorer(None, None, CatalogOptions(hybrid=best))
    shipped.fit(split.train, split.n_items)
    fitted = shipped.model
    assert fitted is not None
    best_shipped, best_ndcg = shipped.options, -1.0
    for popularity in (0.1, 0.25, 0.5, 1.0):
        options = replace(shipped.options, weights=replace(shipped.options.weights, popularity=popularity))
        shipped.model = fitted.with_weights(options.weights)
        metrics = evaluate(shipped, split)
        validation.append((SHIPPED, describe(options), metrics))
        say(f"  valid shipped ranking, popularity weight {popularity:g}: NDCG@10 {metrics.ndcg:.4f}")
        if metrics.ndcg > best_ndcg:
            best_shipped, best_ndcg = options, metrics.ndcg
    return {"popularity": None, "item-kNN": knn, "ALS": als, "BPR": bpr, HYBRID: best, SHIPPED: best_shipped}


def default_beauty_configs(threads: int) -> dict[str, Config]:
    """The values the tuning chose on this machine (see docs/recommendations.md); used with --no-tune."""
    hybrid = HybridOptions()  # its defaults are the values tuned here
    hybrid = replace(hybrid, als=replace(hybrid.als, num_threads=threads), knn=replace(hybrid.knn, num_threads=threads))
    return {
        "popularity": None,
        "item-kNN": ItemKnnOptions("tfidf", 1000, threads),
        "ALS": AlsOptions(factors=256, alpha=40.0, num_threads=threads),
        "BPR": BprOptions(factors=128, learning_rate=0.05, num_threads=threads),
        HYBRID: hybrid,
        SHIPPED: CatalogOptions(hybrid=hybrid),  # the shop's blend weights
    }


def run_beauty(data_path: Path, tune: bool, threads: int) -> None:
    if not data_path.is_file():
        say(f"skipping beauty: {data_path} is absent (it lives in ../shared/data/amazon-beauty)")
        return
    sequences, n_items = load_sequences(data_path)
    say(f"Amazon Beauty: {len(sequences):,} users, {n_items:,} items, {sum(map(len, sequences)):,} interactions")
    validation: list[tuple[str, str, RankingMetrics]] = []
    if tune:
        configs = tune_beauty(leave_one_out(sequences, n_items, holdout=2), threads, validation)
    else:
        configs = default_beauty_configs(threads)
    del sequences
    finals: list[FinalRun] = []
    for method, config in configs.items():
        # A fresh process per method: its peak RSS is then this method's, not the largest so far.
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            final = pool.submit(_final_run, method, config, str(data_path)).result()
        say(f"  test  {method:<12} NDCG@10 {final.metrics.ndcg:.4f} HIT@10 {final.metrics.hit:.4f} "
            f"train {final.train_s:.1f} s, peak RSS {final.peak_rss_mib:.0f} MiB")
        finals.append(final)

    popularity = finals[0].metrics.ndcg
    print(f"\n### Amazon Beauty, test target (last item), full ranking over {n_items:,} items, "
          f"{finals[0].metrics.users:,} users\n")
    print("| method | settings (chosen on validation) | HIT@10 | NDCG@10 | x popularity | train s | peak RSS MiB | "
          "fit RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for final in finals:
        print(f"| {final.method} | {final.config} | {final.metrics.hit:.4f} | {final.metrics.ndcg:.4f} | "
              f"{final.metrics.ndcg / popularity:.1f} | {final.train_s:.1f} | {final.peak_rss_mib:.0f} | "
              f"{final.fit_rss_mib:.0f} |")
    if validation:
        print("\n### Amazon Beauty, validation target (second-to-last item): every setting tried\n")
        print("| method | settings | HIT@10 | NDCG@10 |")
        print("|---|---|---|---|")
        for method, config, metrics in validation:
            print(f"| {method} | {config} | {metrics.hit:.4f} | {metrics.ndcg:.4f} |")


# --- the seeded shop ---------------------------------------------------------------------------------------


def seed_shop(directory: Path, products: int, customers: int, seed: int) -> Database:
    """A seeded SQLite shop in ``directory`` (the app's var/ is never touched)."""
    from shop.seed import seed_database

    database = Database(f"sqlite:///{directory / 'shop.db'}")
    database.create_schema()
    seed_database(database, products=products, customers=customers, seed=seed)
    return database


class CatalogScorer:
    """The shipped ranking (``CatalogModel``) behind the evaluation's scorer interface.

    ``anchored``: score as "goes with this" for the customer's last purchase instead of from the whole
    history, which evaluates the product-page mode on the same next-purchase targets.
    """

    def __init__(self, items: Sequence[CatalogItem] | None, embeddings: np.ndarray | None, options: CatalogOptions,
                 anchored: bool = False) -> None:
        self.items, self.embeddings, self.options, self.anchored = items, embeddings, options, anchored
        self.model: CatalogModel | None = None

    def fit(self, histories: Sequence[History], n_items: int) -> None:
        # Without a catalogue (Amazon Beauty: anonymous ids), every item is in one category.
        items = self.items or [CatalogItem(id=str(item), name=str(item), category="all") for item in range(n_items)]
        self.model = CatalogModel.fit(items, histories, None, self.embeddings, self.options)

    def request(self, history: History) -> ScoringRequest:
        if self.anchored:
            return ScoringRequest(anchor=history[-1])
        return ScoringRequest(history=list(history))

    def score(self, users: np.ndarray, histories: Sequence[History]) -> np.ndarray:
        assert self.model is not None
        # The CF part for the whole batch at once: per history it would dominate the run time.
        collaborative = None if self.anchored else self.model.collaborative_scores(histories)
        return np.stack([
            self.model.score(self.request(history), None if collaborative is None else collaborative[row]).total
            for row, history in enumerate(histories)
        ])


def run_shop(products: int, customers: int, seed: int) -> None:
    from shop.recsys.embeddings import EmbeddingCache
    from shop.recsys.shop_data import load_all_activity, load_catalog

    with tempfile.TemporaryDirectory() as directory:
        database = seed_shop(Path(directory), products, customers, seed)
        with database.sessions() as session:
            items, texts = load_catalog(session)
            activity = load_all_activity(session, cart_strength=0.5)
        database.engine.dispose()
    index = {item.id: position for position, item in enumerate(items)}
    sequences = [[index[product_id] for product_id, _ in customer.events] for customer in activity.values()]
    sequences = [sequence for sequence in sequences if sequence]
    say(f"seeded shop: {products:,} products, {customers:,} customers, {len(sequences)} with orders, "
        f"{sum(map(len, sequences)):,} purchased items")
    started = time.perf_counter()
    from shop.vectors import get_encoder

    # Embeddings are cached outside the repo so repeated runs skip the ~35 s of encoding.
    cache = EmbeddingCache(get_encoder, Path(tempfile.gettempdir()) / "voiceshop-bench-embeddings.npz")
    embeddings, _ = cache.lookup(texts)
    cache.save()
    say(f"  product embeddings ready in {time.perf_counter() - started:.1f} s")

    n_items = len(items)
    valid = leave_one_out(sequences, n_items, holdout=2)
    test = leave_one_out(sequences, n_items, holdout=1)
    defaults = CatalogOptions()
    methods: dict[str, Callable[[], Scorer]] = {
        "popularity": PopularityScorer,
        "item-kNN": lambda: ItemKnnScorer(defaults.hybrid.knn),
        "ALS": lambda: AlsScorer(defaults.hybrid.als),
        "BPR": lambda: BprScorer(BprOptions(factors=defaults.hybrid.als.factors)),
        HYBRID: lambda: HybridModel(defaults.hybrid),
        "text similarity only": lambda: CatalogScorer(items, embeddings, CatalogOptions(
            weights=BlendWeights(collaborative=0.0, content=1.0, popularity=0.0))),
        "popularity within category only": lambda: CatalogScorer(items, embeddings, CatalogOptions(
            weights=BlendWeights(collaborative=0.0, content=0.0, popularity=1.0))),
    }
    rows: list[tuple[str, str, RankingMetrics, RankingMetrics]] = []
    for name, factory in methods.items():
        scores = []
        for split in (valid, test):
            scorer = factory()
            scorer.fit(split.train, n_items)
            scores.append(evaluate(scorer, split))
        rows.append((name, "", scores[0], scores[1]))
        say(f"  {name:<32} valid NDCG@10 {scores[0].ndcg:.4f}  test NDCG@10 {scores[1].ndcg:.4f}")

    # The shipped blends, personal and "goes with this" (anchor = the last purchase, same targets):
    # weights chosen on the validation target, then scored once on the test target.
    def scored(weights: BlendWeights, anchored: bool, split: LeaveOneOutSplit) -> RankingMetrics:
        scorer = CatalogScorer(items, embeddings, replace(defaults, weights=weights), anchored=anchored)
        scorer.fit(split.train, n_items)
        return evaluate(scorer, split)

    personal_grid = {weights: scored(weights, False, valid)
                     for weights in [BlendWeights(collaborative=c, content=t, popularity=p)
                                     for c in (0.0, 1.0) for t in (0.0, 0.3, 0.6, 1.0) for p in (0.1, 0.25, 0.5, 1.0)]}
    best_personal = max(personal_grid, key=lambda weights: personal_grid[weights].ndcg)
    anchored_grid = {weights: scored(weights, True, valid)
                     for weights in [replace(defaults.weights, co_purchase=c, anchor_content=t, popularity=p)
                                     for c in (0.5, 1.0) for t in (0.3, 0.6, 1.0) for p in (0.25, 0.5, 1.0)]}
    best_anchored = max(anchored_grid, key=lambda weights: anchored_grid[weights].ndcg)
    say(f"  blend grids: {len(personal_grid)} personal, {len(anchored_grid)} anchored settings tried")

    def personal_settings(weights: BlendWeights) -> str:
        return f"collab {weights.collaborative:g}, text {weights.content:g}, popularity {weights.popularity:g}"

    def anchored_settings(weights: BlendWeights) -> str:
        return (f"co-purchase {weights.co_purchase:g}, text {weights.anchor_content:g}, "
                f"popularity in its category {weights.popularity:g}")

    only_co_purchase = BlendWeights(collaborative=0, content=0, co_purchase=1, anchor_content=0, popularity=0)
    only_text = BlendWeights(collaborative=0, content=0, co_purchase=0, anchor_content=1, popularity=0)
    blends = [
        ("shipped ranking, default weights", defaults.weights, False, personal_settings),
        ("shipped ranking, weights best on validation", best_personal, False, personal_settings),
        ("goes with last purchase: co-purchases only", only_co_purchase, True, anchored_settings),
        ("goes with last purchase: text similarity only", only_text, True, anchored_settings),
        ("goes with last purchase: default weights", defaults.weights, True, anchored_settings),
        ("goes with last purchase: weights best on validation", best_anchored, True, anchored_settings),
    ]
    for label, weights, anchored, settings in blends:
        on_valid, on_test = scored(weights, anchored, valid), scored(weights, anchored, test)
        rows.append((label, settings(weights), on_valid, on_test))
        say(f"  {label:<32} {settings(weights)}: valid NDCG@10 {on_valid.ndcg:.4f}  test NDCG@10 {on_test.ndcg:.4f}")

    popularity = rows[0][3].ndcg
    print(f"\n### Seeded shop ({products:,} products, {customers:,} customers, seed {seed}), full ranking over "
          f"{n_items:,} items, {test.targets.size} customers (test), {valid.targets.size} (validation)\n")
    print("| method | settings | valid HIT@10 | valid NDCG@10 | test HIT@10 | test NDCG@10 | x popularity (test) |")
    print("|---|---|---|---|---|---|---|")
    for name, settings, on_valid, on_test in rows:
        ratio = on_test.ndcg / popularity if popularity else float("nan")
        print(f"| {name} | {settings} | {on_valid.hit:.4f} | {on_valid.ndcg:.4f} | {on_test.hit:.4f} | "
              f"{on_test.ndcg:.4f} | {ratio:.1f} |")
    print("\nBlend weights tried on validation (NDCG@10), personal ranking:\n")
    print("| collab | text | popularity | NDCG@10 |")
    print("|---|---|---|---|")
    for weights, metrics in personal_grid.items():
        print(f"| {weights.collaborative:g} | {weights.content:g} | {weights.popularity:g} | {metrics.ndcg:.4f} |")
    print("\n\"Goes with last purchase\":\n")
    print("| co-purchase | text | popularity in its category | NDCG@10 |")
    print("|---|---|---|---|")
    for weights, metrics in anchored_grid.items():
        print(f"| {weights.co_purchase:g} | {weights.anchor_content:g} | {weights.popularity:g} | {metrics.ndcg:.4f} |")


# --- latency -----------------------------------------------------------------------------------------------


def _percentiles(samples_ms: Sequence[float]) -> str:
    p50, p95, top = (percentile(samples_ms, q) for q in (50, 95, 100))
    return f"{p50:.1f} | {p95:.1f} | {top:.1f} | {len(samples_ms)}"


def run_latency(products: int, customers: int, seed: int, rounds: int) -> None:
    from sqlalchemy import select

    from shop.models import Order, OrderLine, OrderStatus, Product
    from shop.recsys.service import Recommender, RecommenderOptions

    queries = ("running shoes", "headphones under 100", "something for the kitchen", "skincare", "a gift for a kid",
               "waterproof jacket", "coffee", "smart home")
    with tempfile.TemporaryDirectory() as directory:
        database = seed_shop(Path(directory), products, customers, seed)
        cache = Path(tempfile.gettempdir()) / "voiceshop-bench-embeddings.npz"
        recommender = Recommender(RecommenderOptions(refit_interval_s=0, embedding_cache=cache))
        with database.sessions() as session:
            started = time.perf_counter()
            report = recommender.fit(session)
            fit_s = time.perf_counter() - started
            product_ids = list(session.scalars(select(Product.id)))
        say(f"fit: {report}")

        rng = random.Random(seed)
        kinds: dict[str, Callable[[int], dict]] = {
            "personal": lambda user: {"user_id": user},
            "personal + query": lambda user: {"user_id": user, "query": rng.choice(queries)},
            "goes with product": lambda user: {"user_id": user, "product_id": rng.choice(product_ids)},
            "new customer": lambda user: {"user_id": customers + 1000 + user},
        }

        empty: list[dict] = []

        def request(arguments: dict) -> float:
            """One request in its own session, as the API does it; milliseconds."""
            started = time.perf_counter()
            with database.sessions() as session:
                results = recommender.recommend(session, limit=5, **arguments)
            elapsed = (time.perf_counter() - started) * 1000
            if not results:
                empty.append(arguments)
            return elapsed

        for user in range(1, 21):  # warm-up: first-touch costs (imports, caches) are not what p95 is about
            request({"user_id": user})
        samples: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(rounds):
            for user in range(1, customers + 1):
                for kind, make in kinds.items():
                    samples[kind].append(request(make(user)))

        # The same requests while a background refit runs (it shares the 2 cores with them).
        during: list[float] = []
        with database.engine.begin() as connection:  # a changed product forces real work in the refit
            connection.execute(Product.__table__.update().where(Product.id == "p1").values(name="Renamed Shoe"))
        refit_started = time.perf_counter()
        assert recommender.refit_in_background()  # the requests above told it which database to use
        user = 1
        while recommender.refitting:
            during.append(request({"user_id": user}))
            user = user % customers + 1
        refit_s = time.perf_counter() - refit_started

        # Freshness: a new order changes that customer's recommendations at once, without a refit.
        with database.sessions() as session:
            before = [product.id for product, _ in recommender.recommend(session, 2, limit=5)]
            bought = session.get(Product, before[0])
            assert bought is not None
            order = Order(user_id=2, status=OrderStatus.pending, total=bought.price)
            order.lines.append(OrderLine(product_id=bought.id, name=bought.name, unit_price=bought.price, quantity=1))
            session.add(order)
            session.commit()
            after = [product.id for product, _ in recommender.recommend(session, 2, limit=5)]
        database.engine.dispose()

    print(f"\n### recommend() latency: {products:,} products, {customers:,} customers, SQLite, one session per "
          f"request, limit 5\n")
    print("| request | p50 ms | p95 ms | max ms | requests |")
    print("|---|---|---|---|---|")
    for kind, values in samples.items():
        print(f"| {kind} | {_percentiles(values)} |")
    print(f"| all of the above | {_percentiles([v for values in samples.values() for v in values])} |")
    if during:
        print(f"| personal, during a background refit | {_percentiles(during)} |")
    print(f"\nFit (cached embeddings: {report.embeddings_missing} missing): {fit_s:.2f} s; "
          f"background refit after a product edit: {refit_s:.2f} s.")
    print(f"Requests answered with an empty list: {len(empty)} {empty[:3]}.")
    print(f"New order without refit: bought {before[0]}; it was {'dropped' if before[0] not in after else 'KEPT'} "
          f"from the recommendations; before {before}, after {after}.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recommend_bench", description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", choices=("all", "beauty", "shop", "latency"), default="all")
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH, help="Amazon Beauty file")
    parser.add_argument("--no-tune", action="store_true", help="beauty: skip the validation grids, use the defaults")
    parser.add_argument("--threads", type=int, default=2, help="implicit's training threads (default 2)")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2, help="latency: passes over all customers")
    args = parser.parse_args(argv)

    print(f"Machine: {os.cpu_count()} CPUs (shared with other jobs), Python {sys.version.split()[0]}; "
          f"implicit threads {args.threads}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}")
    started = time.perf_counter()
    if args.part in ("all", "beauty"):
        run_beauty(args.data, tune=not args.no_tune, threads=args.threads)
    if args.part in ("all", "shop"):
        run_shop(args.products, args.customers, args.seed)
    if args.part in ("all", "latency"):
        run_latency(args.products, args.customers, args.seed, args.rounds)
    say(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
