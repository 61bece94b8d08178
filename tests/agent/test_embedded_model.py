"""The real embedded model with the committed adapter, as the default configuration loads it (slow, ~30 s)."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.settings import load_settings
from agent.llm import DEFAULT_ADAPTER, make_client
from agent.prompts import Prompts
from agent.understand import Understander

pytestmark = pytest.mark.slow

SHOWN = [{"id": "p41", "name": "Q45 Wireless Over-Ear Headphones", "brand": "Sonari", "price": 179.99},
         {"id": "p42", "name": "Flow True Wireless Earbuds", "brand": "Auralis", "price": 59.99}]


async def test_default_configuration_applies_the_committed_adapter_and_picks_valid_actions(tmp_path) -> None:
    assert DEFAULT_ADAPTER.is_file(), "the committed adapter is missing: run python -m training.train"
    settings = load_settings(data_dir=tmp_path, llm_threads=2, model_path=None)
    client = make_client(settings.llm, tmp_path)
    assert client.embedded and client.adapter == DEFAULT_ADAPTER
    understander = Understander(client, Prompts())
    assert understander.options.mode == "compact" and not understander.options.explain
    turns = [("what's in my cart", []), ("add the second one to my cart", SHOWN),
             ("show me running shoes under fifty dollars", [])]
    chosen = []
    for text, shown in turns:
        decision = await understander.choose([{"role": "user", "content": text}], shown, None, [])
        assert decision.action is not None, f"invalid output {decision.raw!r} for {text!r}"
        chosen.append(decision.action.action)
    # Validity is guaranteed by the grammar; the right tool only where the adapter is reliable today
    # (search: 98 % tool accuracy on the dev set, see docs/understanding.md).
    assert chosen[2] == "search_products", chosen
    await client.aclose()


async def test_two_conversations_at_once_are_batched_and_get_the_answers_they_get_alone(tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path, llm_threads=2, llm_slots=2, llm_timeout_s=60)
    client = make_client(settings.llm, tmp_path)
    engine = client.http._transport.engine
    assert engine.slots == 2
    understander = Understander(client, Prompts())
    conversations = [([{"role": "user", "content": "show me running shoes under fifty dollars"}], []),
                     ([{"role": "user", "content": "add the second one to my cart"}], SHOWN)]
    alone = [await understander.choose(history, shown, None, []) for history, shown in conversations]

    # When each token of each request arrives: batched requests advance together, queued ones one after the other.
    token_times: list[list[float]] = []
    compute = engine.complete

    def timed_complete(chat, body, progress=None, abandoned=None):
        times: list[float] = []
        token_times.append(times)

        def beat() -> None:
            times.append(time.perf_counter())
            progress()

        return compute(chat, body, beat, abandoned)

    engine.complete = timed_complete
    together = await asyncio.gather(*(understander.choose(history, shown, None, [])
                                      for history, shown in conversations))
    assert [decision.action for decision in together] == [decision.action for decision in alone]
    assert together[0].action.action == "search_products"

    token_times.clear()
    texts = await asyncio.gather(*(client.complete_raw(prompt, max_tokens=24)
                                   for prompt in ("Once upon a time", "The best running shoes are")))
    assert all(text.completion_tokens == 24 and text.content for text in texts)
    first, second = token_times
    assert second[1] < first[-1] and first[1] < second[-1], "the two completions were not computed together"
    await client.aclose()
