"""A changed catalog reaches speech recognition and the understand step without a restart."""

from __future__ import annotations

import httpx

from agent.llm import ChatClient
from agent.prompts import Prompts
from agent.understand import Understander, UnderstandOptions
from app.vocabulary import CatalogWordsFollower
from tests.agent.doubles import ScriptedCompletions
from tests.tools.doubles import VocabularyShopDouble
from voice.asr import Transcriber


async def test_new_catalog_words_reach_the_asr_prompt_and_the_grammar() -> None:
    shop = VocabularyShopDouble()
    transcriber = Transcriber()
    understander = Understander(ChatClient("http://llm/v1", "scripted", transport=ScriptedCompletions()), Prompts(),
                                UnderstandOptions(mode="compact"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(shop), base_url="http://shop") as http:
        follower = CatalogWordsFollower(http, transcriber, understander)
        assert await follower.refresh()
        assert transcriber._vocabulary.option_values == ("Whole Bean", "Espresso", "Oat milk")
        assert understander.catalog.options == {"Grind": ["Whole Bean", "Espresso"]}
        assert not await follower.refresh()  # unchanged: nothing rebuilt
        shop.version = "v2"
        assert await follower.refresh()
    assert understander.catalog.version == "v2" and follower.words.version == "v2"


async def test_an_import_while_the_app_runs_reaches_every_stage(settings, data_dir) -> None:
    from shop.catalog.format import CatalogFile
    from shop.catalog.load import load_catalog
    from shop.db import Database
    from tests.conftest import running_app

    async with running_app(settings) as client:
        follower = client.app.state.catalog_words
        assert follower.words is not None and "Storage" in follower.words.options  # the seeded shop's own
        assert not await follower.refresh()  # nothing imported yet: the shop answers 304
        database = Database(f"sqlite:///{data_dir / 'shop.db'}")
        load_catalog(database, CatalogFile.model_validate({"products": [{
            "handle": "house-espresso", "title": "House Espresso Beans", "vendor": "Kaffa Roasters",
            "category": "Coffee", "options": [{"name": "Grind", "values": ["Whole Bean", "Espresso"]}],
            "variants": [{"sku": "HE-W", "options": {"Grind": "Whole Bean"}, "price": 12, "stock": 5},
                         {"sku": "HE-E", "options": {"Grind": "Espresso"}, "price": 12, "stock": 5}],
            "modifiers": [{"name": "Gift wrap", "price": 3}]}]}))
        database.engine.dispose()
        assert await follower.refresh()
        vocabulary = client.app.state.transcriber._vocabulary
        assert "Kaffa Roasters" in vocabulary.brands and "Grind" in vocabulary.option_names
        assert "Espresso" in vocabulary.option_values
        assert client.app.state.assistant.understander.catalog.options["Grind"] == ["Whole Bean", "Espresso"]
