"""CHECKPOINT_URL: conversations in a SQLite file by default, or on Postgres shared by every app instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.checkpoints import checkpoint_target
from app.settings import Settings, load_settings
from shop.db import Database
from shop.seed import seed_database
from tests.agent.test_graph import order_count, say
from tests.conftest import SMALL_SHOP, running_app
from tests.scripted_llm import ScriptedLLM


def test_default_is_a_file_in_the_data_dir(tmp_path: Path) -> None:
    assert checkpoint_target(None, tmp_path) == ("sqlite", str(tmp_path / "conversations.db"))
    assert checkpoint_target("sqlite:////srv/talk.db", tmp_path) == ("sqlite", "/srv/talk.db")


@pytest.mark.parametrize("url", ["postgresql://shop:pw@db:5432/talk", "postgresql+psycopg://shop:pw@db:5432/talk"])
def test_postgres_urls_become_libpq_urls(url: str, tmp_path: Path) -> None:
    assert checkpoint_target(url, tmp_path) == ("postgres", "postgresql://shop:pw@db:5432/talk")


@pytest.mark.parametrize("url", ["mysql://db/talk", "sqlite://", "postgresql:///no-host", "not a url"])
def test_other_urls_are_refused_with_the_setting_named(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CHECKPOINT_URL"):
        checkpoint_target(url, tmp_path)


async def test_two_app_instances_on_postgres_share_conversations(postgres_url: str, tmp_path: Path,
                                                                 scripted_llm: ScriptedLLM) -> None:
    """A conversation begun on one instance continues on another: shown products and the pending checkout."""
    database = Database(postgres_url)
    database.create_schema()
    seed_database(database, **SMALL_SHOP)
    database.engine.dispose()

    def instance(name: str) -> Settings:
        return load_settings(data_dir=tmp_path / name, database_url=postgres_url, checkpoint_url=postgres_url,
                        llm_transport=scripted_llm, max_tool_steps=3, warm_indexes=False)

    async with running_app(instance("a")) as first, running_app(instance("b")) as second:
        scripted_llm.script({"action": "search_products", "query": "running shoes"})
        shown = await say(first, "show me running shoes")
        product = shown["products"][0]
        scripted_llm.script({"action": "add_to_cart", "product_id": product["id"]})
        await say(first, "add the first one", shown["conversation_id"])
        scripted_llm.script({"action": "checkout"})
        asked = await say(first, "check out", shown["conversation_id"])
        assert asked["pending_confirmation"]["tool"] == "checkout"
        before = await order_count(second)

        done = await say(second, "yes", asked["conversation_id"])
        assert done["confirmed"]["status"] == "done", done
        assert await order_count(second) == before + 1
        assert (await first.get("/api/orders")).json()[0]["lines"][0]["product_id"] == product["id"]
        # The products shown on the first instance are what the second one's model is told about.
        scripted_llm.script({"action": "view_cart"})
        await say(second, "what's in my cart", asked["conversation_id"])
        prompt = str(scripted_llm.requests[-1]["messages"])
        assert all(p["id"] in prompt for p in shown["products"]), prompt[-2000:]
