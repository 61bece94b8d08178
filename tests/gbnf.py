"""The subset of GBNF that ``agent.compact.codec.grammar`` writes, read back for tests: whether a grammar
accepts a line (as a regular expression: the grammar has no recursion) and random lines it accepts.

Literals ``"..."``, character classes ``[...]``, rule names, groups ``( )``, alternatives ``|`` and the
repetitions ``?``, ``*``, ``+``, ``{m}``, ``{m,n}``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

_TOKEN = re.compile(r'\s*(?:(?P<lit>"(?:[^"\\]|\\.)*")|(?P<cls>\[(?:[^\]\\]|\\.)*\])|(?P<name>[a-z][a-z0-9-]*)'
                    r"|(?P<rep>\{\d+(?:,\d*)?\}|[?*+])|(?P<op>[()|]))")


@dataclass
class Grammar:
    rules: dict[str, Any]

    @classmethod
    def parse(cls, text: str) -> Grammar:
        rules = {}
        for line in text.strip().splitlines():
            name, _, body = line.partition(" ::= ")
            tokens = [(m.lastgroup, m.group(m.lastgroup)) for m in _TOKEN.finditer(body)]
            node, rest = _alternatives(tokens)
            assert not rest, f"unparsed: {rest} in {line}"
            rules[name.strip()] = node
        return cls(rules)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self._regex(self.rules["root"]), re.DOTALL)

    def accepts(self, line: str) -> bool:
        """Whether the grammar accepts ``line`` as the model writes it (the root's leading space and newline)."""
        return self.regex.fullmatch(f" {line}\n") is not None

    def sample(self, rng: random.Random) -> str:
        """A random line the grammar accepts, without the root's leading space and newline."""
        return self._sample(self.rules["root"], rng).removeprefix(" ").removesuffix("\n")

    def _regex(self, node: Any) -> str:
        kind, value = node
        if kind == "lit":
            return re.escape(value)
        if kind == "cls":
            return value
        if kind == "name":
            return f"(?:{self._regex(self.rules[value])})"
        if kind == "seq":
            return "".join(self._regex(n) for n in value)
        if kind == "alt":
            return "(?:" + "|".join(self._regex(n) for n in value) + ")"
        low, high, inner = value
        return f"(?:{self._regex(inner)}){{{low},{'' if high is None else high}}}"

    def _sample(self, node: Any, rng: random.Random) -> str:
        kind, value = node
        if kind == "lit":
            return value
        if kind == "cls":
            return rng.choice(_class_chars(value))
        if kind == "name":
            return self._sample(self.rules[value], rng)
        if kind == "seq":
            return "".join(self._sample(n, rng) for n in value)
        if kind == "alt":
            return self._sample(rng.choice(value), rng)
        low, high, inner = value
        return "".join(self._sample(inner, rng) for _ in range(rng.randint(low, min(high or low + 3, low + 3))))


def _class_chars(text: str) -> list[str]:
    body = text[1:-1].replace("\\", "")
    chars, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars += [chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1)]
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return chars


def _alternatives(tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
    options = []
    while True:
        sequence, tokens = _sequence(tokens)
        options.append(sequence)
        if tokens and tokens[0] == ("op", "|"):
            tokens = tokens[1:]
            continue
        return (options[0] if len(options) == 1 else ("alt", options)), tokens


def _sequence(tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
    items = []
    while tokens and tokens[0] not in (("op", "|"), ("op", ")")):
        kind, value = tokens[0]
        tokens = tokens[1:]
        if kind == "lit":
            node: Any = ("lit", value[1:-1].encode().decode("unicode_escape"))
        elif kind in ("cls", "name"):
            node = (kind, value)
        elif (kind, value) == ("op", "("):
            node, tokens = _alternatives(tokens)
            assert tokens[:1] == [("op", ")")], tokens
            tokens = tokens[1:]
        else:
            raise ValueError(f"unexpected {value!r}")
        while tokens and tokens[0][0] == "rep":
            rep = tokens[0][1]
            tokens = tokens[1:]
            if rep in "?*+":
                low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}[rep]
            else:
                low_text, _, high_text = rep[1:-1].partition(",")
                low = int(low_text)
                high = int(high_text) if high_text else (None if "," in rep else low)
            node = ("rep", (low, high, node))
        items.append(node)
    return ("seq", items), tokens
