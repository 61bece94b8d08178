"""Understander in both modes, with scripted model doubles (no real model)."""

from __future__ import annotations

from pathlib import Path

from agent.llm import DEFAULT_ADAPTER, ChatClient, resolve_adapter
from agent.prompts import Prompts
from agent.understand import DEFAULT_FEW_SHOT, Understander, UnderstandOptions
from tests.agent.doubles import ScriptedCompletions
from tests.scripted_llm import ScriptedLLM

SHOWN = [{"id": "p7", "name": "Trailblaze Running Shoe", "brand": "Nordpeak", "price": 89.99, "colors": ["Blue"]},
         {"id": "p12", "name": "Q45 Headphones", "brand": "Sonari", "price": 120.0}]


def _compact(model: ScriptedCompletions, **options) -> Understander:
    client = ChatClient("http://llm/v1", "scripted", transport=model, embedded=True, adapter=Path("a.gguf"))
    return Understander(client, Prompts(), UnderstandOptions(mode="compact", **options))


async def test_compact_mode_sends_a_short_prompt_with_grammar_and_decodes() -> None:
    model = ScriptedCompletions(" add 2; color blue")
    understander = _compact(model)
    decision = await understander.choose([{"role": "user", "content": "Add the second one in blue!"}], SHOWN, None, [])
    assert decision.action is not None
    assert decision.action.model_dump(exclude_none=True) == {"action": "add_to_cart", "product_id": "p12",
                                                             "quantity": 1, "color": "Blue"}
    request = model.requests[0]
    assert request["path"].endswith("/completions") and not request["path"].endswith("/chat/completions")
    assert request["prompt"].endswith("2 Sonari Q45 Headphones\nuser: add the second one in blue\nA:")
    assert 'ref ::= "1" | "2"' in request["grammar"] and request["stop"] == ["\n"]
    assert request["structured_outputs"] == {"grammar": request["grammar"]}  # where vLLM reads the grammar
    assert request["temperature"] == 0


async def test_compact_output_that_is_not_an_action_gives_none() -> None:
    decision = await _compact(ScriptedCompletions(" get 9")).choose(
        [{"role": "user", "content": "the ninth"}], SHOWN, None, [])
    assert decision.action is None and decision.raw == " get 9"


async def test_compact_mode_lets_the_graph_speak_tool_results() -> None:
    model = ScriptedCompletions()
    decision = await _compact(model).choose([{"role": "user", "content": "hi"}], [], None, ["view_cart: done"])
    assert decision.action is not None and decision.action.action == "reply" and not model.requests


async def test_few_shot_examples_are_retrieved_into_the_prompt() -> None:
    from agent.compact.fewshot import FewShotIndex
    from agent.compact.prompt import Example
    from tests.agent.doubles import KeywordEncoder

    encoder = KeywordEncoder(["cart", "order", "track"])
    examples = [Example("show my cart", "cart"), Example("track my order", "status"), Example("hello", "reply hello")]
    index = FewShotIndex(examples, encoder.encode([e.utterance for e in examples]), encoder)
    model = ScriptedCompletions(" status")
    client = ChatClient("http://llm/v1", "scripted", transport=model, embedded=True)
    understander = Understander(client, Prompts(), UnderstandOptions(mode="compact", few_shot=1, explain=True),
                                few_shot_index=index)
    decision = await understander.choose([{"role": "user", "content": "track order 5"}], [], None, [])
    assert decision.action is not None and decision.action.action == "order_status"
    assert "user: track my order\nA: status\n" in model.requests[0]["prompt"]
    assert "setqty" in model.requests[0]["prompt"]  # explain: the codes are listed for an untuned model


async def test_instruct_mode_uses_chat_and_the_json_schema() -> None:
    model = ScriptedLLM({"action": "view_cart"})
    understander = Understander(ChatClient("http://llm/v1", "scripted", transport=model), Prompts())
    assert understander.options.mode == "instruct"
    decision = await understander.choose([{"role": "user", "content": "what's in my cart"}], SHOWN, None, [])
    assert decision.action is not None and decision.action.action == "view_cart"
    body = model.requests[0]
    assert body["response_format"]["type"] == "json_schema"
    assert "p12" in body["messages"][0]["content"]


def test_default_options_follow_the_engine() -> None:
    tuned = ChatClient("http://x/v1", "m", embedded=True, adapter=Path("a.gguf"))
    base = ChatClient("http://x/v1", "m", embedded=True)
    remote = ChatClient("http://x/v1", "m")
    assert UnderstandOptions.for_client(tuned) == UnderstandOptions("compact", 0, False)
    assert UnderstandOptions.for_client(base) == UnderstandOptions("compact", DEFAULT_FEW_SHOT, True)
    assert UnderstandOptions.for_client(remote).mode == "instruct"
    assert UnderstandOptions.for_client(remote, mode="compact", few_shot=2).few_shot == 2
    served_tuned = ChatClient("http://x/v1", "shop-lora", adapter=Path("a.gguf"))  # vLLM with the adapter
    assert UnderstandOptions.for_client(served_tuned) == UnderstandOptions("compact", 0, False)


def test_llm_finetuned_marks_the_server_model_as_the_tuned_one() -> None:
    from agent.config import LlmOptions
    from agent.llm import make_client
    from app.settings import load_settings

    tuned = make_client(LlmOptions(llm_base_url="http://vllm:8000/v1", llm_model="shop-lora", llm_finetuned=True),
                        Path("var"))
    plain = make_client(LlmOptions(llm_base_url="http://vllm:8000/v1"), Path("var"))
    assert not tuned.embedded and tuned.adapter == DEFAULT_ADAPTER and tuned.model == "shop-lora"
    assert plain.adapter is None
    for value, expected in (("1", True), ("0", False), ("", False)):
        assert load_settings({"LLM_FINETUNED": value}).llm.llm_finetuned is expected


def test_adapter_resolution() -> None:
    assert resolve_adapter(Path("none"), custom_model=False) is None
    assert resolve_adapter(Path("/x/my.gguf"), custom_model=True) == Path("/x/my.gguf")
    assert resolve_adapter(None, custom_model=True) is None  # trained for the bundled model only
    assert resolve_adapter(None, custom_model=False) == (DEFAULT_ADAPTER if DEFAULT_ADAPTER.is_file() else None)


def test_settings_choose_the_understand_mode_and_few_shot(monkeypatch, tmp_path: Path) -> None:
    import httpx
    import pytest

    from agent.assistant import Assistant
    from app.settings import load_settings

    def understander_options(**env: str) -> UnderstandOptions:
        for name in ("UNDERSTAND_MODE", "UNDERSTAND_FEW_SHOT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = load_settings(data_dir=tmp_path, llm_transport=ScriptedLLM())
        return Assistant(settings.llm, settings.agent, httpx.AsyncClient(),
                         data_dir=tmp_path).understander.options

    assert understander_options().mode == "instruct"  # a server (here a scripted one) gets the instruct mode
    chosen = understander_options(UNDERSTAND_MODE="compact", UNDERSTAND_FEW_SHOT="2")
    assert (chosen.mode, chosen.few_shot) == ("compact", 2)
    with pytest.raises(ValueError, match="UNDERSTAND_MODE"):
        understander_options(UNDERSTAND_MODE="chatty")
    with pytest.raises(ValueError, match="UNDERSTAND_FEW_SHOT"):
        understander_options(UNDERSTAND_FEW_SHOT="-1")
