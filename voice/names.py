"""Misheard catalog names put right: "boom craft" → "Boomcraft", "Mooncraft" → "Boomcraft".

Whisper's prompt window holds only a few dozen brand names, and a made-up brand it has not seen comes out
as the nearest words it knows. This pass compares every run of one to three transcript words with every
brand in the catalog (letters only, RapidFuzz's normalised Indel similarity) and writes the brand's own
spelling where the match is close. Two thresholds keep ordinary words safe: a word Whisper knows as one
token ("summit", "pixel") is only replaced by a near-identical brand, while an invented word such as
"Mooncraft" may be further away, since it is most likely a brand heard wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_LETTERS = re.compile(r"[^a-z0-9]")
_TRAILING_PUNCTUATION = re.compile(r"[^A-Za-z0-9]*$")


@dataclass(frozen=True)
class NameCorrection:
    """How close a heard phrase must be to a catalog name (0-100) before it is replaced."""

    known_words: float = 90.0  # every word of the phrase is a common word (one Whisper token)
    invented_words: float = 77.0  # the phrase has a word Whisper had to spell out of pieces (see docs/voice.md)
    min_letters: int = 5  # shorter phrases match too many names by accident
    max_words: int = 3


def _key(text: str) -> str:
    return _LETTERS.sub("", text.lower())


def correct_names(
    text: str,
    names: Sequence[str],
    is_common_word: Callable[[str], bool],
    options: NameCorrection = NameCorrection(),
) -> str:
    """``text`` with phrases that sound like one of ``names`` replaced by that name.

    ``is_common_word(word)`` says whether the recogniser knows ``word`` as a whole (one token). Candidate
    phrases are taken best match first and never overlap, so "me Nordpeak" cannot swallow "me".
    """
    keys = {_key(name): name for name in names if len(_key(name)) >= options.min_letters}
    words = text.split()
    if not keys or not words:
        return text
    candidates: list[tuple[float, int, int, str]] = []  # (score, -length, start, name)
    for start in range(len(words)):
        for length in range(1, options.max_words + 1):
            phrase = words[start : start + length]
            if len(phrase) < length:
                break
            heard = _key(" ".join(phrase))
            if len(heard) < options.min_letters:
                continue
            invented = any(not is_common_word(_key(word)) for word in phrase if _key(word))
            cutoff = options.invented_words if invented else options.known_words
            found = process.extractOne(heard, keys.keys(), scorer=fuzz.ratio, score_cutoff=cutoff)
            if found is not None:
                candidates.append((found[1], -length, start, keys[found[0]]))
    taken: dict[int, tuple[int, str]] = {}  # start → (length, name)
    covered: set[int] = set()
    for _, negative_length, start, name in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        span = set(range(start, start - negative_length))
        if not span & covered:
            covered |= span
            taken[start] = (-negative_length, name)
    out: list[str] = []
    index = 0
    while index < len(words):
        if index in taken:
            length, name = taken[index]
            last = words[index + length - 1]
            out.append(name + _TRAILING_PUNCTUATION.search(last).group(0))  # keep "?" or "." after the name
            index += length
        else:
            out.append(words[index])
            index += 1
    return " ".join(out)
