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
