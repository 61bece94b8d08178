"""Help-center answers from the shop's ``GET /help`` (the reference shop searches its FAQ store)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import Action, ToolContext, tool


class SearchFaq(Action):
    """Look up the help center: shipping, returns, payment, warranty, account, sizing, privacy."""

    action: Literal["search_faq"] = "search_faq"
    question: Annotated[str, Field(min_length=1, max_length=300)]


@tool(SearchFaq, label="Checking the help center…")
async def search_faq(args: SearchFaq, ctx: ToolContext) -> dict[str, Any]:
    if not args.question.strip():
        return {"found": False}  # nothing asked, nothing found (the shop answers a blank q with a 422)
    # {"found": false} when the help center has no close enough entry: the reply says so instead of guessing.
    return await ctx.shop.get("/help", q=args.question)
