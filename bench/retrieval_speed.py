"""Catalog search speed: index build time, memory and query latency at several catalog sizes (one command).

    nice -n 10 .venv/bin/python -m bench.retrieval_speed                       # 2k, 100k, 1M products
    nice -n 10 .venv/bin/python -m bench.retrieval_speed --sizes 2000 --rounds 1

For each size a generated catalog (``shop.seed``, seed 7) is built under ``var/bench/speed-<N>-seed7[-variants]/``
with its FTS5 index and, up to ``--dense-max`` products, its dense vectors in ChromaDB. A shop whose models have
variants (options, variants and modifiers tables) gets its own directory (``-variants``), since its seeded
texts differ. Builds are kept: a rerun reuses them (the dense sync re-embeds nothing) and reports the timings
saved from the first build. Each size is measured in its own process so the memory figures do not mix.

Queries are the 198 texts of bench/data/catalog_queries.yaml, run in-process (no HTTP) through
``shop.search.CatalogSearch.search``, the path the shop API answers with (grounding in the catalog, relaxation
when nothing matches), by 1 client and by 8 concurrent clients (threads, one DB session each), after a
warm-up. A second 1-client row ("ruled out") runs the same texts with a negation appended ("... not leather",
see :data:`RULED_OUT`), which adds an exclusion to every search; an "option filter" row gives each text a colour
and/or size filter in turn (:data:`OPTION_FILTERS`). The machine is shared, so the load average is printed with
each size, and for 1 client the CPU time per query too (what a query costs on an idle core).

Old against new code in one run: ``--no-build`` measures a kept build without touching it (no migration, no
seeding), so the same catalog can be measured by another checkout's code, in turn with this one's::

    git archive main | tar -x -C /tmp/old && ln -s $PWD/var /tmp/old/var && cp bench/retrieval_speed.py /tmp/old/bench/
    (cd /tmp/old && python -m bench.retrieval_speed --one 100000 --no-build --clients 1)   # old code
    python -m bench.retrieval_speed --one 100000 --no-build --clients 1                    # this code
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import percentile

DATA_DIR = Path(__file__).parent / "data"
BENCH_ROOT = Path("var") / "bench"
SEED = 7
# Appended in turn to the benchmark texts for the "ruled out" row: words that are common in the catalog's text
# (leather, black) and rare ones, so the exclusion's FTS lookup is measured at both ends.
RULED_OUT = (" not leather", " without plastic", " anything but black", " no glass", " sugar free")
# Given in turn as option filters for the "option filter" row (colour and size are the options search filters
# by; values the catalog has, and one pair).
OPTION_FILTERS = ({"color": "Black"}, {"size": "M"}, {"color": "Blue"}, {"size": "L"}, {"color": "Red", "size": "M"})


def catalog_directory(size: int) -> Path:
    """Where the benchmark catalog of ``size`` products lives; shops with variants get their own."""
    import shop.models

    suffix = "-variants" if hasattr(shop.models, "Variant") else ""
    return BENCH_ROOT / f"speed-{size}-seed{SEED}{suffix}"


def _rss_mb() -> float:
    """Current resident memory of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _disk_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.exists() else 0.0


def kept_build(size: int) -> dict[str, Any]:
    """The figures of a kept build, read without opening its database (``--no-build``)."""
    directory = catalog_directory(size)
    record = json.loads((directory / "build.json").read_text())
    if "variants" not in record:  # builds made before the count was saved: read it, read-only
        import sqlite3

        with sqlite3.connect(f"file:{directory / 'shop.db'}?mode=ro", uri=True) as connection:
            record["variants"] = connection.execute("SELECT count(*) FROM variants").fetchone()[0]
    record["disk_mb"] = {"sqlite": sum(_disk_mb(p) for p in directory.glob("shop.db*")),
                         "chroma": _disk_mb(directory / "chroma")}
    return record


def build(size: int, dense_max: int, threads: int) -> dict[str, Any]:
    """Seed the catalog and build its indexes (reusing a previous build); returns the build figures."""
    from sqlalchemy import func, select

    from shop.db import Database
    from shop.models import Product
    from shop.seed import seed_database

    directory = catalog_directory(size)
    directory.mkdir(parents=True, exist_ok=True)
    record_path = directory / "build.json"
    record: dict[str, Any] = json.loads(record_path.read_text()) if record_path.exists() else {}
    database = Database(f"sqlite:///{directory / 'shop.db'}")

    present = 0
    if (directory / "shop.db").exists():
        database.create_schema()
        with database.sessions() as session:
            present = session.scalar(select(func.count()).select_from(Product)) or 0
    if present != size or "seed_s" not in record:
        database.reset_schema()
        started = time.perf_counter()
        summary = seed_database(database, products=size, customers=50, seed=SEED)
        # The seed is deterministic, so kept vectors stay valid and the dense build figures with them.
        record.update(seed_s=time.perf_counter() - started, seed_phases_s=summary.seconds)
        record_path.write_text(json.dumps(record, indent=1))

    if size <= dense_max:
        from shop.search.dense import DenseIndex, DenseIndexOptions
        from shop.vectors import EncoderOptions, TextEncoder

        encoder = TextEncoder(EncoderOptions(intra_op_threads=threads))
        index = DenseIndex(DenseIndexOptions(chroma_path=directory / "chroma", chroma_url=None), encoder=encoder)
        with database.sessions() as session:
            report = index.sync(session, progress=lambda line: print(f"  [{size}] {line}", file=sys.stderr, flush=True))
        if report.embedded:
            record["dense"] = {"embedded": report.embedded, "seconds": report.seconds,
                               "products_per_s": report.embedded / report.seconds, "threads": threads}
            record_path.write_text(json.dumps(record, indent=1))
    record["variants"] = _variant_count(database)
    record_path.write_text(json.dumps(record, indent=1))
    database.engine.dispose()
    record["disk_mb"] = {"sqlite": sum(_disk_mb(p) for p in directory.glob("shop.db*")),
                         "chroma": _disk_mb(directory / "chroma")}
    return record


def _variant_count(database: Any) -> int | None:
    """Variants in the catalog, or None when the shop has no variants table."""
    from sqlalchemy import inspect, text

    if "variants" not in inspect(database.engine).get_table_names():
        return None
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM variants")).scalar_one())


def measure(size: int, dense_max: int, rounds: int, clients: list[int]) -> dict[str, Any]:
    """Latency of the shop's search over the built catalog, lexical and (if built) hybrid."""
    from shop.db import Database
    from shop.search import CatalogSearch, parse_query

    directory = catalog_directory(size)
    queries = [q["q"] for q in yaml.safe_load((DATA_DIR / "catalog_queries.yaml").read_text())["queries"]]
    rss_start = _rss_mb()
    database = Database(f"sqlite:///{directory / 'shop.db'}")
    modes = {"lexical": CatalogSearch()}
    if size <= dense_max and (directory / "chroma").exists():
        from shop.search.dense import DenseIndex, DenseIndexOptions

        index = DenseIndex(DenseIndexOptions(chroma_path=directory / "chroma", chroma_url=None))
        modes["hybrid"] = CatalogSearch(index)

    local = threading.local()
    cpu_ms: list[float] = []  # process CPU time per query, recorded when one client runs alone

    def one(search: CatalogSearch, text: str, filters: dict[str, str] | None = None) -> float:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = database.sessions()
        started, cpu_started = time.perf_counter(), time.process_time()
        search.search(session, parse_query(text, limit=10, **(filters or {})))
        elapsed = (time.perf_counter() - started) * 1000
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        session.rollback()  # end the read transaction, as a request would
        return elapsed

    results: dict[str, Any] = {}
    for mode, search in modes.items():
        for text in queries[:30]:  # warm-up: page cache, HNSW load, first-use costs
            one(search, text)
        for n_clients in clients:
            workload = queries * rounds
            started = time.perf_counter()
            cpu_ms.clear()
            if n_clients == 1:
                latencies = [one(search, text) for text in workload]
            else:
                with ThreadPoolExecutor(max_workers=n_clients) as pool:
                    latencies = list(pool.map(lambda text: one(search, text), workload))
            wall = time.perf_counter() - started
            results[f"{mode}/{n_clients}"] = {
                "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
                "qps": len(workload) / wall, "n": len(workload),
            }
            if n_clients == 1:
                # Alone, a query's CPU time is what it would take on an idle core: the machine is shared.
                results[f"{mode}/{n_clients}"].update(cpu_p50_ms=percentile(cpu_ms, 50), cpu_p95_ms=percentile(cpu_ms, 95))
        variations = {
            "ruled out": [(text + RULED_OUT[i % len(RULED_OUT)], None) for i, text in enumerate(queries)] * rounds,
            "option filter": [(text, OPTION_FILTERS[i % len(OPTION_FILTERS)]) for i, text in enumerate(queries)] * rounds,
        }
        for name, workload in variations.items():
            cpu_ms.clear()
            latencies = [one(search, text, filters) for text, filters in workload]
            results[f"{mode}, {name}/1"] = {
                "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95), "n": len(workload),
                "qps": 1000 * len(latencies) / sum(latencies),
                "cpu_p50_ms": percentile(cpu_ms, 50), "cpu_p95_ms": percentile(cpu_ms, 95),
            }
    return {"rss_mb": _rss_mb(), "rss_growth_mb": _rss_mb() - rss_start, "peak_rss_mb": _peak_rss_mb(),
            "latency": results}


def run_one(args: argparse.Namespace) -> int:
    size = args.one
    record = kept_build(size) if args.no_build else build(size, args.dense_max, args.threads)
    load_before = os.getloadavg()[0]
    record.update(measure(size, args.dense_max, args.rounds, args.clients))
    record["load_average"] = (load_before, os.getloadavg()[0])  # the machine is shared: say how busy it was
    print(json.dumps(record))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Catalog search speed at several catalog sizes.")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[2000, 100_000, 1_000_000])
    parser.add_argument("--dense-max", type=int, default=100_000,
                        help="build dense vectors only up to this many products (embedding is the slow part)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads while embedding the catalog")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the 198 queries per measurement")
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8])
    parser.add_argument("--no-build", action="store_true",
                        help="measure kept builds as they are (no seeding, migration or dense sync)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args(argv)
    if args.one:
        return run_one(args)

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    rows = []
    for size in args.sizes:
        command = [sys.executable, "-m", "bench.retrieval_speed", "--one", str(size), "--dense-max", str(args.dense_max),
                   "--threads", str(args.threads), "--rounds", str(args.rounds),
                   "--clients", ",".join(map(str, args.clients)), *(["--no-build"] if args.no_build else [])]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        record = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append((size, record))
        _print_size(size, record)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


def _print_size(size: int, r: dict[str, Any]) -> None:
    variants = f", {r['variants']:,} variants" if r.get("variants") is not None else ", no variants table"
    print(f"\n== {size:,} products{variants} ==")
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in r["seed_phases_s"].items())
    print(f"build: seed + FTS5 {r['seed_s']:.1f} s ({phases})")
    if "dense" in r:
        d = r["dense"]
        print(f"build: dense vectors {d['seconds']:.0f} s for {d['embedded']:,} products "
              f"({d['products_per_s']:.0f} products/s, {d['threads']} thread(s))")
    else:
        print("build: dense vectors not built at this size (see --dense-max); search is lexical only")
    print(f"disk: SQLite {r['disk_mb']['sqlite']:.0f} MB, Chroma {r['disk_mb']['chroma']:.0f} MB; "
          f"memory: RSS {r['rss_mb']:.0f} MB after queries (peak {r['peak_rss_mb']:.0f} MB)")
    if "load_average" in r:
        print(f"load average while measuring: {r['load_average'][0]:.1f} -> {r['load_average'][1]:.1f} "
              f"(on {os.cpu_count()} CPUs)")
    for key, m in r["latency"].items():
        mode, clients = key.split("/")
        cpu = f"  CPU time p50 {m['cpu_p50_ms']:.1f} ms  p95 {m['cpu_p95_ms']:.1f} ms" if "cpu_p50_ms" in m else ""
        print(f"  {mode:<8} {clients} client(s): p50 {m['p50_ms']:6.1f} ms  p95 {m['p95_ms']:6.1f} ms  "
              f"{m['qps']:6.1f} queries/s  (n={m['n']}){cpu}")


if __name__ == "__main__":
    sys.exit(main())
