"""Loading scenario files: the contract's example loads; every mistake is reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.matchers import Approx, Contains, Ref
from evals.scenario import Problem, ScenarioError, load_suites

CONTRACT_EXAMPLE = '''\
id: headphones-then-add-second          # unique within the suite
description: search with a price cap, then add by position
user: demo
tags: [search, cart, multi-turn]
turns:
  - say: "find me wireless headphones under fifty dollars"
    expect:
      actions:
        - tool: search_products
          args: {query: {contains: headphone}, max_price: {approx: 50}}
      reply_contains_any: ["headphone"]
  - speak: "add the second one to my cart"
    expect:
      actions:
        - tool: add_to_cart
          args: {product_id: {ref: "results[1]"}, quantity: {approx: 1}}
  - audio: clips/confirm.wav
    expect:
      actions: []
      reply_excludes: ["error"]
final:
  cart:
    - {name: {contains: headphone}, quantity: 1}
  cart_size: 1
  orders_placed: 0
'''


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(directory: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as error:
        load_suites([directory])
    return error.value.problems


def test_the_contract_example_loads(tmp_path: Path) -> None:
    write(tmp_path, "clips/confirm.wav", "RIFF")
    write(tmp_path, "example.yaml", CONTRACT_EXAMPLE)
    [scenario] = load_suites([tmp_path])
    assert scenario.id == "headphones-then-add-second"
    assert [t.kind for t in scenario.turns] == ["say", "speak", "audio"]
    search = scenario.turns[0].expect.actions[0]
    assert search.tool == "search_products"
    assert search.args == {"query": Contains("headphone"), "max_price": Approx(50.0)}
    assert scenario.turns[1].expect.actions[0].args["product_id"] == Ref("results", 1)
    assert scenario.turns[2].audio == tmp_path / "clips" / "confirm.wav", "audio paths are relative to the file"
    assert scenario.turns[2].expect.actions == []
    assert scenario.final is not None and scenario.final.cart_size == 1
    assert scenario.source.file.endswith("example.yaml") and scenario.source.line == 1


def test_several_scenarios_per_file_as_yaml_documents(tmp_path: Path) -> None:
    write(tmp_path, "two.yaml", "id: a\nturns: [{say: hi}]\n---\nid: b\nturns: [{say: hello}]\n")
    scenarios = load_suites([tmp_path])
    assert [(s.id, s.source.line) for s in scenarios] == [("a", 1), ("b", 4)]


def test_a_typo_in_an_argument_is_located_and_explained(tmp_path: Path) -> None:
    text = CONTRACT_EXAMPLE.replace("max_price:", "max_prize:").replace("audio: clips/confirm.wav", "say: ok")
    path = write(tmp_path, "typo.yaml", text)
    [problem] = problems_of(tmp_path)
    assert problem.file.endswith("typo.yaml") and Path(problem.file).name == path.name
    assert problem.line == 10
    assert problem.field == "turns[0].expect.actions[0].args.max_prize"
    assert "unknown argument 'max_prize' of search_products" in problem.message
    assert "did you mean 'max_price'" in problem.message
    assert "min_price" in problem.message, "the message lists the allowed arguments"
    assert str(problem).startswith(f"{problem.file}:10:")


@pytest.mark.parametrize("bad_line, good_line, field, line, words", [
    ("- tool: add_to_cart", "- tool: add_to_kart", "turns[1].expect.actions[0].tool", 15,
     "unknown action 'add_to_kart' (did you mean 'add_to_cart'?)"),
    ('{ref: "results[1]"}', '{ref: "result[1]"}', "turns[1].expect.actions[0].args.product_id", 16,
     'expected "results[i]" or "cart[i]"'),
    ("cart_size: 1", "cart_size: one", "final.cart_size", 24, "as an integer, got 'one'"),
    ('reply_excludes: ["error"]', "reply_excludes: error", "turns[2].expect.reply_excludes", 20,
     "valid list, got 'error'"),
    ("{name: {contains: headphone}, quantity: 1}", "{name: {contains: headphone}, qty: 1}", "final.cart[0].qty",
     23, "unknown field 'qty'"),
    ("  - speak:", "  - spaek:", "turns[1].spaek", 12, "unknown field 'spaek' (did you mean 'speak'?)"),
    ("        - tool: search_products", "        - tool: reply", "turns[0].expect.actions[0].tool", 9,
     "actions: []"),
])
def test_each_kind_of_mistake_is_located(tmp_path: Path, bad_line: str, good_line: str, field: str, line: int,
                                         words: str) -> None:
    text = CONTRACT_EXAMPLE.replace("audio: clips/confirm.wav", "say: ok")
    assert bad_line in text
    write(tmp_path, "broken.yaml", text.replace(bad_line, good_line, 1))
    problems = problems_of(tmp_path)
    assert [p.field for p in problems] == [field], problems
    assert problems[0].line == line, str(problems[0])
    assert words in problems[0].message


def test_a_turn_needs_exactly_one_input(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", "id: x\nturns:\n  - say: hi\n    speak: hi\n  - expect: {actions: []}\n")
    problems = problems_of(tmp_path)
    assert [(p.field, p.line) for p in problems] == [("turns[0]", 3), ("turns[1]", 5)]
    assert "exactly one of say / speak / audio" in problems[0].message and "got say, speak" in problems[0].message


def test_missing_fields_and_missing_audio(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", "description: no id\nturns:\n  - audio: nowhere.wav\n")
    problems = problems_of(tmp_path)
    by_field = {p.field: p for p in problems}
    assert by_field["id"].message == "missing required field" and by_field["id"].line == 1
    assert "audio file not found" in by_field["turns[0].audio"].message and by_field["turns[0].audio"].line == 3


def test_yaml_syntax_errors_are_located(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", "id: x\nturns:\n  - say: [unclosed\n")
    [problem] = problems_of(tmp_path)
    assert problem.line >= 3 and "not valid YAML" in problem.message


def test_duplicate_keys_and_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: same\nturns: [{say: hi}]\n")
    write(tmp_path, "b.yaml", "id: same\nturns: [{say: hi}]\nturns: [{say: again}]\n")
    problems = problems_of(tmp_path)
    messages = sorted((Path(p.file).name, p.line, p.message) for p in problems)
    assert ("b.yaml", 3, "key given twice") in messages
    assert any(name == "b.yaml" and "duplicate scenario id 'same'" in msg and "a.yaml:1" in msg
               for name, _, msg in messages)


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", "id: one\nturns: []\n")
    write(tmp_path, "nested/two.yaml", "id: two\nturns: [{say: hi, expect: {reply_contains: [x]}}]\n")
    problems = problems_of(tmp_path)
    assert sorted(Path(p.file).name for p in problems) == ["one.yaml", "two.yaml"]
    assert "2 problems" in str(ScenarioError(problems))


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_suites([tmp_path / "nope"])
    with pytest.raises(ScenarioError, match="no .yaml files"):
        load_suites([tmp_path])


AFTER_PURCHASE = '''\
id: return-the-shoes
turns:
  - say: "return the running shoes"
    expect:
      actions:
        - tool: return_items
          args: {items: [{name: {contains: running shoe}}]}
  - say: "yes"
final:
  orders:
    - {id: "4", status: return requested, lines: [{name: {contains: shoe}, returned_quantity: 1}]}
  refunds:
    - {order_id: "4", amount: {approx: 68.99}, to: Visa ending 4242}
  refunds_made: 1
'''


def test_items_and_order_state_load_and_their_typos_are_located(tmp_path: Path) -> None:
    write(tmp_path, "ok.yaml", AFTER_PURCHASE)
    [scenario] = load_suites([tmp_path])
    assert scenario.final is not None and scenario.final.refunds_made == 1
    assert scenario.final.orders is not None and scenario.final.orders[0].lines is not None
    bad = tmp_path / "bad"
    write(bad, "typo.yaml", AFTER_PURCHASE.replace("[{name: {contains: running", "[{nam: {contains: running")
          .replace("returned_quantity:", "returned:").replace("refunds_made: 1", "refunds_made: one"))
    problems = problems_of(bad)
    assert [p.field for p in problems] == ["turns[0].expect.actions[0].args.items[0].nam",
                                           "final.orders[0].lines[0].returned", "final.refunds_made"], problems
    assert "unknown field 'nam' of an item of return_items.items (did you mean 'name'?)" in problems[0].message
    assert problems[0].line == 7
    flat = tmp_path / "flat"
    write(flat, "flat.yaml", AFTER_PURCHASE.replace("{items: [{name: {contains: running shoe}}]}",
                                                    "{order_id: {name: x}}"))
    [problem] = problems_of(flat)
    assert "return_items.order_id holds no objects" in problem.message
