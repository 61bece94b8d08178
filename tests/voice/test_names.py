"""Misheard brand names put right (voice/names.py), with a word list standing in for Whisper's tokenizer."""

from __future__ import annotations

import pytest

from voice.names import correct_names

BRANDS = ["Boomcraft", "Nordpeak", "Summitry", "Sonari", "Harbor & Pine", "Ironhold"]
COMMON = {"what", "speakers", "do", "you", "have", "from", "boom", "craft", "i", "need", "a", "rain", "jacket",
          "nord", "peak", "describe", "the", "summit", "show", "me", "jackets", "iron", "bolt", "find", "pan"}


def common_word(word: str) -> bool:  # test double for "Whisper knows this word as one token"
    return word in COMMON


@pytest.mark.parametrize(("heard", "expected"), [
    ("What speakers do you have from boom craft?", "What speakers do you have from Boomcraft?"),
    ("What speakers do you have from Mooncraft?", "What speakers do you have from Boomcraft?"),  # invented word
    ("I need a rain jacket from Nord Peak.", "I need a rain jacket from Nordpeak."),
    ("show me Nordpeak jackets", "show me Nordpeak jackets"),  # a right name stays, and "me" is not swallowed
    ("describe the summit jacket", "describe the summit jacket"),  # a common word needs a near-exact match
    ("find a pan from iron bolt", "find a pan from iron bolt"),  # common words, not close enough
    ("show me harbor and pine jackets", "show me Harbor & Pine jackets"),
])
def test_misheard_names_are_corrected_and_ordinary_words_kept(heard: str, expected: str) -> None:
    assert correct_names(heard, BRANDS, common_word) == expected


def test_nothing_to_correct_with() -> None:
    assert correct_names("boom craft", [], common_word) == "boom craft"
    assert correct_names("", BRANDS, common_word) == ""


class HeardBackendDouble:
    """Test double for a Whisper backend: always "hears" the same words; common words are one token."""

    def __init__(self, heard: str) -> None:
        self.heard = heard

    def transcribe(self, samples: object, initial_prompt: str | None) -> tuple[str, str]:
        return self.heard, "en"

    def count_tokens(self, text: str) -> int:
        return 1 if text in COMMON else 3


@pytest.mark.parametrize(("correct", "expected"), [(True, "from Boomcraft?"), (False, "from boom craft?")])
def test_the_transcriber_corrects_names_from_its_vocabulary(correct: bool, expected: str) -> None:
    import numpy as np

    from voice.asr import AsrOptions, Transcriber
    from voice.prompt import CatalogVocabulary

    transcriber = Transcriber(AsrOptions(correct_names=correct))
    transcriber._backend = HeardBackendDouble("What speakers do you have from boom craft?")
    transcriber.use_vocabulary(CatalogVocabulary(categories=("Speakers",), brands=tuple(BRANDS)))
    result = transcriber.transcribe(np.zeros(16_000, dtype=np.float32))
    assert result.text.endswith(expected)
    assert result.heard == "What speakers do you have from boom craft?"


def test_the_transcriber_corrects_option_values_of_the_catalog_too() -> None:
    import numpy as np

    from voice.asr import AsrOptions, Transcriber
    from voice.prompt import CatalogVocabulary

    transcriber = Transcriber(AsrOptions())
    transcriber._backend = HeardBackendDouble("a bag of the sumatrah in espresso grind")
    transcriber.use_vocabulary(CatalogVocabulary(brands=("Kaffa",), option_names=("Roast",),
                                                 option_values=("Sumatra", "Espresso")))
    assert transcriber.transcribe(np.zeros(16_000, dtype=np.float32)).text == "a bag of the Sumatra in Espresso grind"
    transcriber.use_vocabulary(CatalogVocabulary(brands=("Kaffa",)))  # a new catalog without that roast
    assert transcriber.transcribe(np.zeros(16_000, dtype=np.float32)).text == "a bag of the sumatrah in espresso grind"
