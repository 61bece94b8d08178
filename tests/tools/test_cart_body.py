"""The cart item has one shape: the ``add_to_cart`` action's arguments are the shop API's ``POST /cart/items``
body, which the app's ``/api/cart/items`` forwards as the shop declares it.

Tools may not import the shop (they reach it only over HTTP), so the two models meet here.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shop.schemas import AddToCart as CartItemBody
from tools.cart import AddToCart


# The one body field the model never chooses: a variant's id is the widget's; the model names options.
WIDGET_ONLY = {"variant_id"}


def test_the_action_arguments_are_the_body_fields() -> None:
    assert set(AddToCart.model_fields) - {"action"} == set(CartItemBody.model_fields) - WIDGET_ONLY
    for name, field in CartItemBody.model_fields.items():
        if name not in WIDGET_ONLY:
            assert AddToCart.model_fields[name].default == field.default, name


@pytest.mark.parametrize("args", [{"product_id": "p12"}, {"product_id": "p7", "quantity": 99, "color": "Blue",
                                                          "size": "10"},
                                  {"product_id": "p3", "options": {"Storage": "256 GB"}, "modifiers": ["Gift wrap"]}])
def test_every_valid_action_is_a_valid_body(args: dict) -> None:
    action = AddToCart(**args)
    assert CartItemBody.model_validate(action.args()).model_dump(exclude_none=True) == action.args()


@pytest.mark.parametrize("args", [{"product_id": ""}, {"product_id": "p1", "quantity": 0},
                                  {"product_id": "p1", "quantity": 100}, {"product_id": "x" * 33}])
def test_what_the_action_refuses_the_body_refuses(args: dict) -> None:
    with pytest.raises(ValidationError):
        AddToCart(**args)
    with pytest.raises(ValidationError):
        CartItemBody.model_validate(args)
