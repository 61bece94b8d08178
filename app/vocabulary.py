"""The catalog's words kept current in every stage that listens for them, without a restart.

At start and then every ``catalog_refresh_s`` seconds the app asks the shop for its catalog words
(:func:`tools.vocabulary.read_vocabulary`; an unchanged catalog answers 304) and, when they changed (an
import, new products), hands them to speech recognition (its prompt and name correction) and to the
understand step (the per-turn grammar and the spelling of search options).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from agent.understand import Understander
from tools.vocabulary import CatalogWords, read_vocabulary
from voice.asr import Transcriber
from voice.prompt import CatalogVocabulary

log = logging.getLogger(__name__)


def voice_vocabulary(words: CatalogWords) -> CatalogVocabulary:
    """The words speech recognition is primed with: option names, then their values and the add-ons."""
    values = dict.fromkeys(value for values in words.options.values() for value in values)
    values.update(dict.fromkeys(words.modifiers))
    return CatalogVocabulary(categories=tuple(words.categories), brands=tuple(words.brands),
                             option_names=tuple(words.options), option_values=tuple(values))


@dataclass
class CatalogWordsFollower:
    """Reads the shop's catalog words and passes every new version to the stages that use them."""

    shop: httpx.AsyncClient
    transcriber: Transcriber
    understander: Understander | None = None
    words: CatalogWords | None = None

    async def refresh(self) -> bool:
        """Read the words now; True when they changed (and were handed on). Raises ``httpx.HTTPError``."""
        words = await read_vocabulary(self.shop, self.words)
        if words is self.words:
            return False
        self.words = words
        self.transcriber.use_vocabulary(voice_vocabulary(words))
        if self.understander is not None:
            self.understander.use_vocabulary(words)
        return True

    async def follow(self, interval_s: float) -> None:
        """Refresh every ``interval_s`` seconds until cancelled; a failed read is logged and tried again."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                if await self.refresh():
                    log.info("catalog words changed (version %s): ASR prompt and grammar updated",
                             self.words.version if self.words else None)
            except httpx.HTTPError as exc:
                log.warning("could not read the catalog words: %s", exc)
