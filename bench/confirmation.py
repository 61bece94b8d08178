"""Confirmation benchmark: how the agent reads a customer's answer to a read-back of an irreversible action.

    .venv/bin/python -m bench.confirmation [--split dev|heldout|all] [--show-errors]
    .venv/bin/python -m bench.confirmation --set fresh
    nice -n 19 .venv/bin/python -m bench.confirmation --split dev --model [--threads 1] [--adapter PATH]

``--model``: the rules and, where they allow it (``agent.consent.decide_consent``), the embedded fine-tuned
model's reading under the consent grammar (``Understander.consent``), as the confirm step runs them; it also
prints how often the model was asked and its latency per answer asked about.

Runs every hand-written answer in evals/confirmation/answers.yaml (or, with ``--set fresh``, the second
held-out set answers_fresh.yaml, written later and blind to the rules; its errors are never shown) through ``agent.consent.classify_consent``
with the rules the assistant uses,
("other" counts as new_request) and prints, per label, how often it was answered each way, then the key figures:
non-yes accepted as yes (must be 0: each one would place, cancel or refund without consent), plain yes accepted
(share of label yes answered yes) and no recognised as no, and a per-kind breakdown. Exits 0 whatever the scores.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ANSWERS = Path(__file__).resolve().parents[1] / "evals" / "confirmation" / "answers.yaml"
# answers.yaml (dev/heldout), the fresh set (all held out) and the third set (dev/heldout), each written blind
SETS = {"answers": ANSWERS, "fresh": ANSWERS.with_name("answers_fresh.yaml"),
        "third": ANSWERS.with_name("answers_third.yaml")}
BENCH_TIMEOUT_S = 600  # a benchmark measures slow answers, it never gives up on them
Label = Literal["yes", "no", "unclear", "new_request"]
LABELS: tuple[Label, ...] = ("yes", "no", "unclear", "new_request")
# Each kind belongs to exactly one label, so a mislabelled entry fails to load.
KIND_LABEL: dict[str, Label] = {
    **dict.fromkeys(["plain_yes", "polite_yes", "filler_yes", "long_yes", "typo_yes"], "yes"),
    **dict.fromkeys(["plain_no", "negated_yes", "yes_then_no"], "no"),
    **dict.fromkeys(["hedge", "question", "condition", "time_shift", "mixed", "sarcasm", "garbled",
                     "double_negative", "other_language"], "unclear"),
    "new_request": "new_request",
}


class ConfirmationAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    question: Literal["checkout", "cancel_order", "return_items"]
    text: str = Field(min_length=1)
    label: Label
    kind: str
    split: Literal["dev", "heldout", "fresh"]  # fresh: the second held-out set

    @model_validator(mode="after")
    def kind_fits_label(self) -> ConfirmationAnswer:
        if KIND_LABEL.get(self.kind) != self.label:
            kinds = sorted(kind for kind, label in KIND_LABEL.items() if label == self.label)
            raise ValueError(f"kind {self.kind!r} does not fit label {self.label!r}; one of {kinds}")
        return self


class _Yaml12Loader(yaml.SafeLoader):
    """Reads yes/no/on/off as plain strings (as YAML 1.2 does), so `label: yes` stays a label, not True."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_answers(path: Path | None = None) -> list[ConfirmationAnswer]:
    """The answer set, validated; a bad entry raises ValueError naming its line and index."""
    path = path or ANSWERS
    text = path.read_text(encoding="utf-8")
    entries, nodes = yaml.load(text, Loader=_Yaml12Loader), yaml.compose(text, Loader=_Yaml12Loader)
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of answers")
    answers = []
    for index, (entry, node) in enumerate(zip(entries, nodes.value)):
        try:
            answers.append(ConfirmationAnswer.model_validate(entry))
        except ValidationError as error:
            raise ValueError(f"{path}:{node.start_mark.line + 1}: answer #{index}: {error}") from error
    return answers


def question_words(answer: ConfirmationAnswer) -> list[str]:
    """What the confirm step passes as the question's own words (agent.graph): the order id read back (1042,
    answers.yaml's header) and, for a return, the item as the customer named it (its question: "Return the
    running shoes from order 1042 …")."""
    return {"checkout": [], "cancel_order": ["1042"], "return_items": ["1042", "running shoes"]}[answer.question]


def classify_all(answers: list[ConfirmationAnswer]) -> list[Label]:
    # Imported here, so tests can load the set without the agent.
    from agent.consent import classify_consent, default_rules
    from prompts import PROMPTS_DIR

    rules = default_rules(PROMPTS_DIR / "confirmation.yaml")
    got: list[Label] = []
    for answer in answers:
        answered = classify_consent(answer.text, rules, answer.question, subject=question_words(answer))
        if answered not in ("yes", "no", "unclear", "other"):
            raise ValueError(f"classify_consent({answer.text!r}) returned {answered!r}")
        got.append("new_request" if answered == "other" else answered)
    return got


# The read-backs the answers reply to (order 1042, as the set's header says), as the assistant words them.
READ_BACK_CART = {"lines": [{"name": "Trail Runner", "quantity": 1, "unit_price": 59.99},
                            {"name": "Wool Socks", "quantity": 1, "unit_price": 24.98}],
                  "item_count": 2, "subtotal": 84.97}
READ_BACK_ORDER = {"id": 1042, "total": 84.97, "lines": [{"name": "Trail Runner", "quantity": 1},
                                                        {"name": "Wool Socks", "quantity": 1}]}


def read_back(question: str) -> str:
    from agent.prompts import Prompts

    change = {"items": ["Trail Runner"], "money": ["$59.99 goes back to your Visa ending 4242"]}
    return Prompts().reply(f"{question}.confirm", cart=READ_BACK_CART, order=READ_BACK_ORDER, change=change)


@dataclass
class ModelRun:
    got: list[Label]
    asked: int
    seconds: list[float]  # per answer the model was asked about


async def classify_with_model(answers: list[ConfirmationAnswer], understander: Any) -> ModelRun:
    """The confirm step's decision per answer: the rules, and the model where the gate lets it say yes."""
    from agent.consent import decide_consent, default_rules
    from prompts import PROMPTS_DIR

    rules = default_rules(PROMPTS_DIR / "confirmation.yaml")
    questions = {q: read_back(q) for q in {a.question for a in answers}}
    run = ModelRun([], 0, [])
    for answer in answers:
        started = time.perf_counter()
        verdict = await decide_consent(answer.text, rules, answer.question, question_words(answer),
                                       lambda: understander.consent(questions[answer.question], answer.text))
        if verdict.asked:
            run.asked += 1
            run.seconds.append(time.perf_counter() - started)
        run.got.append("new_request" if verdict.decision == "other" else verdict.decision)
    return run


def model_understander(threads: int, adapter: Path | None) -> Any:
    """The embedded Gemma 3 270M with the committed adapter (or ``adapter``), in compact mode."""
    from agent.llm import DEFAULT_ADAPTER, ChatClient, EmbeddedTransport, bundled_model_path, embedded_engine
    from agent.prompts import Prompts
    from agent.understand import Understander, UnderstandOptions

    adapter = adapter or DEFAULT_ADAPTER
    model_path = bundled_model_path(ANSWERS.parents[2] / "var")
    engine = embedded_engine(model_path, threads=threads, context_tokens=2048, lora_path=adapter)
    client = ChatClient("http://embedded/v1", model_path.stem, transport=EmbeddedTransport(engine), embedded=True,
                        adapter=adapter, timeout_s=BENCH_TIMEOUT_S)
    return Understander(client, Prompts(), UnderstandOptions(mode="compact", explain=False))


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    –  "


def report(answers: list[ConfirmationAnswer], got: list[Label], show_errors: bool) -> None:
    by_label: dict[Label, Counter[Label]] = defaultdict(Counter)
    by_kind: dict[str, Counter[Label]] = defaultdict(Counter)
    for answer, answered in zip(answers, got):
        by_label[answer.label][answered] += 1
        by_kind[answer.kind][answered] += 1
    total = {label: sum(by_label[label].values()) for label in LABELS}
    print(f"{'label':<12}{'n':>5}" + "".join(f"{'→ ' + g:>15}" for g in LABELS))
    for label in LABELS:
        shares = "".join(f"{share(by_label[label][g], total[label]):>15}" for g in LABELS)
        print(f"{label:<12}{total[label]:>5}{shares}")
    wrongly_yes = sum(by_label[label]["yes"] for label in LABELS if label != "yes")
    print(f"\nnon-yes accepted as yes: {wrongly_yes} of {sum(total.values()) - total['yes']}")
    print(f"plain yes accepted: {share(by_label['yes']['yes'], total['yes']).strip()}")
    print(f"no recognised as no: {share(by_label['no']['no'], total['no']).strip()}")
    print(f"\n{'kind':<16}{'label':<12}{'n':>5}{'right':>10}{'as yes':>8}")
    for kind in sorted(by_kind, key=lambda kind: (LABELS.index(KIND_LABEL[kind]), kind)):
        counts, n = by_kind[kind], sum(by_kind[kind].values())
        print(f"{kind:<16}{KIND_LABEL[kind]:<12}{n:>5}{share(counts[KIND_LABEL[kind]], n):>10}{counts['yes']:>8}")
    if show_errors:
        print("\nerrors (label → answered; dev only: held-out errors stay unread):")
        for answer, answered in zip(answers, got):
            if answered != answer.label and answer.split == "dev":
                print(f"  [{answer.split}] {answer.question:<13}{answer.label:>11} → {answered:<12}{answer.text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="answers", help="answers.yaml (default), the "
                        "fresh held-out set or the third set (answers_third.yaml), both written later, blind to the rules")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all",
                        help="of answers.yaml or the third set")
    parser.add_argument("--show-errors", action="store_true", help="list the dev split's errors")
    parser.add_argument("--model", action="store_true", help="the rules and the gated embedded model, as the "
                        "confirm step runs them")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (--model)")
    parser.add_argument("--adapter", type=Path, help="LoRA adapter (--model; default: the committed one)")
    args = parser.parse_args()
    path = SETS[args.set]
    answers = [a for a in load_answers(path) if args.split in ("all", a.split) or args.set == "fresh"]
    print(f"{len(answers)} answers ({args.split if args.set != 'fresh' else 'fresh'}) from "
          f"{path.relative_to(ANSWERS.parents[2])}{', rules + gated model' if args.model else ''}\n")
    if not args.model:
        report(answers, classify_all(answers), args.show_errors)
        return
    run = asyncio.run(classify_with_model(answers, model_understander(args.threads, args.adapter)))
    report(answers, run.got, args.show_errors)
    rules = classify_all(answers)
    changed = sum(g != r for g, r in zip(run.got, rules))
    seconds = sorted(run.seconds)
    print(f"\nmodel asked about {run.asked} of {len(answers)} answers ({share(run.asked, len(answers)).strip()}); "
          f"it changed {changed} decisions")
    if seconds:
        print(f"model latency per answer asked: p50 {seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.2f} s "
              f"({args.threads} thread{'s' if args.threads > 1 else ''}, first call includes loading the model)")


if __name__ == "__main__":
    main()
