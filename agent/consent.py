"""Is this answer a yes to the question we asked? Strict rules, because a wrong yes spends the customer's money.

An answer is consent only when every word of it is a yes phrase, a filler or the question's own action words
(``prompts/confirmation.yaml``). Everything else is sorted into what the assistant does next: a plain no
declines, a hedge or a question gets the question again, and anything with a request in it is answered as a
new request. Only ``yes`` ever runs the action, so an answer these rules don't know is never consent.

:func:`decide_consent` adds the fine-tuned model's reading, gated by these rules: the model is asked only
about a short answer the rules could not place, made of yes words, fillers, the question's own words and a
few unknown ones that look like no refusal, hedge or request; its "yes" can turn that answer into a yes, and
nothing else it says changes the rules' decision. A hedged, negated or questioning answer never reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from rapidfuzz.distance import DamerauLevenshtein

Consent = Literal["yes", "no", "unclear", "other"]
# A word cut off mid-way keeps its hyphen ("y-", "pla-"): it is no word of any lexicon, so never a yes.
_WORD = re.compile(r"[a-z0-9']+(?:-(?![a-z0-9]))?|\?")
_LONGEST_PHRASE = 5
# A hedge or question with more words than this is a request of its own ("can you find me a backpack…").
_WORDS_IN_A_QUESTION_ABOUT_IT = 3
# A word this long that is one typo away ("confrim", "pleae") from exactly one kind of word reads as that word.
_TYPO_MIN_LETTERS = 4
# A typo only ever reads as these; near anything else it stays unknown. Never an action word: "orders" is not
# "order", and an order number one digit off is another order.
_TYPO_KINDS = {"yes", "filler"}
# The model's say (decide_consent). A read-back's yes is short: "yeah lets roll", "sure go nuts". An answer
# longer than this, or with more unknown words than a hedge may have, says something the rules cannot see
# (a reason, a condition, a second wish), and a 270M model's reading of it is not consent.
MODEL_MAX_WORDS = 8
MODEL_MAX_UNKNOWN = _WORDS_IN_A_QUESTION_ABOUT_IT
# Kinds of stretch that leave an answer to the model; a no, hedge, request or "?" keeps the rules' decision.
_MODEL_KINDS = {"yes", "filler", "action", "word"}


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
    return read_answer(text, rules, tool, subject).decision


@dataclass(frozen=True)
class Reading:
    """An answer as the rules read it: its words, what each stretch of them is, and the rules' decision."""

    words: tuple[str, ...]
    kinds: tuple[str, ...]  # per stretch: action, unclear, request, no, yes, filler, "?" or an unknown "word"
    unknown: tuple[str, ...]  # the words no lexicon holds
    decision: Consent


def read_answer(text: str, rules: ConsentRules, tool: str | None = None, subject: Iterable[str] = ()) -> Reading:
    words = _words(text)
    if not words:
        return Reading((), (), (), "unclear")
    action = _action_words(rules, tool, subject)
    kinds, unknown = _segment(words, [("action", action), ("unclear", rules.unclear), ("request", rules.request),
                                      ("no", rules.no), ("yes", rules.yes), ("filler", rules.filler)])
    return Reading(tuple(words), tuple(kinds), tuple(unknown), _decide(kinds))


def _action_words(rules: ConsentRules, tool: str | None, subject: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """The question's own words: its tool's action words, and the subject's phrases ("running shoes"), each
    word of them ("yes, return the shoes") in the singular and plural, less any word of a no, hedge or
    request phrase (an item called "No Show Socks" must not make "no" a word of the question)."""
    phrases = {tuple(_words(s)) for s in subject}
    risky = _risky_words(rules)
    singles = {word for phrase in phrases if len(phrase) > 1 for word in phrase}
    singles |= {word.removesuffix("s") if word.endswith("s") else f"{word}s" for word in singles if word.isalpha()}
    return rules.action_words.get(tool or "", frozenset()) | phrases | {(word,) for word in singles - risky}


def _risky_words(rules: ConsentRules) -> frozenset[str]:
    return frozenset(word for phrase in (*rules.no, *rules.unclear, *rules.request) for word in phrase)


def _decide(kinds: list[str]) -> Consent:
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


def _segment(words: list[str], lexicons: list[tuple[str, frozenset[tuple[str, ...]]]]) -> tuple[list[str], list[str]]:
    """Label each stretch of words with the first lexicon holding it; a word no stretch covers is "word".

    Of the ways to cut the answer into phrases, the one with the fewest unknown words, then the fewest
    stretches (so "i do not" is one no, not "i do" and "not"): a longest-first cut would read "yes go ahead"
    as "yes go" and an unknown "ahead". Returns the labels and the unknown words."""
    n = len(words)
    # best[i]: (unknown words, stretches, kinds, unknown) for words[i:]
    best: list[tuple[int, int, list[str], list[str]]] = [(0, 0, [], [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        options = []
        if words[i] == "?":
            options.append((1, "?"))
        else:
            for size in range(min(_LONGEST_PHRASE, n - i), 0, -1):
                kind = _kind_of(tuple(words[i:i + size]), lexicons)
                if kind is not None:
                    options.append((size, kind))
        choices = [(best[i + size][0], best[i + size][1] + 1, [kind, *best[i + size][2]], best[i + size][3])
                   for size, kind in options]
        after = best[i + 1]
        choices.append((after[0] + 1, after[1] + 1, ["word", *after[2]], [words[i], *after[3]]))
        best[i] = min(choices, key=lambda choice: (choice[0], choice[1]))
    return best[0][2], best[0][3]


def _kind_of(phrase: tuple[str, ...], lexicons: list[tuple[str, frozenset[tuple[str, ...]]]]) -> str | None:
    """The first lexicon holding ``phrase``; a single word also by a doubled letter ("yeahh", "okk": a slip of
    the finger, so only a word that has one: "to" is not "too") or one typo (:func:`_typo_of`)."""
    kind = next((name for name, lexicon in lexicons if phrase in lexicon), None)
    if kind is None and len(phrase) == 1:
        word = phrase[0]
        if _single(word) != word:
            kind = next((name for name, lexicon in lexicons if (_single(word),) in _singled(lexicon)), None)
        kind = kind or _typo_of(word, lexicons)
    return kind


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


# ── the model's say, gated by the rules ─────────────────────────────────────────────────────────────────

AskModel = Callable[[], Awaitable[Consent | None]]


@dataclass(frozen=True)
class Verdict:
    """The decision, the rules' own, and what the model said when it was asked (None: not asked or no answer)."""

    decision: Consent
    rules: Consent
    asked: bool = False
    model: Consent | None = None


async def decide_consent(text: str, rules: ConsentRules, tool: str | None, subject: Iterable[str],
                         ask_model: AskModel | None) -> Verdict:
    """The rules' decision, made a yes only where the model says yes and :func:`model_may_decide` allows it.

    ``ask_model`` asks the model about this answer (``Understander.consent``); when it fails (a timeout, a
    server error: :class:`agent.llm.LLMError`) the rules' decision stands."""
    from agent.llm import LLMError  # here: the rules themselves need no model client

    subject = list(subject)
    reading = read_answer(text, rules, tool, subject)
    if ask_model is None or not model_may_decide(reading, rules, tool, subject):
        return Verdict(reading.decision, reading.decision)
    try:
        said = await ask_model()
    except LLMError:
        return Verdict(reading.decision, reading.decision, asked=True)
    return Verdict("yes" if said == "yes" else reading.decision, reading.decision, asked=True, model=said)


def model_may_decide(reading: Reading, rules: ConsentRules, tool: str | None, subject: Iterable[str] = ()) -> bool:
    """Whether the model's yes may stand for this answer: the rules did not place it (neither yes nor no), it
    is short, it says yes (or the question's own words) in words the rules know, and besides those, fillers
    and the question's words it has only a few unknown words, none of them a number or one typo from a no,
    hedge or request word or another question's action word ("abrot", "cancle" to a checkout). So the model
    can read the rest of an answer that says yes ("yeah lets roll"), never make a yes out of words nobody
    knows (garbled speech, another language), and never of a hedged, conditional, negated or questioning
    answer."""
    if reading.decision in ("yes", "no") or not reading.unknown:
        return False
    said = set(reading.kinds)
    if not said <= _MODEL_KINDS or not said & {"yes", "action"}:  # it says yes in the rules' words, and more
        return False
    if len(reading.words) > MODEL_MAX_WORDS or len(reading.unknown) > MODEL_MAX_UNKNOWN:
        return False
    unsafe = _unsafe_words(rules, tool, subject)
    return not any(_looks_unsafe(word, unsafe) for word in reading.unknown)


def _unsafe_words(rules: ConsentRules, tool: str | None, subject: Iterable[str]) -> set[str]:
    """Words of the no, hedge and request phrases and of the other questions' action words ("cancel" to a
    checkout), less those that are a yes, a filler or this question's own word by themselves."""
    own = _action_words(rules, tool, subject)
    others = [p for name, words in rules.action_words.items() if name != tool for p in words if p not in own]
    risky = set(_risky_words(rules)) | {word for phrase in others for word in phrase}
    safe = {phrase[0] for phrase in (*rules.yes, *rules.filler, *own) if len(phrase) == 1}
    return risky - safe


def _looks_unsafe(word: str, unsafe: set[str]) -> bool:
    if any(ch.isdigit() for ch in word):  # a number the question did not say: another order, another amount
        return True
    return any(DamerauLevenshtein.distance(word, other, score_cutoff=1) <= 1
               for other in unsafe if min(len(word), len(other)) >= 2) or word in unsafe
