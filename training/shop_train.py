"""``voiceshop train``: retrain the embedded model on the current shop; install the result only if it is better.

One command for a shop owner, wiring what exists (it reimplements none of it)::

    voiceshop train --dry-run          # the plan: what it reads, how much it trains, what it compares
    voiceshop train                    # data → train → compare → install (rerun after an interruption: resumes)

1. **data**: the task data generators (:func:`training.taskdata.generate`), with the shop's own catalog as one
   more shop kind for the any-shop templates (:mod:`training.anyshop`: variant picks, add-ons, ruled-out and
   kept words, on the shop's products, options and add-ons) and its help center's questions as support
   requests (:func:`training.support_requests.t_support` → ``faq``);
2. **train**: :func:`training.train.train` on CPU or GPU (whatever torch finds); it checkpoints, so a rerun
   resumes there;
3. **compare**: the new adapter and the installed one on the hand-written dev sets (dev and support-dev),
   through :func:`bench.understanding.run_setup`;
4. **install**: the new adapter over the installed one only when its exact-action accuracy on those cases is
   higher (the old one is kept in the work dir); otherwise it says why and leaves the installed one.

What ran is recorded in ``<work dir>/train-record.json``: the plan, each stage's seconds and results, the
figures of both adapters and the decision. A stage already done for the same plan is not run again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from training.anyshop import ANY_SHOP_INTENTS, ProductKind, ShopKind, on_kinds, plural, shop_kinds
from training.support_requests import t_support

RECORD_NAME = "train-record.json"
DEV_SETS = ("dev", "support-dev")  # the hand-written dev sets the two adapters are compared on
HELP_WEIGHT = 3.0  # the shop's help-center questions, beside the generator's own support requests (~23)
MAX_ATTRIBUTES = 12
NOT_OPTIONS = {"title"}  # Shopify's "Title: Default Title" is a product without options


# ── the current shop, as the generators' inputs ──────────────────────────────────────────────────────

@dataclass
class ShopData:
    """What ``voiceshop train`` reads from the shop: its catalog as shop kinds and its help-center questions."""

    products: int
    kinds: tuple[ShopKind, ...]
    questions: list[str]

    def intents(self) -> list[tuple[str, float, list[Any]]]:
        """The any-shop intents on the shop's own kinds, and its help-center questions as ``faq`` requests."""
        intents: list[tuple[str, float, list[Any]]] = []
        for intent, weight, templates in ANY_SHOP_INTENTS:
            kinds = tuple(k for k in self.kinds if k.negations) if intent == "search-exclude" else self.kinds
            if kinds:
                intents.append((f"own-{intent}", weight, [on_kinds(kinds, t) for t in templates]))
        if self.questions:
            intents.append(("own-help", HELP_WEIGHT, [t_support(q, "faq", story=False) for q in self.questions]))
        return intents


def _words(text: str) -> str:
    return " ".join(str(text).replace("?", " ").split()).lower()


def shop_kinds_from(products: list[Any]) -> tuple[ShopKind, ...]:
    """The shop's products with options, one shop kind per category: a product kind per noun (a name's last
    word, "Caffè Latte" → "Latte", its other words the product line), with the first such product's options."""
    synthetic_absent = sorted({b for kind in shop_kinds() for b in kind.absent_brands})
    by_category: dict[str, list[Any]] = {}
    for product in products:
        options = [(o.name, tuple(map(str, o.values))) for o in product.options
                   if o.values and o.name.lower() not in NOT_OPTIONS]
        if options and product.name.split():
            by_category.setdefault(product.category, []).append((product, tuple(options)))
    kinds = []
    for category, items in sorted(by_category.items()):
        nouns: dict[str, list[tuple[Any, tuple]]] = {}
        for product, options in items:
            nouns.setdefault(product.name.split()[-1], []).append((product, options))
        product_kinds = []
        for noun, group in nouns.items():
            lines = tuple(dict.fromkeys(" ".join(p.name.split()[:-1]) or p.brand for p, _ in group))
            prices = [float(p.price) for p, _ in group]
            product_kinds.append(ProductKind(noun, lines, (min(prices), max(prices) + 1), group[0][1]))
        brands = tuple(sorted({p.brand for p, _ in items if p.brand}))
        add_ons = tuple(dict.fromkeys((m.name, float(m.price)) for p, _ in items for m in p.modifiers))
        tags = [_words(t) for p, _ in items for t in (p.tags or []) if _words(t).replace(" ", "").isalpha()]
        attributes = tuple(dict.fromkeys(tags))[:MAX_ATTRIBUTES] or (_words(category),)
        negations = tuple(dict.fromkeys((plural(k.noun), v.lower()) for k in product_kinds for _, values in k.options
                                        for v in values if v.replace(" ", "").isalpha()
                                        and v.lower() not in k.noun.lower()))[:8]
        absent = tuple(b for b in synthetic_absent if b not in {x.lower() for x in brands})
        kinds.append(ShopKind(_words(category), category, brands or ("house",), absent, tuple(product_kinds),
                              add_ons, attributes, negations))
    return tuple(kinds)


def read_shop(database_url: str, helpcenter_dir: Path) -> ShopData:
    """The current shop's catalog (its database) and help center (its folder), as the generators take them."""
    from sqlalchemy import select

    from shop.db import Database
    from shop.helpcenter.store import HelpCenterError, load_helpcenter
    from shop.models import Product

    database = Database(database_url)
    try:
        with database.session() as session:
            products = list(session.scalars(select(Product).where(Product.published)))
            kinds = shop_kinds_from(products)
    finally:
        database.engine.dispose()
    try:
        entries = load_helpcenter(helpcenter_dir)
    except HelpCenterError:
        entries = []
    questions = list(dict.fromkeys(_words(q) for e in entries for q in (e.question, *e.also_asked) if _words(q)))
    return ShopData(len(products), kinds, questions)


# ── the plan and its record ──────────────────────────────────────────────────────────────────────────

@dataclass
class Plan:
    examples: int
    steps: int | None
    budget_minutes: float | None
    seed: int
    threads: int
    limit: int | None  # dev cases per set (None: all)
    work_dir: Path
    installed: Path  # the adapter the assistant uses, replaced only by a better one
    device: str = ""
    shop: dict[str, Any] = field(default_factory=dict)

    @property
    def candidate(self) -> Path:
        return self.work_dir / "candidate.gguf"

    def key(self) -> dict[str, Any]:
        """What makes two runs the same run (a stage done under another plan is done again); the installed
        adapter is not part of it: each adapter's figures are kept by its contents."""
        return {k: str(v) for k, v in asdict(self).items() if k not in ("device", "installed")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else ""


def _load_record(plan: Plan) -> dict[str, Any]:
    """The record of this plan's run so far; a run of another plan is started over (its checkpoint too:
    training.train would resume any checkpoint it finds)."""
    path = plan.work_dir / RECORD_NAME
    if path.is_file():
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("plan") == plan.key():
            record["resumed"] = record.get("resumed", 0) + 1
            return record
    (plan.work_dir / "checkpoint.pt").unlink(missing_ok=True)
    plan.candidate.unlink(missing_ok=True)
    return {"plan": plan.key(), "stages": {}, "evaluations": {}}


def _save(plan: Plan, record: dict[str, Any]) -> None:
    plan.work_dir.mkdir(parents=True, exist_ok=True)
    (plan.work_dir / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _bar(total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="", dynamic_ncols=True, file=sys.stderr)


# ── the stages ───────────────────────────────────────────────────────────────────────────────────────

def make_data(plan: Plan, shop: ShopData) -> list[Any]:
    from training.taskdata import generate

    with _bar(plan.examples, "task data") as bar:
        return generate(plan.examples, "train", plan.seed, extra=shop.intents(), progress=lambda: bar.update(),
                        consent=True)


def train_candidate(plan: Plan, examples: list[Any]) -> dict[str, Any]:
    from training.train import TrainOptions, train

    options = TrainOptions(examples=plan.examples, seed=plan.seed, threads=plan.threads, steps=plan.steps,
                           budget_minutes=plan.budget_minutes, work_dir=plan.work_dir, out=plan.candidate)
    bars: list[Any] = []  # started at the first step: loading the base model is no step (its ETA would lie)
    print("training: loading the base model…", file=sys.stderr, flush=True)

    def on_step(step: int, total: int) -> None:
        if not bars:
            bars.append(_bar(total, "training"))
            bars[0].update(step - 1)
        bars[0].total = total  # the budget probe may shorten the run after a few steps
        bars[0].update(step - bars[0].n)
    try:
        return train(options, examples, on_step)
    finally:
        for bar in bars:
            bar.close()


def cases(plan: Plan) -> dict[str, list[Any]]:
    from bench.understanding import test_sets

    return {name: found[:plan.limit] for name, found in test_sets(list(DEV_SETS), 0, 0).items()}


def evaluate(plan: Plan, adapter: Path, sets: dict[str, list[Any]], label: str) -> dict[str, Any]:
    """Per set, the figures of the fine-tuned setup with ``adapter`` (bench.understanding)."""
    from bench.understanding import SETUPS, run_setup

    args = argparse.Namespace(adapter=adapter, threads=plan.threads)
    with _bar(sum(map(len, sets.values())), f"compare: {label}") as bar:
        report = asyncio.run(run_setup(SETUPS["finetuned"], sets, args, None, on_case=lambda: bar.update()))
    return {name: found["figures"] for name, found in report.items()}


def exact_share(figures: dict[str, Any]) -> float:
    """Exact actions over every case of every set."""
    total = sum(f["cases"] for f in figures.values())
    return sum(f["exact"] * f["cases"] for f in figures.values()) / total if total else 0.0


def install(plan: Plan) -> Path | None:
    """The candidate (GGUF, its JSON note, its PEFT form) over the installed adapter; the old one is kept."""
    from training.export import peft_dir_for

    kept = None
    if plan.installed.is_file():
        kept = plan.work_dir / "previous" / plan.installed.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(plan.installed, kept)
    plan.installed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(plan.candidate, plan.installed)
    if plan.candidate.with_suffix(".json").is_file():
        shutil.copy2(plan.candidate.with_suffix(".json"), plan.installed.with_suffix(".json"))
    if peft_dir_for(plan.candidate).is_dir():
        shutil.copytree(peft_dir_for(plan.candidate), peft_dir_for(plan.installed), dirs_exist_ok=True)
    return kept


def _stage(record: dict[str, Any], name: str, started: float, **result: Any) -> None:
    record["stages"][name] = {"done": True, "seconds": round(time.perf_counter() - started, 1), **result}


def run(plan: Plan, shop: ShopData, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Every stage not done yet for this plan; returns the record (also written to the work dir)."""
    record = _load_record(plan)
    record["shop"] = plan.shop
    stages = record["stages"]
    if not (stages.get("train", {}).get("done") and plan.candidate.is_file()):
        started = time.perf_counter()
        examples = make_data(plan, shop)
        _stage(record, "data", started, examples=len(examples),
               own_shop_examples=sum(e.intent.startswith("own-") for e in examples))
        _save(plan, record)
        started = time.perf_counter()
        trained = train_candidate(plan, examples)
        _stage(record, "train", started, **{k: trained[k] for k in ("steps", "planned_steps", "train_seconds",
                                                                     "loss_first_25", "loss_last_25", "device")})
        _save(plan, record)
    else:
        say(f"training already done for this plan: {plan.candidate}")
    sets = cases(plan)
    figures: dict[str, Any] = {}
    for label, adapter in (("new", plan.candidate), ("installed", plan.installed)):
        digest = _sha256(adapter)
        if not digest:
            continue
        if digest not in record["evaluations"]:
            started = time.perf_counter()
            record["evaluations"][digest] = {"figures": evaluate(plan, adapter, sets, label),
                                             "seconds": round(time.perf_counter() - started, 1)}
            _save(plan, record)
        figures[label] = record["evaluations"][digest]["figures"]
    new = exact_share(figures["new"])
    old = exact_share(figures["installed"]) if "installed" in figures else None
    record["compare"] = {"sets": {n: len(c) for n, c in sets.items()}, "new_exact": round(new, 4),
                         "installed_exact": None if old is None else round(old, 4),
                         "new": figures["new"], "installed": figures.get("installed")}
    if old is None or new > old:
        kept = install(plan)
        why = ("no adapter was installed" if old is None else f"exact actions {old:.1%} → {new:.1%}")
        record["decision"] = {"installed": True, "why": why, "previous_kept_at": str(kept) if kept else None,
                              "adapter": str(plan.installed)}
        say(f"installed the new adapter at {plan.installed} ({why})")
    else:
        why = (f"the new adapter is not better on the dev sets: exact actions {new:.1%} against the installed "
               f"one's {old:.1%} ({sum(map(len, sets.values()))} cases); the installed one stays")
        record["decision"] = {"installed": False, "why": why, "candidate": str(plan.candidate)}
        say(why)
    record["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    _save(plan, record)
    return record


# ── the command ──────────────────────────────────────────────────────────────────────────────────────

def _device() -> str:
    try:
        import torch
    except ImportError:
        return "none: install the train extra (torch, transformers, peft)"
    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"


def describe(plan: Plan, shop: ShopData, sets: dict[str, list[Any]]) -> str:
    steps = (f"{plan.steps} steps" if plan.steps else
             f"as many steps as fit in {plan.budget_minutes:g} minutes" if plan.budget_minutes else "one epoch")
    kinds = "; ".join(f"{k.category} ({len(k.products)} kinds, {len(k.add_ons)} add-ons)" for k in shop.kinds)
    return "\n".join([
        f"shop: {shop.products} products; with options: {kinds or 'none'}; {len(shop.questions)} help-center "
        "questions",
        f"1. data: {plan.examples} examples from the task data generators, with the shop's own catalog and help "
        f"center ({len(shop.intents())} more intents)",
        f"2. train: {steps} on {plan.device}, {plan.threads} threads; checkpoints in {plan.work_dir}",
        f"3. compare: the new adapter and {plan.installed if plan.installed.is_file() else 'no installed adapter'} "
        f"on {', '.join(f'{n} ({len(c)} cases)' for n, c in sets.items())}",
        f"4. install: over {plan.installed}, only if its exact-action accuracy is higher",
        f"record: {plan.work_dir / RECORD_NAME}",
    ])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from training.train import TrainOptions

    defaults = TrainOptions()
    parser.add_argument("--examples", type=int, default=defaults.examples, help="task data examples to train on")
    parser.add_argument("--steps", type=int, default=None, help="exact number of training steps")
    parser.add_argument("--budget-minutes", type=float, default=defaults.budget_minutes,
                        help="without --steps: as many steps as fit in this many minutes (0: one epoch)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--limit", type=int, default=None, help="at most this many dev cases per set")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: train/ in the data dir")
    parser.add_argument("--adapter", type=Path, default=None,
                        help="the installed adapter (default: LORA_PATH, else the committed one)")
    parser.add_argument("--fresh", action="store_true", help="start over: forget the record and the checkpoint")
    parser.add_argument("--dry-run", action="store_true", help="show the plan and stop")
    parser.set_defaults(run=main_args)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Hook for ``voiceshop``'s CLI (a ``voiceshop.commands`` entry point): adds ``voiceshop train``."""
    add_arguments(commands.add_parser("train", help="retrain the understanding model on this shop's catalog and "
                                                    "help center; installs it only if it is better"))


def main_args(args: argparse.Namespace) -> int:
    from agent.llm import DEFAULT_ADAPTER
    from app.settings import load_settings

    settings = load_settings()
    plan = Plan(examples=args.examples, steps=args.steps, budget_minutes=args.budget_minutes or None,
                seed=args.seed, threads=args.threads, limit=args.limit,
                work_dir=args.work_dir or settings.app.data_dir / "train",
                installed=args.adapter or settings.llm.lora_path or DEFAULT_ADAPTER)
    shop = read_shop(settings.app.shop_database_url, settings.help_center.helpcenter_dir)
    plan.shop = {"products": shop.products, "kinds": [k.category for k in shop.kinds],
                 "help_questions": len(shop.questions)}
    plan.device = _device()
    if args.dry_run:
        print(describe(plan, shop, cases(plan)))
        return 0
    if not shop.products:
        print("error: the shop has no products: import its catalog first (voiceshop import catalog FILE)",
              file=sys.stderr)
        return 1
    if args.fresh:
        (plan.work_dir / RECORD_NAME).unlink(missing_ok=True)
    print(describe(plan, shop, cases(plan)), flush=True)
    run(plan, shop)
    print(f"record: {plan.work_dir / RECORD_NAME}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voiceshop train", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return main_args(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
