"""bench.catalog_queries records what the search tool really sends to the shop, and scores it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bench.catalog_queries import SentParams, tool_context
from shop.api import create_shop_app
from shop.db import Database
from tools import ShopClient, parse_action, run_action
from training.scoring import ShoppingQuery, search_query_score


async def test_the_parameters_the_tool_sends_are_recorded_and_scored(data_dir: Path) -> None:
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    sent = SentParams()
    transport = httpx.ASGITransport(app=create_shop_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://shop", event_hooks={"request": [sent]}) as http:
        shop = ShopClient(http)
        action = parse_action({"action": "search_products", "query": "running shoes", "color": "Black",
                               "max_price": 80})
        outcome = await run_action(action, tool_context(shop, "black running shoes under 80"))
        assert outcome.ok, outcome.error
        assert sent.last is not None
        assert sent.last["q"] == "running shoes" and sent.last["color"] == "Black"
        assert float(sent.last["max_price"]) == 80 and sent.last["limit"] == "5"  # the tool's own default
        assert sent.last.get("said") in (None, "black running shoes under 80")  # only where the tool takes it
        query = ShoppingQuery("black running shoes under 80", ["black", "running", "shoes"], negated=["black"])
        result = search_query_score(query, sent.last, outcome.data.get("applied"), outcome.data["total"], 1)
        assert result.missing == [] and result.negated_as_filters == ["black"]
        await shop.get("/products/p1")  # another request leaves the record of the search alone
        assert sent.last["q"] == "running shoes"
    database.engine.dispose()


def test_a_saved_run_is_rescored_from_its_records(tmp_path: Path) -> None:
    from bench.catalog_queries import rescore
    from training.scoring import load_shopping_queries

    first, second = load_shopping_queries(split="dev")[:2]
    records = [  # the first query kept every word and found products; the second was answered with another action
        {"query": first.source, "sent": {"q": " ".join(first.content_words)}, "applied": None, "found": 3,
         "verbatim_found": 5, "understand_s": 0.5, "search_s": 0.01, "missing": ["stale"]},
        {"query": second.source, "sent": None, "applied": None, "found": 0, "verbatim_found": 2,
         "understand_s": 0.7, "search_s": None, "missing": []},
    ]
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({"machine": {}, "results": {"shopping": {"dev": {"figures": {}, "queries": records}},
                                                            "cafe": {}}}))
    figures = rescore(saved)["results"]["shopping"]["dev"]["figures"]
    assert figures["all_words_kept"] == 0.5 and figures["search_chosen"] == 0.5
    assert figures["found_when_verbatim"] == 0.5 and figures["verbatim_found"] == 2
    assert rescore(saved)["results"]["shopping"]["dev"]["queries"][0]["missing"] == []  # recomputed, not copied


def test_variant_picked_right_runs_the_chosen_add_in_the_imported_cafe_shop() -> None:
    import asyncio

    from bench.catalog_queries import CafeShop, variant_picked_right
    from training.scoring import DEV_DIR, load_set

    cases = [case for case in load_set(DEV_DIR / "cafe.yaml", DEV_DIR / "cafe_contexts.yaml")
             if case.source and case.tool == "add_to_cart" and "option:milk" in case.args
             and "option:size" in case.args][:2]
    assert len(cases) == 2
    gold = [parse_action({"action": "add_to_cart", "product_id": str(case.args["product_id"].value),
                          "options": {"Size": case.args["option:size"].value.lower(),  # spoken, any case
                                      "Milk": case.args["option:milk"].value}}) for case in cases]
    wrong_milk = "Almond" if cases[1].args["option:milk"].value != "Almond" else "Soy"
    decisions = [(cases[0], gold[0]),
                 (cases[1], gold[1].model_copy(update={"options": {**gold[1].options, "Milk": wrong_milk}})),
                 (cases[1], parse_action({"action": "view_cart"}))]

    async def measure() -> dict:
        async with CafeShop() as (shop, product_ids):
            return await variant_picked_right(decisions, shop, product_ids)

    picked = asyncio.run(measure())
    assert picked["cases"] == 3 and picked["share"] == 1 / 3
    assert [record["problem"].split(" ")[0] for record in picked["wrong"]] == ["options", "no"]
