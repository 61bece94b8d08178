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
none extra). "Variant picked right" is the same cases at shop level: examples/cafe/products.csv with its
modifiers.yaml imported into a fresh in-process shop (the import path a shop owner uses), each chosen
add_to_cart run through the real tool as the demo customer, and the cart line it made must be the gold
product with the gold options (:func:`variant_picked_right`).
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
from shop.catalog.files import read_catalog
from shop.catalog.load import load_catalog
from shop.catalog.modifiers import MODIFIERS_BESIDE, with_modifiers
from shop.db import Database
from shop.models import Product
from shop.seed import add_sign_in_accounts, seed_database
from tools import ShopClient, ToolContext, run_action
from tools.catalog import SearchProducts
from training.scoring import (OPTION, Case, QueryTotals, ShoppingQuery, gold_matches, is_variant_choice,
                              load_shopping_queries, search_query_score)

CAFE_CATALOG = REPO / "examples" / "cafe" / "products.csv"
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


async def variant_picked_right(decisions: list[tuple[Case, Any]], shop: ShopClient,
                               product_ids: dict[str, str]) -> dict[str, Any]:
    """Share of the variant-choice cases (:func:`training.scoring.is_variant_choice`) whose chosen add, run
    through the add_to_cart tool against the café shop, puts the gold product with the gold options in the
    cart. ``product_ids``: the shop's id of each product by name (the screens' ids are the sets' own)."""
    right, records = 0, []
    cases = [(case, action) for case, action in decisions if is_variant_choice(case)]
    for case, action in cases:
        for line in (await shop.get("/cart"))["lines"]:  # each case starts from an empty cart
            await shop.request("DELETE", f"/cart/items/{line['product_id']}", params={"variant_id": line["variant_id"]})
        gold_card = next(card for card in case.shown if gold_matches(case.args["product_id"], card["id"]))
        gold_options = {name.removeprefix(OPTION): matcher for name, matcher in case.args.items()
                        if name.startswith(OPTION)}
        record: dict[str, Any] = {"case": case.source, "say": case.utterance,
                                  "chosen": action.model_dump(exclude_none=True) if action else None}
        chosen_card = next((card for card in case.shown if action is not None
                            and card["id"] == getattr(action, "product_id", None)), None)
        if action is None or action.action != "add_to_cart" or chosen_card is None:
            record["problem"] = "no add_to_cart of a shown product"
        elif chosen_card["name"] not in product_ids:
            record["problem"] = f"the shop has no product named {chosen_card['name']!r}"
        else:
            shop_action = action.model_copy(update={"product_id": product_ids[chosen_card["name"]]})
            outcome = await run_action(shop_action, tool_context(shop, case.utterance))
            line = outcome.data.get("line") if outcome.ok else None
            got = {name.casefold(): value for name, value in ((line or {}).get("options") or {}).items()}
            record["line"] = line and {"product": chosen_card["name"], "options": line.get("options")}
            if line is None:
                record["problem"] = f"refused: {outcome.error}" if not outcome.ok else "no cart line"
            elif chosen_card["name"] != gold_card["name"]:
                record["problem"] = f"product {chosen_card['name']!r}, gold {gold_card['name']!r}"
            elif not all(gold_matches(matcher, got.get(name)) for name, matcher in gold_options.items()):
                record["problem"] = "options " + ", ".join(f"{name}: {matcher.describe()} ≠ {got.get(name)!r}"
                                                           for name, matcher in gold_options.items()
                                                           if not gold_matches(matcher, got.get(name)))
        if "problem" in record:
            records.append(record)
        else:
            right += 1
    return {"share": right / len(cases) if cases else None, "cases": len(cases), "wrong": records}


class CafeShop:
    """The café catalog (CSV + modifiers.yaml beside it) imported into a fresh in-process shop, with the demo
    customer signed in: ``async with CafeShop() as (shop, product_ids)``."""

    async def __aenter__(self) -> tuple[ShopClient, dict[str, str]]:
        self._scratch = tempfile.TemporaryDirectory()
        self.database = Database(f"sqlite:///{Path(self._scratch.name) / 'shop.db'}")
        self.database.create_schema()
        catalog, _ = with_modifiers(read_catalog(CAFE_CATALOG), CAFE_CATALOG.parent / MODIFIERS_BESIDE)
        load_catalog(self.database, catalog)
        add_sign_in_accounts(self.database)
        with self.database.session() as session:
            product_ids = {product.name: product.id for product in session.query(Product)}
        self._http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_shop_app(self.database)),
                                       base_url="http://shop")
        signed_in = await self._http.post("/login", json={"login": "demo"})
        signed_in.raise_for_status()
        return ShopClient(self._http, signed_in.json()["token"]), product_ids

    async def __aexit__(self, *_: Any) -> None:
        await self._http.aclose()
        self.database.engine.dispose()
        self._scratch.cleanup()


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
            _pct(report.get("variant_picked_right")),
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
        decisions: dict[str, list[tuple[Case, Any]]] = {}
        results["cafe"] = await run_setup(SETUPS["finetuned"], sets, args, None, decisions)
        async with CafeShop() as (shop, product_ids):
            for name, report in results["cafe"].items():
                picked = await variant_picked_right(decisions.get(name, []), shop, product_ids)
                report["variant_picked_right"], report["variant_picks_wrong"] = picked["share"], picked["wrong"]
                print(f"café {name}: variant picked right (shop) {_pct(picked['share'])} of {picked['cases']}",
                      flush=True)
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
