"""The task-data generator: deterministic, valid, varied, with templates kept out of training."""

from __future__ import annotations

from collections import Counter

from agent.compact.codec import Screen, decode
from agent.compact.prompt import spoken_form
from tools import TOOLS
from training.taskdata import INTENTS, TaskExample, generate, read_jsonl, templates_for, write_jsonl


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again, other = generate(60, "train", 3), generate(60, "train", 3), generate(60, "train", 4)
    assert [e.utterance for e in first] == [e.utterance for e in again]
    assert [e.utterance for e in first] != [e.utterance for e in other]


def test_heldout_templates_never_appear_in_training() -> None:
    train = {name for _, _, templates in templates_for("train") for name, _ in templates}
    heldout = {name for _, _, templates in templates_for("heldout") for name, _ in templates}
    assert heldout and not train & heldout
    assert len(heldout) >= sum(len(t) for _, _, t in INTENTS) // 6
    assert {e.template for e in generate(300, "heldout", 1)} <= heldout


def test_every_action_is_covered_and_every_target_decodes() -> None:
    examples = generate(1500, "train", 5)
    tools = Counter(e.action().action for e in examples)
    trained = set(TOOLS)  # the after-purchase actions too (issue 14)
    assert set(tools) == trained, f"missing: {trained - set(tools)}"
    for example in examples:  # the target refers to what is on the example's own screen
        decode(example.line, Screen(example.shown, example.cart_lines), spoken_form(example.utterance))


def test_spoken_style_and_context() -> None:
    examples = generate(1500, "train", 6)
    said = [e.utterance for e in examples]
    assert any(" car " in f" {s} " or " card " in f" {s} " for s in said), "no cart/car ASR confusion"
    assert any(s.split()[0] in {"um", "uh", "so", "okay", "hmm"} for s in said), "no fillers"
    assert any(w in s.split() for s in said for w in ("fifty", "hundred", "twenty", "thirty")), "no number words"
    refs = [e for e in examples if e.line.split()[0] in {"add", "get", "compare"}]
    assert refs and all(e.shown for e in refs)
    assert any(e.history and e.intent == "refine" for e in examples), "no multi-turn follow-ups"
    negatives = Counter(e.line.split()[0] for e in examples if e.line.split()[0] in {"reply", "clarify", "handoff"})
    assert set(negatives) == {"reply", "clarify", "handoff"}


def test_jsonl_round_trip(tmp_path) -> None:
    examples = generate(20, "heldout", 2)
    write_jsonl(examples, tmp_path / "x.jsonl")
    assert read_jsonl(tmp_path / "x.jsonl") == examples
    assert isinstance(read_jsonl(tmp_path / "x.jsonl")[0], TaskExample)


def test_the_committed_few_shot_pool_is_what_the_generator_makes() -> None:
    """Serving reads the pool from a file instead of running the generator; the file must not go stale."""
    from agent.compact.fewshot import read_pool
    from training.taskdata import fewshot_pool

    pool = read_pool()
    assert len(pool) > 1000 and len({e.utterance for e in pool}) == len(pool)
    assert pool == fewshot_pool(), "stale few-shot pool: run python -m training.taskdata --fewshot-pool"
