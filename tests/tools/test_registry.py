"""The registry is the one source of truth: contract names, schema, validation, generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import TOOLS, parse_action
from tools.base import action_schema
from tools.docs import actions_markdown

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT.parent / "shared" / "specs" / "scenario-format.md"


def contract_actions() -> list[str]:
    if not CONTRACT.exists():
        pytest.skip(f"contract not found at {CONTRACT}")
    table = CONTRACT.read_text().split("## Agent actions")[1].split("Money is")[0]
    return re.findall(r"^\| `(\w+)` \|", table, flags=re.M)


# Issue 14 extends the contract (nothing renamed): these follow its actions until the shared page lists them.
CONTRACT_EXTENSION = ["return_items", "exchange_items", "modify_order_items", "change_order_address",
                      "change_default_address", "change_order_payment", "refund_status"]


def test_registry_matches_the_contract_in_order() -> None:
    contract = contract_actions()
    assert list(TOOLS) == contract + [name for name in CONTRACT_EXTENSION if name not in contract]


def test_decoding_schema_is_a_union_over_every_action() -> None:
    schema = action_schema()
    names = {variant["properties"]["action"]["const"] for variant in schema["$defs"].values()
             if "action" in variant.get("properties", {})}
    assert names == set(TOOLS)
    assert schema["discriminator"]["propertyName"] == "action"


@pytest.mark.parametrize("payload,problem", [
    ({"action": "add_to_cart"}, "product_id"),
    ({"action": "add_to_cart", "product_id": "p1", "quantity": 0}, "quantity"),
    ({"action": "compare_products", "product_ids": ["p1"]}, "product_ids"),
    ({"action": "search_products", "query": "x", "max_price": -5}, "max_price"),
    ({"action": "search_products", "query": "x", "sort": "cheapest"}, "sort"),
    ({"action": "fly_to_moon"}, "action"),
    ({"action": "view_cart", "surprise": 1}, "surprise"),
    ('{"action": "view_cart"', "json"),
])
def test_invalid_arguments_are_rejected_with_the_field(payload: object, problem: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_action(payload)  # type: ignore[arg-type]
    assert problem in str(error.value).lower()


def test_valid_action_fills_defaults() -> None:
    action = parse_action('{"action": "add_to_cart", "product_id": "p12"}')
    assert action.args() == {"product_id": "p12", "quantity": 1}


def test_committed_action_docs_are_current() -> None:
    committed = (ROOT / "docs" / "actions.md").read_text()
    assert committed.strip() == actions_markdown().strip(), "run: python -m tools.docs > docs/actions.md"
