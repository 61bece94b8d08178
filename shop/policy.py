"""The after-purchase policy (``shop/policy.yaml``): loaded once, enforced by the shop API, quoted in its errors.

The file is the one source of truth for the return and exchange windows, the refund timing, the cancel
reasons and which order states allow which change; :class:`Policy` checks it when it loads (a state that does
not exist or a placeholder that is not a value is an error at start-up, not a wrong answer later).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shop.models import OrderStatus

POLICY_PATH = Path(__file__).resolve().parent / "policy.yaml"

PolicyAction = Literal["cancel", "change_address", "change_payment", "modify_items", "return", "exchange"]
# How a refusal names what was asked ("..., not returned").
ASKED = {"cancel": "cancelled", "change_address": "sent to another address", "change_payment": "paid another way",
         "modify_items": "changed", "return": "returned", "exchange": "exchanged"}


class PolicyError(ValueError):
    """``policy.yaml`` cannot be used; the message says what is wrong."""


class ActionRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    states: Annotated[list[OrderStatus], Field(min_length=1)]
    rule: Annotated[str, Field(min_length=3)]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_window_days: Annotated[int, Field(ge=0, le=3650)]
    exchange_window_days: Annotated[int, Field(ge=0, le=3650)]
    return_shipping: Annotated[str, Field(min_length=1)]
    refund_business_days: Annotated[str, Field(pattern=r"^\d+( to \d+)?$")]
    cancel_reasons: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    actions: dict[PolicyAction, ActionRule]

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = set(ASKED) - set(self.actions)
        if missing:
            raise ValueError(f"actions lacks {', '.join(sorted(missing))}")
        for name in self.actions:
            self.rule(name)  # every placeholder names a value
        return self

    def rule(self, action: PolicyAction) -> str:
        """The action's rule as the customer hears it, placeholders filled in."""
        values = {"return_window_days": self.return_window_days, "exchange_window_days": self.exchange_window_days,
                  "return_shipping": self.return_shipping, "refund_business_days": self.refund_business_days,
                  "cancel_reasons": " or ".join(f'"{reason}"' for reason in self.cancel_reasons)}
        text = " ".join(self.actions[action].rule.split())
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"the {action} rule has an unknown placeholder: {error}") from error

    def allows(self, action: PolicyAction, status: OrderStatus) -> bool:
        return status in self.actions[action].states

    def allowed_in(self, status: OrderStatus) -> list[PolicyAction]:
        return [name for name, rule in self.actions.items() if status in rule.states]

    def refund_days(self) -> int:
        """The last business day a card or PayPal refund may take (the "7" of "5 to 7")."""
        return int(self.refund_business_days.split()[-1])

    def refund_due(self, start: datetime) -> date:
        """When a refund to a card or PayPal started at ``start`` arrives at the latest (business days)."""
        day, left = start.date(), self.refund_days()
        while left:
            day += timedelta(days=1)
            left -= day.weekday() < 5
        return day


POLICY_REFERENCE = re.compile(r"\{policy\.(\w+)\}")


def quote_rules(text: str, policy: Policy) -> str:
    """``text`` with each ``{policy.<action>}`` replaced by that action's rule (help-center answers quote them)."""
    def rule(match: re.Match[str]) -> str:
        if match.group(1) not in policy.actions:
            raise PolicyError(f"{match.group(0)} names no action of the policy ({', '.join(policy.actions)})")
        return policy.rule(match.group(1))  # type: ignore[arg-type]

    return POLICY_REFERENCE.sub(rule, text)


def load_policy(path: Path = POLICY_PATH) -> Policy:
    try:
        return Policy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise PolicyError(f"{path.name}: {error}") from error


@cache
def default_policy() -> Policy:
    return load_policy()
