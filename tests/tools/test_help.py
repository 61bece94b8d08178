"""``search_faq`` asks whichever shop the tools talk to (``GET /help``), never a local store."""

from __future__ import annotations

import httpx

from tools import ShopClient, ToolContext, parse_action, run_action


def other_shop_double(answers: dict[str, dict]) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A stand-in for a shop behind SHOP_URL: answers GET /help from ``answers`` and records requests."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path != "/help":
            return httpx.Response(404, json={"detail": "not here"})
        return httpx.Response(200, json=answers.get(request.url.params["q"], {"found": False}))

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://other-shop"), seen


async def test_the_answer_comes_from_the_shop() -> None:
    found = {"found": True, "answer": "We ship in 2 days.", "source": "theirs.yaml#ship", "score": 0.8,
             "matched_question": "How fast do you ship?"}
    http, seen = other_shop_double({"how fast do you ship": found})
    async with http:
        outcome = await run_action(parse_action({"action": "search_faq", "question": "how fast do you ship"}),
                                   ToolContext(ShopClient(http, "token")))
    assert outcome.ok and outcome.data == found
    assert [(r.method, r.url.path, r.url.params["q"]) for r in seen] == [("GET", "/help", "how fast do you ship")]


async def test_no_answer_and_no_help_center_are_told_apart() -> None:
    http, _ = other_shop_double({})
    async with http:
        ctx = ToolContext(ShopClient(http))
        unknown = await run_action(parse_action({"action": "search_faq", "question": "sourdough?"}), ctx)
        blank = await run_action(parse_action({"action": "search_faq", "question": "  "}), ctx)
    assert unknown.ok and unknown.data == {"found": False}
    assert blank.ok and blank.data == {"found": False}

    def no_help_center(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "the help center is not available"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(no_help_center), base_url="http://x") as http:
        outcome = await run_action(parse_action({"action": "search_faq", "question": "returns?"}),
                                   ToolContext(ShopClient(http)))
    assert not outcome.ok and outcome.status == 503 and "help center" in outcome.error
