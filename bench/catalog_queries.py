"""Issue 12's figures from the hand-written sets: shopping queries through understanding AND search, café
utterances through understanding (one command).

    .venv/bin/python -m bench.catalog_queries                                  # both sets, dev and held-out
    .venv/bin/python -m bench.catalog_queries --splits dev --limit 10          # a smoke run
    .venv/bin/python -m bench.catalog_queries --markdown docs/catalog-queries-results.md

Shopping queries (evals/understanding/shopping_queries.yaml, the seeded shop): each query goes through the
real understand step (the embedded model with the committed adapter, as ``bench.understanding``'s
``finetuned`` setup). When it chooses ``search_products``, the search *tool itself* runs
(``tools.run_action``) against a freshly seeded reference shop served in-process (``shop.api`` over
httpx's ASGITransport, as the tests do), and the query parameters it sends are recorded off the request:
what the tool layer really sends, so grounding, exclusions and option handling added to the tool show up
here without a change. The tool context carries the query as ``said`` (the customer's words, as the agent
passes them) when the tool layer has that field. The verbatim text also runs as a plain search (the tool
with ``query`` = the text and nothing else). Figures per split (definitions in training/scoring.py):
search tool chosen, every content word kept, negated words turned into positive filters (a count),
found whenever the verbatim text finds, p50/p95 of the understand step and of the search call.

Café utterances (evals/understanding/cafe.yaml): exact action / tool / arguments as the understanding
report, and "variant options right" (add_to_cart cases naming options: right product, every option right,
none extra). "Variant picked right" (the shop resolves them to the gold variant) needs the café catalog in
a shop: see :func:`variant_picked_right`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from agent.llm import DEFAULT_ADAPTER
from bench.understanding import (CAFE_SETS, REPO, SETUPS, _machine, _pct, make_understander, publish, run_setup,
                                 test_sets)
from shop.api import create_shop_app
from shop.db import Database
from shop.seed import seed_database
from tools import ShopClient, ToolContext, run_action
from tools.catalog import SearchProducts
from training.scoring import QueryTotals, ShoppingQuery, load_shopping_queries, search_query_score

SPLITS = ("dev", "heldout")
SEARCH = "search_products"


class SentParams:
    """Records the query parameters of the last ``GET /products`` the tool layer sent (an httpx hook)."""

    def __init__(self) -> None:
        self.last: dict[str, Any] | None = None

    async def __call__(self, request: httpx.Request) -> None:
        if request.url.path.rstrip("/").endswith("/products"):
            sent: dict[str, Any] = {}
            for name, value in request.url.params.multi_items():
                sent.setdefault(name, []).append(value)
            self.last = {name: values if len(values) > 1 or name == "exclude" else values[0]
                         for name, values in sent.items()}


def tool_context(shop: Any, said: str | None) -> ToolContext:
    """The tool context the agent would build; ``said`` only where the tool layer takes it (catalog-search)."""
    has_said = "said" in {f.name for f in dataclasses.fields(ToolContext)}
    return ToolContext(shop, said=said) if has_said and said else ToolContext(shop)  # type: ignore[call-arg]


def variant_picked_right(cases: list[Any]) -> float | None:
    """Share of the café add_to_cart / variant-choice cases whose options resolve to the gold variant.

    TODO(issue 12): needs the café catalog in a shop (catalog-shop's variants + catalog-import's Shopify
    reader, not on main yet): import examples/cafe/products.csv into the reference shop, run each chosen
    add_to_cart through the tool, and compare the cart line's ``variant_id`` with the variant whose options
    are the gold ones. Until then it answers ``None`` and the report says "not measured".
    """
    return None


async def run_queries(queries: list[ShoppingQuery], understander: Any, shop_client: Any,
                      sent: SentParams) -> dict[str, Any]:
    shop = ShopClient(shop_client)
    totals, failures, records = QueryTotals(), [], []
    await understander.choose([{"role": "user", "content": "hello"}], [], None, [])  # warm the prefix cache
    for query in queries:
        started = time.perf_counter()
        decision = await understander.choose([{"role": "user", "content": query.text}], [], None, [])
        understand_s = time.perf_counter() - started
        action, ours, applied, search_s, used = decision.action, 0, None, None, None
        if action is not None and action.action == SEARCH:
            sent.last = None
            started = time.perf_counter()
            outcome = await run_action(action, tool_context(shop, query.text))
            search_s = time.perf_counter() - started
            used = sent.last or {}
            if outcome.ok:
                ours, applied = int(outcome.data.get("total", 0)), outcome.data.get("applied")
        plain = await run_action(SearchProducts(query=query.text[:200]), tool_context(shop, None))
        verbatim = int(plain.data.get("total", 0)) if plain.ok else 0
        result = search_query_score(query, used, applied, ours, verbatim)
        totals.add(result, understand_s, search_s)
        record = {"query": query.source, "q": query.text, "raw": decision.raw.strip(), "sent": used,
                  "applied": applied, "missing": result.missing, "negated_as_filters": result.negated_as_filters,
                  "found": ours, "verbatim_found": verbatim, "understand_s": understand_s, "search_s": search_s}
        records.append(record)  # everything the figures come from, so a scoring change can be re-checked
        if not result.searched or result.missing or result.negated_as_filters or (result.verbatim_found
                                                                                  and not result.found):
            failures.append(record)
    return {"figures": totals.figures(), "failures": failures, "queries": records}


async def shopping_report(args: argparse.Namespace, report: dict[str, Any], save: Callable[[], None]) -> None:
    """Fills ``report`` split by split, saving after each (a long run keeps what it has measured so far)."""
    understander, client = make_understander(SETUPS["finetuned"], args)
    with tempfile.TemporaryDirectory() as scratch:
        database = Database(f"sqlite:///{Path(scratch) / 'shop.db'}")
        database.create_schema()
        seed_database(database, products=args.products, customers=20, seed=args.seed)
        sent = SentParams()
        transport = httpx.ASGITransport(app=create_shop_app(database))
        async with httpx.AsyncClient(transport=transport, base_url="http://shop",
                                     event_hooks={"request": [sent]}) as http:
            for split in args.splits:
                queries = load_shopping_queries(split=split)[:args.limit]
                report[split] = await run_queries(queries, understander, http, sent)
                f = report[split]["figures"]
                print(f"shopping {split:>8}: search {f['search_chosen']:.1%} kept {f['all_words_kept']:.1%} "
                      f"negated-as-filter {f['negated_as_filters']} found-when-verbatim "
                      f"{_pct(f['found_when_verbatim'])} ({f['queries']} queries)", flush=True)
                save()
        database.engine.dispose()
    await client.aclose()


SHOPPING_COLUMNS = ["shopping queries (seeded shop)", "queries", "search chosen", "all content words kept",
                    "negated → positive filter", "found when verbatim finds", "understand p50 / p95",
                    "search p50 / p95"]
CAFE_COLUMNS = ["café utterances", "cases", "exact action", "tool", "arguments", "variant options right",
                "variant picked right (shop)", "p50 / p95"]


def markdown(shopping: dict[str, Any], cafe: dict[str, Any], machine: dict[str, Any], products: int) -> str:
    lines: list[str] = []
    if shopping:
        lines += _table(SHOPPING_COLUMNS, [[
            split, str(f["queries"]), f"{f['search_chosen']:.1%}", f"{f['all_words_kept']:.1%}",
            str(f["negated_as_filters"]), f"{_pct(f['found_when_verbatim'])} (of {f['verbatim_found']})",
            f"{_seconds(f['understand_p50_s'])} / {_seconds(f['understand_p95_s'])}",
            f"{_ms(f['search_p50_s'])} / {_ms(f['search_p95_s'])}"]
            for split, f in ((split, report["figures"]) for split, report in shopping.items())])
        lines += [f"Seeded shop: {products} products (lexical search, in-process).", ""]
    if cafe:
        lines += _table(CAFE_COLUMNS, [[
            CAFE_SETS[name], str(f["cases"]), f"{f['exact']:.1%}", f"{f['tool']:.1%}", _pct(f["args"]),
            f"{_pct(f.get('variant_options'))} (of {f.get('variant_choices')})",
            "not measured (TODO)" if report.get("variant_picked_right") is None
            else f"{report['variant_picked_right']:.1%}",
            f"{_seconds(f['p50_s'])} / {_seconds(f['p95_s'])}"]
            for name, report, f in ((name, report, report["figures"]) for name, report in cafe.items())])
    lines.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, LLM threads {machine['threads']}, load "
                 f"average before the run {machine['load_before']}, after {machine.get('load_after', '?')}; "
                 f"{machine['when']}.")
    return "\n".join(lines) + "\n"


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns),
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f} ms"


def rescore(path: Path) -> dict[str, Any]:
    """The shopping figures recomputed from a saved run's records (no model): for a scoring rule change."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    queries = {q.source: q for q in load_shopping_queries()}
    for report in saved["results"]["shopping"].values():
        totals = QueryTotals()
        for record in report["queries"]:
            result = search_query_score(queries[record["query"]], record["sent"], record["applied"],
                                        record["found"], record["verbatim_found"])
            record.update(missing=result.missing, negated_as_filters=result.negated_as_filters)
            totals.add(result, record["understand_s"], record["search_s"])
        report["figures"] = totals.figures()
    return saved


async def main_async(args: argparse.Namespace) -> int:
    if args.rescore:
        saved = rescore(args.rescore)
        print(markdown(saved["results"]["shopping"], saved["results"]["cafe"], saved["machine"], args.products))
        return 0
    machine = _machine(args.threads)
    results: dict[str, Any] = {"shopping": {}, "cafe": {}}

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n", encoding="utf-8")

    if "shopping" in args.sets:
        await shopping_report(args, results["shopping"], save)
    if "cafe" in args.sets:
        names = [name for name, split in CAFE_SETS.items() if split in args.splits]
        sets = {name: cases[:args.limit] for name, cases in test_sets(names, 0, args.seed).items()}
        results["cafe"] = await run_setup(SETUPS["finetuned"], sets, args, None)
        for name, report in results["cafe"].items():
            report["variant_picked_right"] = variant_picked_right(sets[name])
    machine["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    save()
    publish(markdown(results["shopping"], results["cafe"], machine, args.products), args.markdown, args.json,
            "bench.catalog_queries")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="issue 12's figures: shopping queries through understanding and "
                                                 "search, café utterances through understanding")
    parser.add_argument("--sets", nargs="+", choices=["shopping", "cafe"], default=["shopping", "cafe"])
    parser.add_argument("--splits", nargs="+", choices=SPLITS, default=list(SPLITS),
                        help="tune on dev only; held-out is reported, never tuned on")
    parser.add_argument("--limit", type=int, default=None, help="at most this many per split (smoke runs)")
    parser.add_argument("--products", type=int, default=2000, help="seeded shop size (`voiceshop seed`'s default)")
    parser.add_argument("--seed", type=int, default=7, help="the seeded shop's seed (the demo shop's)")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--adapter", type=Path, default=DEFAULT_ADAPTER)
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "catalog_queries.json")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the tables to this file")
    parser.add_argument("--rescore", type=Path, default=None, help="recompute the shopping figures of a saved run")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
