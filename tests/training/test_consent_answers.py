"""The consent task data (issue 17): labelled answers to the read-backs the assistant really asks."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from agent.compact.consent_line import GRAMMAR, parse_consent_line
from agent.compact.prompt import render
from agent.consent import default_rules, read_answer
from agent.llm import ChatClient
from agent.prompts import PROMPTS_DIR, Prompts
from agent.understand import Understander, UnderstandOptions
from tests.agent.doubles import ScriptedCompletions
from training.consent_answers import CONSENT_INTENTS, check_target, is_consent
from training.taskdata import HELD_OUT_EVERY, TaskExample, World

READ_BACKS = ("Place your order for", "Cancel order", "Return", "Exchange", "Change", "Send order", "Pay order")


def examples(count: int = 1500, seed: int = 3) -> list[TaskExample]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        intent, _, templates = rng.choices(CONSENT_INTENTS, [w for _, w, _ in CONSENT_INTENTS])[0]
        index = rng.randrange(len(templates))
        world = World(random.Random(rng.random()))
        utterance, line = templates[index](world)
        made.append(world.example(utterance, line, intent, f"{intent}.{index}"))
    return made


EXAMPLES = examples()


def test_every_label_is_made_and_each_intent_makes_only_its_own() -> None:
    labels = Counter(parse_consent_line(e.line) for e in EXAMPLES)
    assert set(labels) == {"yes", "no", "unclear", "other"} and labels["yes"] == max(labels.values())
    for example in EXAMPLES:
        assert example.intent == f"consent-{parse_consent_line(example.line)}"
        check_target(example)  # a consent line is a valid target without decoding as an action


def test_every_target_is_a_line_the_consent_grammar_allows() -> None:
    allowed = {f" consent {word}\n" for word in re.findall(r'"(\w+)"', GRAMMAR.split("(", 1)[1])}
    assert len(allowed) == 4
    assert all(f" {e.line}\n" in allowed for e in EXAMPLES)
    assert not is_consent("checkout") and not is_consent("consent maybe")


def test_the_history_is_one_real_read_back_and_the_screen_is_empty() -> None:
    tools = Counter()
    for example in EXAMPLES:
        [asked] = example.history
        assert asked["role"] == "assistant" and asked["content"].startswith(READ_BACKS), asked
        assert "Say yes to confirm" in asked["content"]
        assert example.shown == [] and example.cart_lines == [] and example.utterance.strip()
        tools[asked["content"].split()[0]] += 1
    assert len(tools) == 7 and tools["Place"] == max(tools.values())


def test_a_training_example_renders_as_the_live_consent_prompt() -> None:
    model = ScriptedCompletions(*[" consent yes"] * 5)
    client = ChatClient("http://llm/v1", "scripted", transport=model, embedded=True, adapter=Path("a.gguf"))
    understander = Understander(client, Prompts(), UnderstandOptions(mode="compact"))
    import asyncio

    for example in EXAMPLES[:5]:
        asyncio.run(understander.consent(example.history[0]["content"], example.utterance))
        assert model.requests[-1]["prompt"] == render(example.prompt_input(), explain=False)


def test_many_voices_and_yes_words_that_do_not_make_a_yes() -> None:
    said = {e.utterance for e in EXAMPLES}
    assert len(said) > len(EXAMPLES) * 0.6, "too few distinct answers"
    rules = default_rules(PROMPTS_DIR / "confirmation.yaml")
    by_label = Counter((parse_consent_line(e.line), read_answer(e.utterance, rules, None).decision)
                       for e in EXAMPLES)
    assert by_label[("yes", "other")] > 50, "few yeses in words the rules do not know: nothing for the model to learn"
    assert by_label[("unclear", "other")] + by_label[("other", "other")] > 50
    assert any(u != u.lower() for u in said) and any(not u.isascii() for u in said)


def test_templates_are_split_for_held_out_wordings() -> None:
    assert all(len(templates) >= HELD_OUT_EVERY for _, _, templates in CONSENT_INTENTS)
