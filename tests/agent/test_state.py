"""The state's reducers and its checkpoint format."""

from __future__ import annotations

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from agent.assistant import CHECKPOINT_SERDE
from agent.state import ActionRecord, TurnUpdate, add_to_turn, new_turn


def test_a_turn_update_appends_adds_up_and_replaces() -> None:
    search = ActionRecord(tool="search_products", args={"query": "tent"})
    turn = add_to_turn(new_turn("a tent"), TurnUpdate(timings={"llm": 0.5}))
    turn = add_to_turn(turn, TurnUpdate(steps=1, actions=[search], outcomes=[{"tool": "search_products"}],
                                        timings={"tools": 0.25}, shown=[{"id": "p1"}]))
    turn = add_to_turn(turn, TurnUpdate(steps=1, actions=[ActionRecord(tool="view_cart")], shown=[{"id": "p2"}],
                                        timings={"llm": 0.5}))
    assert turn["text"] == "a tent" and turn["steps"] == 2
    assert [a.tool for a in turn["actions"]] == ["search_products", "view_cart"]
    assert turn["timings"] == {"llm": 1.0, "tools": 0.25}
    assert turn["shown"] == [{"id": "p2"}]  # replaced, not appended


def test_an_update_with_text_starts_a_new_turn() -> None:
    old = add_to_turn(new_turn("first"), TurnUpdate(steps=3, actions=[ActionRecord(tool="view_cart")]))
    confirmed = ActionRecord(tool="checkout", status="cancelled")
    turn = add_to_turn(old, {**new_turn("no thanks"), "confirmed": confirmed})
    assert turn["text"] == "no thanks" and turn["steps"] == 0 and turn["actions"] == []
    assert turn["confirmed"] == confirmed


def test_checkpoints_rebuild_action_records() -> None:
    state = {"turn": {**new_turn("hi"), "actions": [ActionRecord(tool="search_products", args={"query": "x"})]}}
    restored = CHECKPOINT_SERDE.loads_typed(CHECKPOINT_SERDE.dumps_typed(state))
    assert restored == state and isinstance(restored["turn"]["actions"][0], ActionRecord)
    # Without the allowlist a strict serializer refuses the class: the allowlist is what lets it through.
    strict = JsonPlusSerializer(allowed_msgpack_modules=None)
    refused = strict.loads_typed(strict.dumps_typed(state))
    assert not isinstance(refused["turn"]["actions"][0], ActionRecord)
