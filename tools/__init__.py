"""Typed shop tools. Importing this package registers every action in :data:`tools.base.TOOLS`."""

# Registration order is the order the prompt and the docs list the actions in (the contract's order); the
# after-purchase actions come last, so the prompt the embedded model was trained on keeps its beginning.
from tools import catalog, cart, orders, help, conversation, after_purchase  # noqa: F401, I001
from tools.base import (TOOLS, Action, Confirmation, ShopClient, ShopError, ToolContext, ToolOutcome, parse_action,
                        run_action)
from tools.cart import read_cart

__all__ = ["TOOLS", "Action", "Confirmation", "ShopClient", "ShopError", "ToolContext", "ToolOutcome", "parse_action",
           "read_cart", "run_action"]
