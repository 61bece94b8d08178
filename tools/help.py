"""Help-center retrieval over the FAQ store (ChromaDB)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import Action, ShopError, ToolContext, tool


class SearchFaq(Action):
    """Look up the help center: shipping, returns, payment, warranty, account, sizing, privacy."""

    action: Literal["search_faq"] = "search_faq"
    question: Annotated[str, Field(min_length=1, max_length=300)]


@tool(SearchFaq, label="Checking the help center…")
async def search_faq(args: SearchFaq, ctx: ToolContext) -> dict[str, Any]:
    if ctx.help_center is None:
        raise ShopError(503, "the help center is not available")
    answer = await asyncio.to_thread(ctx.help_center.answer, args.question)
    if answer is None:  # below the calibrated threshold: say so instead of guessing
        return {"found": False}
    return {"found": True, **answer.model_dump()}
