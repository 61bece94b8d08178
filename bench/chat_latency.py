"""Latency of ``POST /api/chat`` with the real embedded model: ``python -m bench.chat_latency``.

Seeds a fresh demo shop in a temporary directory, starts the real app (warm-up included, as in
production), sends typical customer messages one at a time and prints per-stage p50/p95 in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from app.settings import load_settings
from evals.metrics import percentile

MESSAGES = [
    "show me running shoes", "add the first one", "what's in my cart", "find wireless headphones under 50 dollars",
    "hi there", "where is my order", "what is your return policy", "recommend something for my mom who likes gardening",
    "show me a waterproof jacket", "remove the running shoes",
]


async def run(rounds: int) -> None:
    from app.main import create_app
    from shop.db import Database
    from shop.seed import seed_database

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        seed_database(Database(f"sqlite:///{data_dir / 'shop.db'}"), products=2000, customers=200, seed=7)
        model = Path("var/models/gemma3-270m-q4_k_m.gguf")
        # No background catalog embedding: it would compete for the cores with the turns being timed.
        settings = load_settings(data_dir=data_dir, model_path=model if model.exists() else None,
                                 warm_indexes=False)
        started = time.perf_counter()
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=300) as client:
            print(f"start-up (model load, warm-up, Whisper, help center): {time.perf_counter() - started:.1f}s")
            token = (await client.post("/api/login", json={"login": "demo"})).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            stages: dict[str, list[float]] = {"llm": [], "tools": [], "total": []}
            conversation = None
            for _ in range(rounds):
                for text in MESSAGES:
                    body = (await client.post("/api/chat", json={"text": text, "conversation_id": conversation})).json()
                    conversation = body["conversation_id"]
                    for stage in stages:
                        stages[stage].append(body["timings"].get(stage, 0.0))
                    tools = ",".join(a["tool"] for a in body["actions"]) or "-"
                    print(f"{body['timings']['total']:6.2f}s  {text!r:58} → {tools}")
    load = os.getloadavg()[0]
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f}; "
          f"{len(stages['total'])} turns, LLM_THREADS={settings.llm.llm_threads}")
    print("| stage | p50 s | p95 s | mean s |\n|---|---|---|---|")
    for stage, values in stages.items():
        print(f"| {stage} | {statistics.median(values):.2f} | {percentile(values, 95):.2f} | "
              f"{statistics.fmean(values):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="times to send the message list (default 1)")
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
