"""Which variant of a shown product the customer picked, settled before anything goes to the cart.

"The blue one in large", "the 256 gig", "make it oat milk": the action's options and add-ons, plus any of
the product's values said in the customer's words that the model left out, are matched to the product
card's own values (:mod:`tools.variants`). A value the product does not have is never swapped for one it
has: it goes to the shop as said, the shop refuses it (its 422 lists the product's options), and the
customer is asked, hearing what the product does come in (:func:`refused_choice`). The action stays the
``add_to_cart`` the customer asked for, as the scenario contract expects.
"""

from __future__ import annotations

from typing import Any

from tools import Action, parse_action
from tools.variants import (SHORTHANDS, Unmatched, cart_arguments, choose, key, match_name, modifier_names,
                            modifiers_in, option_values, product_options, said_in, said_options)


def settle_variant(action: Action, shown: list[dict[str, Any]], utterance: str) -> Action:
    """``add_to_cart`` with the product's own option spellings; what the product lacks stays as said."""
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
    kept = {k: v for k, v in args.items() if k not in ("color", "size", "options", "modifiers")}
    arguments = cart_arguments(choice)
    for missing in choice.unmatched:  # as said, for the shop to refuse with what it has
        if missing.said in said_addons and missing.said not in said.values():
            arguments.setdefault("modifiers", []).append(missing.said)
        else:
            name = next(n for n, v in said.items() if v == missing.said)
            shorthand = next((s for s, spellings in SHORTHANDS.items() if key(missing.option or name) in spellings),
                             None)
            if shorthand:
                arguments[shorthand] = missing.said
            else:
                arguments.setdefault("options", {})[missing.option or name] = missing.said
    return parse_action({"action": "add_to_cart", **kept, **arguments})


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


def question_data(problem: Unmatched, product_name: str | None, *, sold_out: bool = False) -> dict[str, Any]:
    """What the ``add_to_cart.unavailable`` reply needs: the product, what was said, what it has, and whether
    what was said exists but is sold out (the shop's ``sold_out``), which is not "does not come in"."""
    return {"product": product_name or "It", "said": problem.said, "option": problem.option,
            "offered": list(problem.offered), "sold_out": sold_out}
