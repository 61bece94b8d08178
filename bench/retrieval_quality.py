"""Retrieval quality benchmark: help-center recall/abstain and catalog nDCG/recall (one command).

    .venv/bin/python -m bench.retrieval_quality            # both parts
    .venv/bin/python -m bench.retrieval_quality --part faq --calibrate
    .venv/bin/python -m bench.retrieval_quality --part support   # the support set's help-center questions

Help center (bench/data/faq_queries.yaml): recall@1 and recall@3 of the FAQ store over paraphrased
questions, and, at the abstain threshold, how often it answers correctly and how often it correctly
abstains on questions the help center cannot answer. The queries are split into dev and test halves
by a hash of their text; ``--calibrate`` picks the threshold on dev and reports it on test.

Support (evals/understanding/support.yaml, issue 13): the customers' help-center questions, each with the
entries that answer it (``help``), through the same store at the shipped threshold, by the set's own split:
does the help center really answer what customers ask?

Catalog (bench/data/catalog_queries.yaml): nDCG@10 and recall@10 of lexical, dense and hybrid search
over the seeded catalog, with graded relevance (see that file's header).

Everything is indexed into a temporary directory: the app's ``var/`` is never touched.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


# ---------------------------------------------------------------- help center


@dataclass(frozen=True)
class FaqQuery:
    question: str
    relevant: frozenset[str]  # entry ids that answer it; empty = the help center cannot answer it

    @property
    def split(self) -> str:
        return "dev" if hashlib.sha1(self.question.encode()).digest()[0] % 2 == 0 else "test"


@dataclass(frozen=True)
class FaqResult:
    query: FaqQuery
    ranked: list[str]  # entry ids, best first
    top_score: float


def load_faq_queries(path: Path = DATA_DIR / "faq_queries.yaml") -> list[FaqQuery]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    queries = []
    for item in data["answerable"]:
        entries = item["entry"] if isinstance(item["entry"], list) else [item["entry"]]
        queries.append(FaqQuery(item["q"], frozenset(entries)))
    queries += [FaqQuery(q, frozenset()) for q in data["unanswerable"]]
    return queries


def run_faq(queries: list[FaqQuery]) -> tuple[list[FaqResult], dict[str, float]]:
    """Index the help center into a temporary Chroma directory and run every query."""
    from shop.helpcenter.store import FaqStore, FaqStoreOptions, load_helpcenter

    with tempfile.TemporaryDirectory(prefix="faq-bench-") as tmp:
        store = FaqStore(FaqStoreOptions(chroma_path=Path(tmp), follow_edits=False))
        started = time.perf_counter()
        store.sync()
        index_s = time.perf_counter() - started
        known = {e.id for e in load_helpcenter(store.options.helpcenter_dir)}
        unknown = {e for q in queries for e in q.relevant} - known
        if unknown:
            raise SystemExit(f"faq_queries.yaml names entries that do not exist: {sorted(unknown)}")
        results = []
        started = time.perf_counter()
        for query in queries:
            hits = store.search(query.question, k=3)
            results.append(FaqResult(query, [h.id for h in hits], hits[0].score if hits else -1.0))
        per_query_ms = (time.perf_counter() - started) / len(queries) * 1000
    return results, {"index_s": index_s, "query_ms": per_query_ms, "entries": float(len(known))}


def faq_metrics(results: list[FaqResult], threshold: float) -> dict[str, float]:
    """recall@1/@3 (no threshold) and the answer/abstain behaviour at ``threshold``."""
    answerable = [r for r in results if r.query.relevant]
    unanswerable = [r for r in results if not r.query.relevant]

    def rate(items: list[FaqResult], ok: Any) -> float:
        return sum(1 for r in items if ok(r)) / len(items) if items else float("nan")

    return {
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "recall@1": rate(answerable, lambda r: r.ranked[:1] and r.ranked[0] in r.query.relevant),
        "recall@3": rate(answerable, lambda r: bool(set(r.ranked[:3]) & r.query.relevant)),
        # at the threshold: answered with a right entry / answered wrongly / abstained although answerable
        "answered_right": rate(answerable, lambda r: r.top_score >= threshold and r.ranked[0] in r.query.relevant),
        "answered_wrong": rate(answerable, lambda r: r.top_score >= threshold and r.ranked[0] not in r.query.relevant),
        "abstained_answerable": rate(answerable, lambda r: r.top_score < threshold),
        "correct_abstain": rate(unanswerable, lambda r: r.top_score < threshold),
        "unanswerable_answered": rate(unanswerable, lambda r: r.top_score >= threshold),
    }


def calibrate(results: list[FaqResult]) -> float:
    """The threshold maximising mean(answered_right, correct_abstain) on ``results`` (ties: the lower one)."""
    candidates = [round(0.20 + 0.01 * i, 2) for i in range(61)]  # 0.20 .. 0.80

    def objective(t: float) -> float:
        m = faq_metrics(results, t)
        return (m["answered_right"] + m["correct_abstain"]) / 2

    return max(candidates, key=lambda t: (objective(t), -t))


def report_faq(calibrate_threshold: bool) -> dict[str, Any]:
    from shop.helpcenter.store import DEFAULT_THRESHOLD

    queries = load_faq_queries()
    results, timing = run_faq(queries)
    dev = [r for r in results if r.query.split == "dev"]
    test = [r for r in results if r.query.split == "test"]
    print(f"\n== Help center: {int(timing['entries'])} entries indexed in {timing['index_s']:.1f} s, "
          f"{timing['query_ms']:.1f} ms per search ==")
    thresholds = {"DEFAULT_THRESHOLD": DEFAULT_THRESHOLD}
    if calibrate_threshold:
        thresholds["calibrated on dev"] = calibrate(dev)
    rows = []
    for label, threshold in thresholds.items():
        for split_name, items in (("dev", dev), ("test", test), ("all", results)):
            rows.append((f"{label}={threshold:.2f}", split_name, faq_metrics(items, threshold)))
    cols = ["n_answerable", "n_unanswerable", "recall@1", "recall@3", "answered_right", "answered_wrong",
            "abstained_answerable", "correct_abstain"]
    print(f"{'threshold':<32}{'split':<6}" + "".join(f"{c:>22}" for c in cols))
    for label, split_name, m in rows:
        print(f"{label:<32}{split_name:<6}" + "".join(
            f"{m[c]:>22.0f}" if c.startswith("n_") else f"{m[c]:>22.3f}" for c in cols))
    misses = [r for r in test if r.query.relevant and not set(r.ranked[:3]) & r.query.relevant]
    if misses:
        print("test misses (recall@3):")
        for r in misses:
            print(f"  {r.query.question!r}: want {sorted(r.query.relevant)}, got {r.ranked}")
    return {"thresholds": thresholds, "test": faq_metrics(test, DEFAULT_THRESHOLD)}


SUPPORT_SET = Path(__file__).resolve().parents[1] / "evals" / "understanding" / "support.yaml"
FAQ_COLUMNS = ["n_answerable", "recall@1", "recall@3", "answered_right", "answered_wrong", "abstained_answerable"]


def load_support_questions(path: Path = SUPPORT_SET) -> dict[str, list[FaqQuery]]:
    """The support set's search_faq cases as help-center queries, by split (the words as the customer said them)."""
    by_split: dict[str, list[FaqQuery]] = {}
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
        if item["expect"]["action"] == "search_faq":
            entries = item["help"] if isinstance(item["help"], list) else [item["help"]]
            by_split.setdefault(item["split"], []).append(FaqQuery(item["say"], frozenset(entries)))
    return by_split


def report_support() -> dict[str, Any]:
    from shop.helpcenter.store import DEFAULT_THRESHOLD

    by_split = load_support_questions()
    everything = [q for queries in by_split.values() for q in queries]
    results, timing = run_faq(everything)
    by_question = {r.query: r for r in results}
    print(f"\n== Support questions through the help center ({int(timing['entries'])} entries), "
          f"threshold {DEFAULT_THRESHOLD:.2f} ==")
    print(f"{'split':<9}" + "".join(f"{c:>22}" for c in FAQ_COLUMNS))
    report = {}
    for split_name, queries in (*sorted(by_split.items()), ("all", everything)):
        report[split_name] = faq_metrics([by_question[q] for q in queries], DEFAULT_THRESHOLD)
        print(f"{split_name:<9}" + "".join(f"{report[split_name][c]:>22.0f}" if c.startswith("n_") else
                                           f"{report[split_name][c]:>22.3f}" for c in FAQ_COLUMNS))
    misses = [by_question[q] for q in by_split.get("dev", []) if by_question[q].ranked[:1] != [] and
              by_question[q].ranked[0] not in q.relevant]
    if misses:  # the dev split only: the held-out questions are reported, not looked at
        print("dev misses (recall@1):")
        for r in misses:
            print(f"  {r.query.question!r}: want {sorted(r.query.relevant)}, got {r.ranked}")
    return report


# ---------------------------------------------------------------- catalog

BENCH_PRODUCTS = 2000
BENCH_SEED = 7
# The catalog and its vectors are kept here between runs (embedding 2,000 products takes about a minute
# on a busy 2-core machine); the sync re-embeds only what changed, so a stale copy is never used.
CATALOG_DIR = Path("var") / "bench" / f"catalog-{BENCH_PRODUCTS}-seed{BENCH_SEED}"
METHODS = ("lexical", "dense", "hybrid")


@dataclass(frozen=True)
class CatalogQuery:
    text: str
    kind: str
    rules: tuple[dict[str, Any], ...]

    @property
    def split(self) -> str:
        return "dev" if hashlib.sha1(self.text.encode()).digest()[0] % 2 == 0 else "test"


def load_catalog_queries(path: Path = DATA_DIR / "catalog_queries.yaml") -> list[CatalogQuery]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [CatalogQuery(q["q"], q["kind"], tuple(q["grades"])) for q in data["queries"]]


def _has(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` starting at a word boundary (so "men's" is not found in "women's")."""
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase.lower()), text) is not None


def rule_holds(rule: dict[str, Any], product: Any) -> bool:
    """Whether ``product`` satisfies every condition of one relevance rule (see catalog_queries.yaml)."""
    name = product.name.lower()
    text = f"{name} {product.description.lower()}"
    checks = {
        "category": lambda v: product.category == v,
        "brand": lambda v: product.brand == v,
        "name": lambda v: all(_has(name, p) for p in v),
        "name_any": lambda v: any(_has(name, p) for p in v),
        "text": lambda v: all(_has(text, p) for p in v),
        "text_any": lambda v: any(_has(text, p) for p in v),
        "color": lambda v: str(v).lower() in {c.lower() for c in product.colors},
        "size": lambda v: str(v).lower() in {s.lower() for s in product.sizes},
        "max_price": lambda v: product.price <= float(v),
    }
    for key, value in rule.items():
        if key == "grade":
            continue
        if key not in checks:
            raise SystemExit(f"catalog_queries.yaml: unknown rule key {key!r}")
        if not checks[key](value):
            return False
    return True


def grade_catalog(query: CatalogQuery, products: list[Any]) -> dict[str, int]:
    """product id -> graded relevance (only products with a grade above 0)."""
    grades: dict[str, int] = {}
    for product in products:
        grade = max((int(r["grade"]) for r in query.rules if rule_holds(r, product)), default=0)
        if grade:
            grades[product.id] = grade
    return grades


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gains 2^grade - 1 and the ideal ranking taken over the whole catalog."""
    def dcg(gains: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(pid, 0) for pid in ranked]) / ideal if ideal else 0.0


def recall_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """Capped recall@k of the best-graded products: found in the top k / min(k, how many there are)."""
    if not grades:
        return 0.0
    best = max(grades.values())
    targets = {pid for pid, g in grades.items() if g == best}
    return len(targets & set(ranked[:k])) / min(k, len(targets))


def prepare_catalog(progress: Any = print) -> tuple[Any, Any]:
    """The seeded benchmark catalog (a fresh SQLite file) and its dense index (kept, synced)."""
    from shop.db import Database
    from shop.search.dense import DenseIndex, DenseIndexOptions
    from shop.search import ensure_search_index
    from shop.seed import seed_database

    CATALOG_DIR.mkdir(parents=True, exist_ok=True)
    db_path = CATALOG_DIR / "shop.db"
    for stale in CATALOG_DIR.glob("shop.db*"):
        stale.unlink()
    database = Database(f"sqlite:///{db_path}")
    database.create_schema()
    seed_database(database, products=BENCH_PRODUCTS, customers=20, seed=BENCH_SEED)
    ensure_search_index(database.engine)
    index = DenseIndex(DenseIndexOptions(chroma_path=CATALOG_DIR / "chroma", chroma_url=None))
    with database.sessions() as session:
        report = index.sync(session, progress=progress)
    progress(f"dense index: {report.embedded} embedded, {report.unchanged} unchanged, {report.seconds:.1f} s")
    return database, index


def run_catalog(queries: list[CatalogQuery]) -> dict[str, dict[str, list[float]]]:
    """Per method: per query nDCG@10 and recall@10 (in query order), plus the rankings' latency."""
    from sqlalchemy import select

    from shop.models import Product
    from shop.search import CatalogSearch, dense_search, lexical_search, parse_query

    database, index = prepare_catalog()
    hybrid = CatalogSearch(index)
    results: dict[str, dict[str, list[float]]] = {m: {"ndcg": [], "recall": [], "ms": []} for m in METHODS}
    with database.sessions() as session:
        products = list(session.execute(select(Product)).scalars())
        runners = {
            "lexical": lambda p: lexical_search(session, p),
            "dense": lambda p: dense_search(session, p, index),
            "hybrid": lambda p: hybrid.search_products(session, p),
        }
        for query in queries:
            grades = grade_catalog(query, products)
            if not grades:
                raise SystemExit(f"catalog_queries.yaml: no product is relevant to {query.text!r}; fix its rules")
            # All three get the same query understanding (spoken numbers, sizes, prices): only ranking differs.
            params = parse_query(query.text, limit=10)
            for method, run in runners.items():
                started = time.perf_counter()
                _, hits = run(params)
                results[method]["ms"].append((time.perf_counter() - started) * 1000)
                ranked = [product.id for product, _ in hits]
                results[method]["ndcg"].append(ndcg_at(ranked, grades))
                results[method]["recall"].append(recall_at(ranked, grades))
    database.engine.dispose()
    return results


def report_catalog() -> dict[str, dict[str, float]]:
    queries = load_catalog_queries()
    results = run_catalog(queries)
    groups: dict[str, list[int]] = {"all": list(range(len(queries)))}
    for split_name in ("dev", "test"):
        groups[split_name] = [i for i, q in enumerate(queries) if q.split == split_name]
    for kind in sorted({q.kind for q in queries}):
        groups[f"kind={kind}"] = [i for i, q in enumerate(queries) if q.kind == kind]

    print(f"\n== Catalog: {len(queries)} labelled queries over {BENCH_PRODUCTS} seeded products (seed {BENCH_SEED}) ==")
    header = f"{'queries':<16}{'n':>5}" + "".join(f"{m + ' nDCG@10':>16}{m + ' R@10':>14}" for m in METHODS)
    print(header)
    summary: dict[str, dict[str, float]] = {}
    for label, idx in groups.items():
        row = f"{label:<16}{len(idx):>5}"
        for method in METHODS:
            ndcg = sum(results[method]["ndcg"][i] for i in idx) / len(idx)
            recall = sum(results[method]["recall"][i] for i in idx) / len(idx)
            summary.setdefault(label, {})[f"{method}_ndcg"] = ndcg
            row += f"{ndcg:>16.3f}{recall:>14.3f}"
        print(row)
    for method in METHODS:
        ms = sorted(results[method]["ms"])
        print(f"{method:>8}: median {ms[len(ms) // 2]:.1f} ms per query (in-process, {BENCH_PRODUCTS} products)")
    return summary


# ---------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["faq", "support", "catalog", "all"], default="all")
    parser.add_argument("--calibrate", action="store_true", help="also pick the FAQ threshold on the dev split")
    args = parser.parse_args(argv)
    if args.part in ("faq", "all"):
        report_faq(args.calibrate)
    if args.part in ("support", "all"):
        report_support()
    if args.part in ("catalog", "all"):
        report_catalog()
    return 0


if __name__ == "__main__":
    sys.exit(main())
