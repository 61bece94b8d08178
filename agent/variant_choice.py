"""Which variant of a shown product the customer picked, settled before anything goes to the cart.

"The blue one in large", "the 256 gig", "make it oat milk": the action's options and add-ons, plus any of
the product's values said in the customer's words that the model left out, are matched to the product
card's own values (:mod:`tools.variants`). A value the product does not have is never swapped for one it
has: the customer is asked, hearing what it does come in. The same question follows when the shop refuses
a value (its 422 lists the product's options).
"""

from __future__ import annotations

from typing import Any

from tools import Action, parse_action
from tools.variants import (Unmatched, cart_arguments, choose, match_name, modifier_names, modifiers_in,
                            option_values, product_options, said_in, said_options)


def settle_variant(action: Action, shown: list[dict[str, Any]], utterance: str) -> Action | Unmatched:
    """``add_to_cart`` with the product's own option spellings, or what the product lacks."""
    if action.action != "add_to_cart":
        return action
    args = action.args()
    card = next((p for p in shown if p.get("id") == args["product_id"]), None)
    options = product_options(card or {})
    addons = modifier_names((card or {}).get("modifiers"))
    if not options and not addons:
        return action  # nothing known to match against: the shop answers for itself
    said = said_options(args)
    for name, value in said_in(utterance, options).items():  # the model may have left a said value out
        if not any(match_name(given, [name]) for given in said):
            said[name] = value
    said_addons = list(args.get("modifiers") or [])
    said_addons += [a for a in modifiers_in(utterance, addons) if a not in said_addons]
    choice = choose(said, said_addons, options, addons)
    if choice.unmatched:
        return choice.unmatched[0]
    kept = {k: v for k, v in args.items() if k not in ("color", "size", "options", "modifiers")}
    return parse_action({"action": "add_to_cart", **kept, **cart_arguments(choice)})


def refused_choice(outcome: dict[str, Any], action: dict[str, Any] | None) -> Unmatched | None:
    """What the shop's refusal of an add says the product lacks, with what it has (None: another failure).

    ``action``: the add's arguments, when known (what the customer asked for)."""
    body = outcome.get("body") or {}
    offered = option_values(body.get("options"))
    if outcome.get("tool") != "add_to_cart" or outcome.get("status") != 422 or not offered:
        return None
    action = action or {}
    addons = modifier_names(body.get("modifiers"))
    choice = choose(said_options(action), action.get("modifiers") or [], offered, addons)
    if choice.unmatched:
        return choice.unmatched[0]
    # Every value is the product's, yet no variant has them all (or an option is missing): list them all.
    return Unmatched(said=", ".join(said_options(action).values()), option=None,
                     offered=tuple(f"{name}: {', '.join(values)}" for name, values in offered.items()))


def question_data(problem: Unmatched, product_name: str | None) -> dict[str, Any]:
    """What the ``add_to_cart.unavailable`` reply needs: the product, what was said, what it has."""
    return {"product": product_name or "It", "said": problem.said, "option": problem.option,
            "offered": list(problem.offered)}
