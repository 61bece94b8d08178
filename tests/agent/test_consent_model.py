"""The model's say on consent (issue 17): asked only where the rules allow, and only ever able to add a yes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.compact.consent_line import GRAMMAR
from agent.consent import Consent, decide_consent, default_rules, model_may_decide, read_answer
from agent.llm import ChatClient, LLMTimeout
from agent.prompts import PROMPTS_DIR, Prompts
from agent.understand import Understander, UnderstandOptions
from tests.agent.doubles import ScriptedCompletions
from tests.scripted_llm import ScriptedLLM

RULES = default_rules(PROMPTS_DIR / "confirmation.yaml")
QUESTION = "Place your order for 2 items: 1 × Trail Runner, $59.99; 1 × Wool Socks, $24.98, $84.97 in total?"


class ModelDouble:
    """Stands in for ``Understander.consent``: always says ``said`` (or raises ``fails``), and counts calls."""

    def __init__(self, said: Consent | None = "yes", fails: Exception | None = None) -> None:
        self.said, self.fails, self.calls = said, fails, 0

    async def __call__(self) -> Consent | None:
        self.calls += 1
        if self.fails is not None:
            raise self.fails
        return self.said


# Non-yes kinds the rules' own checks must keep from the model: a no, a hedge, a condition, a time shift, a
# question or a request is never a yes, whatever the model says. (Garbled, mixed, sarcastic or foreign words
# beside a yes can reach the model: there its own reading decides, measured by bench/confirmation.py --model.)
KEPT_FROM_THE_MODEL = {"plain_no", "negated_yes", "yes_then_no", "double_negative", "hedge", "question",
                       "condition", "time_shift", "new_request"}
JUDGED_BY_THE_MODEL = {"garbled", "mixed", "sarcasm", "other_language"}


async def test_a_model_that_always_says_yes_never_makes_a_hand_written_no_hedge_question_or_request_a_yes() -> None:
    from bench.confirmation import load_answers

    non_yes = [a for a in load_answers() if a.split == "dev" and a.label != "yes"]
    assert {a.kind for a in non_yes} >= KEPT_FROM_THE_MODEL and len(non_yes) > 50
    model = ModelDouble("yes")
    made_yes = []
    for answer in non_yes:
        verdict = await decide_consent(answer.text, RULES, answer.question, ["1042"], model)
        assert verdict.decision == "yes" or verdict.decision == verdict.rules
        if verdict.decision == "yes":
            made_yes.append(answer.kind)  # the kind only: the sentences stay unread
    assert not set(made_yes) & KEPT_FROM_THE_MODEL, made_yes
    assert set(made_yes) <= JUDGED_BY_THE_MODEL and len(made_yes) <= 2, made_yes
    assert model.calls == len(made_yes)


@pytest.mark.parametrize("text", [
    "no", "nope not today", "never", "yes no", "yeah right", "maybe later", "yes if it is cheaper", "tomorrow",
    "yes?", "is it the blue one", "yes and add a hat", "show me hats", "yes abrot", "yes cancle it", "cancel",
    "yes 1043", "yes but wait", "thanks", "yes my sister reckons these look rad so go", "um", "",
    "gracias amigo", "blorp",  # no yes in words the rules know: the model does not make one out of nothing
])
async def test_no_hedge_question_request_number_or_near_miss_is_ever_a_yes(text: str) -> None:
    model = ModelDouble("yes")
    verdict = await decide_consent(text, RULES, "checkout", ["1042"], model)
    assert verdict.decision == verdict.rules != "yes"
    assert not verdict.asked and model.calls == 0


async def test_the_model_can_make_a_short_unknown_words_answer_a_yes() -> None:
    for text in ("yeah lets roll", "sure thing chief", "okay go nuts"):
        reading = read_answer(text, RULES, "checkout")
        assert reading.decision == "other" and model_may_decide(reading, RULES, "checkout"), text
        verdict = await decide_consent(text, RULES, "checkout", [], ModelDouble("yes"))
        assert (verdict.decision, verdict.rules, verdict.asked, verdict.model) == ("yes", "other", True, "yes")


async def test_anything_but_the_model_s_yes_leaves_the_rules_decision() -> None:
    for said in ("no", "unclear", "other", None):
        verdict = await decide_consent("yeah lets roll", RULES, "checkout", [], ModelDouble(said))
        assert verdict.asked and verdict.decision == "other"
    failed = await decide_consent("yeah lets roll", RULES, "checkout", [], ModelDouble(fails=LLMTimeout("slow")))
    assert failed.asked and failed.decision == "other" and failed.model is None


async def test_answers_the_rules_place_never_reach_the_model() -> None:
    model = ModelDouble("no")
    assert (await decide_consent("yes please", RULES, "checkout", [], model)).decision == "yes"
    assert (await decide_consent("no thanks", RULES, "checkout", [], model)).decision == "no"
    assert model.calls == 0


def test_a_long_answer_stays_with_the_rules() -> None:
    long = "yes lets roll with it because my brother told me these are nice"
    assert not model_may_decide(read_answer(long, RULES, "checkout"), RULES, "checkout")


async def test_compact_mode_asks_under_the_consent_grammar_with_the_question_as_the_bot_s_message() -> None:
    model = ScriptedCompletions(" consent yes")
    client = ChatClient("http://llm/v1", "scripted", transport=model, embedded=True, adapter=Path("a.gguf"))
    understander = Understander(client, Prompts(), UnderstandOptions(mode="compact"))
    assert await understander.consent(QUESTION, "Yeah, lets roll!") == "yes"
    request = model.requests[0]
    assert request["grammar"] == GRAMMAR and request["stop"] == ["\n"]
    assert request["prompt"].endswith("bot: Place your order for 2 items: 1 ×\nuser: yeah lets roll\nA:")
    model.queue.append(" get 2")  # a server that ignored the grammar
    assert await understander.consent(QUESTION, "yeah lets roll") is None


async def test_instruct_mode_asks_for_one_word_under_a_json_enum() -> None:
    model = ScriptedLLM({"consent": "yes"}, {"consent": "maybe"})
    understander = Understander(ChatClient("http://llm/v1", "scripted", transport=model), Prompts())
    assert await understander.consent(QUESTION, "yeah lets roll") == "yes"
    body = model.requests[0]
    assert body["response_format"]["json_schema"]["schema"]["properties"]["consent"]["enum"] == [
        "yes", "no", "unclear", "other"]
    assert QUESTION in body["messages"][0]["content"] and body["messages"][-1]["content"] == "yeah lets roll"
    assert await understander.consent(QUESTION, "yeah lets roll") is None  # not one of the four words


# ── through the real server, graph and shop (ScriptedLLM, a test double, is the model) ──────────────────

async def asked_to_check_out(client, scripted_llm: ScriptedLLM) -> tuple[int, dict]:
    """A product in the cart and the checkout read-back asked: the orders so far, and the asking reply."""
    from tests.agent.test_graph import order_count, put_a_product_in_the_cart, say

    await put_a_product_in_the_cart(client)
    before = await order_count(client)
    scripted_llm.script({"action": "checkout"})
    return before, await say(client, "check out")

async def test_the_model_s_yes_to_words_the_rules_do_not_know_places_the_order_once(settings, scripted_llm) -> None:
    from tests.agent.test_graph import order_count, say
    from tests.conftest import running_app

    async with running_app(settings.replace(consent_model=True)) as client:
        before, asked = await asked_to_check_out(client, scripted_llm)
        scripted_llm.script({"consent": "yes"})
        done = await say(client, "yeah lets roll", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done" and done["pending_confirmation"] is None
        assert await order_count(client) == before + 1
        question = scripted_llm.requests[-1]["messages"][0]["content"]
        assert asked["pending_confirmation"]["prompt"] in question  # the read-back the customer heard


async def test_the_model_is_never_asked_about_a_hedge_and_its_failure_leaves_the_rules(settings, scripted_llm) -> None:
    import httpx

    from tests.agent.test_graph import order_count, say
    from tests.conftest import running_app

    async with running_app(settings.replace(consent_model=True)) as client:
        before, asked = await asked_to_check_out(client, scripted_llm)
        requests = len(scripted_llm.requests)
        scripted_llm.script({"consent": "yes"})
        for hedge in ("yes if it ships today", "yeah lets roll tomorrow", "sure, is that the blue one"):
            again = await say(client, hedge, asked["conversation_id"])
            assert again["pending_confirmation"] is not None and again["confirmed"] is None, hedge
        assert len(scripted_llm.requests) == requests, "the model was asked about a hedge"
        scripted_llm.fail_with = httpx.ConnectError("model server down")
        failed = await say(client, "yeah lets roll", asked["conversation_id"])
        assert failed["confirmed"] is None  # the rules' "other": answered as a new request, which fails too
        assert await order_count(client) == before


async def test_without_consent_model_the_rules_alone_decide(settings, scripted_llm) -> None:
    from tests.agent.test_graph import order_count, say
    from tests.conftest import running_app

    assert not settings.agent.consent_model  # off by default until the adapter is trained on consent lines
    async with running_app(settings) as client:
        before, asked = await asked_to_check_out(client, scripted_llm)
        scripted_llm.script({"consent": "yes"})  # would be a yes, were the model asked
        answered = await say(client, "yeah lets roll", asked["conversation_id"])
        assert answered["confirmed"] is None and await order_count(client) == before
        assert not any("consent" in str(r.get("response_format", "")) for r in scripted_llm.requests)
