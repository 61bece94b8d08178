"""Understanding benchmark: how well the embedded model picks actions, and how fast (one command).

    .venv/bin/python -m bench.understanding                       # all four setups, both test sets
    .venv/bin/python -m bench.understanding --setups finetuned --sets dev --markdown docs/understanding-results.md
    .venv/bin/python -m bench.understanding --setups finetuned --sets cafe-dev cafe-heldout   # the café catalog
    .venv/bin/python -m bench.understanding --setups finetuned --sets dev support-dev support-heldout \
        cafe-fresh-dev cafe-fresh-heldout --threads 1          # issue 13's hand-written sets beside the dev set
    .venv/bin/python -m bench.understanding --setups finetuned --sets after-purchase-dev   # issue 14: returns, ...

Setups (the embedded Gemma 3 270M, compact prompt and encoding, grammar-constrained decoding):
zero-shot (base model, action codes listed in the prompt), few-shot (base model + k retrieved examples),
fine-tuned (the committed LoRA adapter), fine-tuned + few-shot; and ``server``, the model behind
``LLM_BASE_URL`` configured from the environment as the app would be (``make vllm-check`` runs it
against vLLM serving the same adapter). Test sets: the hand-written dev set
(evals/understanding/dev.yaml), generated examples from templates held out of training, and the
hand-written café utterances (evals/understanding/cafe.yaml, split into cafe-dev and cafe-heldout), and
issue 13's fresh hand-written sets: customer-support requests (support.yaml: support-dev, support-heldout)
and new café utterances (cafe_fresh.yaml: cafe-fresh-dev, cafe-fresh-heldout); issue 14's after-purchase
requests (after_purchase.yaml: after-purchase-dev, after-purchase-heldout: returns, exchanges, order changes,
default address, refund status, cancelling with a reason, and near misses that stay other actions).
``python -m bench.catalog_queries`` runs the shopping queries through the search as well (issue 12).

Figures (definitions in training/scoring.py): exact-action accuracy, tool accuracy, argument
accuracy, invalid-output rate, spurious hand-offs, clarify questions that fit, and the understand step's latency p50/p95 (the whole ``choose`` call:
retrieval, prompt, generation, decoding). Cases run in file order through one engine per model, so the
prompt cache sees what a conversation would (the static prefix is shared; the screen changes often).
Latency depends on the machine and on what else runs on it: say so when quoting figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.llm import DEFAULT_ADAPTER, ChatClient, EmbeddedTransport, bundled_model_path, embedded_engine, make_client
from agent.prompts import Prompts
from agent.understand import DEFAULT_FEW_SHOT, Understander, UnderstandOptions
from app.settings import load_settings
from training.scoring import DEV_DIR, Case, Score, Totals, case_from_example, load_dev_set, load_set, score
from training.taskdata import generate

REPO = Path(__file__).resolve().parents[1]
BENCH_TIMEOUT_S = 600  # a benchmark measures slow answers, it never gives up on them


@dataclass(frozen=True)
class Setup:
    name: str
    adapter: bool
    few_shot: int
    server: bool = False  # the model behind LLM_BASE_URL, configured as the app would be (app.settings)


SETUPS = {"zero-shot": Setup("zero-shot", False, 0), "few-shot": Setup("few-shot", False, DEFAULT_FEW_SHOT),
          "finetuned": Setup("finetuned", True, 0), "finetuned+few-shot": Setup("finetuned+few-shot", True, DEFAULT_FEW_SHOT),
          "server": Setup("server", False, 0, server=True)}
EMBEDDED_SETUPS = [name for name, setup in SETUPS.items() if not setup.server]


# The hand-written sets by split: name -> (cases, screens, split)
SPLIT_SETS = {f"{name}-{split}": (f"{stem}.yaml", screens, split)
              for name, stem, screens in (("cafe", "cafe", "cafe_contexts.yaml"),
                                          ("support", "support", "support_contexts.yaml"),
                                          ("cafe-fresh", "cafe_fresh", "cafe_contexts.yaml"),
                                          ("after-purchase", "after_purchase", "after_purchase_contexts.yaml"))
              for split in ("dev", "heldout")}
CAFE_SETS = {name: split for name, (cases_file, _, split) in SPLIT_SETS.items() if cases_file == "cafe.yaml"}
SET_NAMES = ["dev", "heldout", *SPLIT_SETS]


def test_sets(names: list[str], heldout_count: int, seed: int) -> dict[str, list[Case]]:
    sets: dict[str, list[Case]] = {}
    if "dev" in names:
        sets["dev"] = load_dev_set()
    if "heldout" in names:
        sets["heldout"] = [case_from_example(e) for e in generate(heldout_count, "heldout", seed)]
    for name, (cases_file, screens_file, split) in SPLIT_SETS.items():
        if name in names:
            sets[name] = load_set(DEV_DIR / cases_file, DEV_DIR / screens_file, split)
    return sets


def make_understander(setup: Setup, args: argparse.Namespace, index: Any = None) -> tuple[Understander, ChatClient]:
    """The understand step of ``setup`` (embedded engine, adapter, few-shot as configured) and its client."""
    if setup.server:
        client, options = _server_client()
    else:
        model_path = bundled_model_path(REPO / "var")
        adapter = args.adapter if setup.adapter else None
        if setup.adapter and not adapter.is_file():
            raise SystemExit(f"no adapter at {adapter}: train one with `python -m training.train`")
        engine = embedded_engine(model_path, threads=args.threads, context_tokens=2048, lora_path=adapter)
        client = ChatClient("http://embedded/v1", model_path.stem, transport=EmbeddedTransport(engine),
                            embedded=True, adapter=adapter, timeout_s=BENCH_TIMEOUT_S)
        options = UnderstandOptions(mode="compact", few_shot=setup.few_shot, explain=not setup.adapter)
    return Understander(client, Prompts(), options, few_shot_index=index if setup.few_shot else None), client


async def run_setup(setup: Setup, sets: dict[str, list[Case]], args: argparse.Namespace,
                    index: Any, decisions: dict[str, list[tuple[Case, Any]]] | None = None,
                    on_case: Callable[[], None] | None = None) -> dict[str, Any]:
    """``decisions``, when given, gets each set's (case, chosen action) pairs, for checks beyond the scoring;
    ``on_case`` is called after each case (a progress bar)."""
    understander, client = make_understander(setup, args, index)
    report: dict[str, Any] = {}
    for set_name, cases in sets.items():
        totals, per_tool, failures = Totals(), defaultdict(Totals), []
        await understander.choose([{"role": "user", "content": "hello"}], [], None, [])  # warm the prefix cache
        for case in cases:
            started = time.perf_counter()
            decision = await understander.choose(case.messages(), case.shown, case.cart, [])
            seconds = time.perf_counter() - started
            result: Score = score(case, decision.action)
            if decisions is not None:
                decisions.setdefault(set_name, []).append((case, decision.action))
            totals.add(result, seconds)
            per_tool[case.tool].add(result, seconds)
            if on_case:
                on_case()
            if not result.exact:
                failures.append({"case": case.source, "say": case.utterance, "raw": decision.raw.strip(),
                                 "problems": result.problems})
        report[set_name] = {"figures": totals.figures(),
                            "per_tool": {t: v.figures() for t, v in sorted(per_tool.items())},
                            "failures": failures}
        figures = totals.figures()
        print(f"{setup.name:>20} {set_name:>8}: exact {figures['exact']:.1%} tool {figures['tool']:.1%} "
              f"args {_pct(figures['args'])} invalid {figures['invalid']:.1%} "
              f"spurious hand-offs {_pct(figures['spurious_handoffs'])} clarify fit {_pct(figures['clarify_fit'])} "
              f"p50 {figures['p50_s']:.2f}s p95 {figures['p95_s']:.2f}s ({figures['cases']} cases)", flush=True)
    await client.aclose()
    return report


def _server_client() -> tuple[ChatClient, UnderstandOptions]:
    """The client and options the app itself would use for LLM_BASE_URL (vLLM: LLM_FINETUNED=1, LLM_MODEL=<lora>)."""
    settings = load_settings(llm_timeout_s=BENCH_TIMEOUT_S)
    if not settings.llm.llm_base_url:
        raise SystemExit("the server setup needs LLM_BASE_URL (e.g. vLLM serving the adapter: `make vllm-check`)")
    client = make_client(settings.llm, settings.app.data_dir)
    return client, UnderstandOptions.for_client(client, settings.agent.understand_mode or "compact",
                                                settings.agent.understand_few_shot)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def markdown(results: dict[str, dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = ["| setup | test set | cases | exact action | tool | arguments | invalid | spurious hand-offs | "
             "clarify fit (asked) | hand-off reason fit | p50 | p95 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for setup, by_set in results.items():
        for set_name, report in by_set.items():
            f = report["figures"]
            lines.append(f"| {setup} | {set_name} | {f['cases']} | {f['exact']:.1%} | {f['tool']:.1%} | "
                         f"{_pct(f['args'])} | {f['invalid']:.1%} | {_pct(f['spurious_handoffs'])} | "
                         f"{_pct(f['clarify_fit'])} ({f['clarify_asked']}) | {_pct(f['handoff_reason_fit'])} | "
                         f"{f['p50_s']:.2f} s | {f['p95_s']:.2f} s |")
    lines.append("")
    lines.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, LLM threads {machine['threads']}, "
                 f"load average before the run {machine['load_before']}; {machine['when']}.")
    return "\n".join(lines) + "\n"


def _machine(threads: int) -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": threads,
            "load_before": " ".join(f"{x:.1f}" for x in os.getloadavg()), "when": time.strftime("%Y-%m-%d %H:%M")}


async def main_async(args: argparse.Namespace) -> int:
    sets = {name: cases[:args.limit] for name, cases in test_sets(args.sets, args.heldout, args.seed).items()}
    machine = _machine(args.threads)
    index = None
    if any(SETUPS[name].few_shot for name in args.setups):
        from agent.compact.fewshot import FewShotIndex

        index = FewShotIndex.build(REPO / "var" / "fewshot")
    results = {name: await run_setup(SETUPS[name], sets, args, index) for name in args.setups}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n", encoding="utf-8")
    publish(markdown(results, machine), args.markdown, args.json, "bench.understanding")
    return 0


def publish(table: str, markdown_path: Path | None, json_path: Path, command: str) -> None:
    """Print the table, also write it to ``markdown_path`` when given, and say where the details are."""
    print(table)
    if markdown_path:
        markdown_path.write_text(f"<!-- written by `python -m {command}`; do not edit by hand -->\n" + table,
                                 encoding="utf-8")
    print(f"details and failures: {json_path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="exact-action/tool/argument accuracy and latency of the understand step")
    parser.add_argument("--setups", nargs="+", choices=list(SETUPS), default=EMBEDDED_SETUPS,
                        help="default: the embedded ones; 'server' asks the model at LLM_BASE_URL")
    parser.add_argument("--sets", nargs="+", choices=SET_NAMES, default=["dev", "heldout"])
    parser.add_argument("--heldout", type=int, default=150, help="generated held-out cases")
    parser.add_argument("--limit", type=int, default=None, help="at most this many cases per set (smoke runs)")
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--adapter", type=Path, default=DEFAULT_ADAPTER)
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "understanding.json")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table to this file")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
