"""Is this answer a yes to the question we asked? Strict rules, because a wrong yes spends the customer's money.

An answer is consent only when every word of it is a yes phrase, a filler or the question's own action words
(``prompts/confirmation.yaml``). Everything else is sorted into what the assistant does next: a plain no
declines, a hedge or a question gets the question again, and anything with a request in it is answered as a
new request. Only ``yes`` ever runs the action, so an answer these rules don't know is never consent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from rapidfuzz.distance import DamerauLevenshtein

Consent = Literal["yes", "no", "unclear", "other"]
_WORD = re.compile(r"[a-z0-9']+|\?")
_LONGEST_PHRASE = 5
# A hedge or question with more words than this is a request of its own ("can you find me a backpack…").
_WORDS_IN_A_QUESTION_ABOUT_IT = 3
# A word this long that is one typo away ("confrim", "pleae") from exactly one kind of word reads as that word.
_TYPO_MIN_LETTERS = 4
# A typo only ever reads as these; near anything else it stays unknown. Never an action word: "orders" is not
# "order", and an order number one digit off is another order.
_TYPO_KINDS = {"yes", "filler"}


@dataclass(frozen=True)
class ConsentRules:
    """The phrase lists, as tuples of words; loaded from ``confirmation.yaml``."""

    yes: frozenset[tuple[str, ...]]
    filler: frozenset[tuple[str, ...]]
    no: frozenset[tuple[str, ...]]
    unclear: frozenset[tuple[str, ...]]
    request: frozenset[tuple[str, ...]]
    action_words: dict[str, frozenset[tuple[str, ...]]]

    @classmethod
    def load(cls, path: Path) -> ConsentRules:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(yes=_phrases(raw["yes"]), filler=_phrases(raw["filler"]), no=_phrases(raw["no"]),
                   unclear=_phrases(raw["unclear"]), request=_phrases(raw["request"]),
                   action_words={tool: _phrases(words) for tool, words in raw["action_words"].items()})


def _phrases(items: Iterable[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(_words(item)) for item in items)


def _words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'")
    return [_squeeze(word) for word in _WORD.findall(text)]


def _squeeze(word: str) -> str:
    """Stretched spellings read as the plain word: "yesss", "yeahhh", "okkk"."""
    return re.sub(r"([a-z])\1{2,}", r"\1", word)


def _single(word: str) -> str:
    return re.sub(r"([a-z])\1+", r"\1", word)


@cache
def _singled(lexicon: frozenset[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    return frozenset((_single(p[0]),) for p in lexicon if len(p) == 1)


@cache
def default_rules(path: Path) -> ConsentRules:
    return ConsentRules.load(path)


def classify_consent(text: str, rules: ConsentRules, tool: str | None = None,
                     subject: Iterable[str] = ()) -> Consent:
    """Sort an answer to the ``tool`` question; ``subject`` are words of the question itself (an order id)."""
    words = _words(text)
    if not words:
        return "unclear"
    action = rules.action_words.get(tool or "", frozenset()) | {tuple(_words(s)) for s in subject}
    kinds = _segment(words, [("action", action), ("unclear", rules.unclear), ("request", rules.request), ("no", rules.no),
                             ("yes", rules.yes), ("filler", rules.filler)])
    said = set(kinds)
    if "no" in said:  # a refusal wins over any yes or hedge beside it ("hmm, never mind")
        return "no" if not said & {"word", "request"} else "other"
    if "request" in said:
        return "other"
    if ("unclear" in said or "?" in said) and kinds.count("word") <= _WORDS_IN_A_QUESTION_ABOUT_IT:
        return "unclear"
    if said <= {"yes", "filler", "action"}:
        return "yes" if said & {"yes", "action"} else "unclear"
    return "other"


def _segment(words: list[str], lexicons: list[tuple[str, frozenset[tuple[str, ...]]]]) -> list[str]:
    """Label each stretch of words with the first lexicon holding it, longest phrase first; else "word"."""
    kinds: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "?":
            kinds.append("?")
            i += 1
            continue
        for size in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            phrase = tuple(words[i:i + size])
            kind = next((name for name, lexicon in lexicons if phrase in lexicon), None)
            if kind is None and size == 1:  # "yeahh", "okk": a doubled letter is a slip of the finger
                kind = next((name for name, lexicon in lexicons if (_single(phrase[0]),) in _singled(lexicon)),
                            None) or _typo_of(phrase[0], lexicons)
            if kind is not None:
                kinds.append(kind)
                i += size
                break
        else:
            kinds.append("word")
            i += 1
    return kinds


def _typo_of(word: str, lexicons: list[tuple[str, frozenset[tuple[str, ...]]]]) -> str | None:
    """The kind of word one typo (an edit or a swap) away from ``word``, when all such words are of one kind.

    A word near a no, a hedge or a request word as well as near a yes word stays unknown, so a typo can
    make an answer less of a yes, never more."""
    if len(word) < _TYPO_MIN_LETTERS or not word.isalpha():
        return None
    near = {name for name, lexicon in lexicons for phrase in _single_words(lexicon)
            if DamerauLevenshtein.distance(word, phrase, score_cutoff=1) <= 1}
    return near.pop() if len(near) == 1 and near <= _TYPO_KINDS else None


@cache
def _single_words(lexicon: frozenset[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(phrase[0] for phrase in lexicon if len(phrase) == 1 and len(phrase[0]) >= _TYPO_MIN_LETTERS - 1)
