"""Spoken option values matched to a product's own: "256 gig" → "256 GB", "large" → "L", "1 kilo" → "1 kg".

Pure functions, no I/O: the agent uses them with the product card on screen, the ``add_to_cart`` tool with
the options the shop lists when it refuses a value. A value that matches none of the product's is reported
(:class:`Unmatched`), never guessed, so the customer hears what the product does have.

Matching, most certain first: the same key (case, spaces and punctuation aside, units and size words
spelled one way), the product's value said inside longer words ("the 1 kilo bag" → "1 kg"), a close
spelling (RapidFuzz) and the same sound (metaphone, for names: "columbian" → "Colombian"). The last two
never bridge different numbers ("128 GB" is not "256 GB").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jellyfish
from rapidfuzz import fuzz
from text_to_num import alpha2digit

CLOSE_SPELLING = 85.0  # RapidFuzz ratio (0-100) for "expresso" → "espresso" but not "black" → "blue"
CLOSE_NAME = 80.0  # option names are few per product, so a looser bar: "colour" → "color", "grind" → "grind size"
SHORTHANDS = {"color": ("color", "colour"), "size": ("size",)}  # contract arguments standing for these options

# A number followed by any of these spoken units means that unit (canonical spelling on the right).
_UNITS = {
    "gb": ("gigabytes", "gigabyte", "gigs", "gig", "gb", "g b"), "tb": ("terabytes", "terabyte", "tera", "tb"),
    "mb": ("megabytes", "megabyte", "megs", "mb"), "kg": ("kilograms", "kilogram", "kilos", "kilo", "kgs", "kg"),
    "g": ("grams", "gram", "gr", "g"), "lb": ("pounds", "pound", "lbs", "lb"), "oz": ("ounces", "ounce", "oz"),
    "ml": ("millilitres", "millilitre", "milliliters", "milliliter", "mls", "ml"),
    "l": ("litres", "litre", "liters", "liter", "l"), "mm": ("millimetres", "millimetre", "millimeters",
                                                            "millimeter", "mm"),
    "cm": ("centimetres", "centimetre", "centimeters", "centimeter", "cm"), "in": ("inches", "inch", "in"),
    "ft": ("feet", "foot", "ft"), "w": ("watts", "watt", "w"), "mah": ("mah",), "hz": ("hertz", "hz"),
}
_UNIT = {spoken: unit for unit, spellings in _UNITS.items() for spoken in spellings}
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(" + "|".join(sorted(map(re.escape, _UNIT), key=len, reverse=True))
                          + r")\b")
_SMALL_NUMBERS = {"a": "1", "an": "1", "one": "1", "two": "2", "half a": "0.5", "half an": "0.5", "half": "0.5"}
_SMALL_NUMBER = re.compile(r"\b(half an?|half|an?|one|two)\s+(?=(?:" + "|".join(map(re.escape, _UNIT)) + r")\b)")
_BEFORE_UNIT = r"(?=\s*(?:" + "|".join(map(re.escape, _UNIT)) + r")\b)"
# Fractions, written or said, as one decimal: "3/4 inch", "3 4 inch" (the slash dropped: spoken_form, the
# grammar) and "three quarter inch" all key "0.75in"; "half inch" and "1/2 inch" both "0.5in".
_SLASHED = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\b")
_SPACED = re.compile(r"\b(\d{1,2}) (2|4|8|16)" + _BEFORE_UNIT)
_SAID_PARTS = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4, "eighth": 8, "eighths": 8, "8th": 8, "8ths": 8,
               "sixteenth": 16, "sixteenths": 16, "16th": 16, "16ths": 16}
_SAID_FRACTION = re.compile(r"\b(?:(\d{1,2}|an?|one) )?(" + "|".join(sorted(_SAID_PARTS, key=len, reverse=True))
                            + r")" + _BEFORE_UNIT)
# Letter sizes, said or written: both sides map to the letter, so "large" finds "L" and "L" finds "Large".
# "Regular" is no letter size: it is a size of its own ("Small, Regular, Large") or a fit ("Slim, Regular").
_SIZES = {"extra small": "xs", "x small": "xs", "xs": "xs", "small": "s", "s": "s", "medium": "m", "m": "m",
          "large": "l", "l": "l", "extra large": "xl", "x large": "xl", "xl": "xl",
          "double extra large": "xxl", "extra extra large": "xxl", "xx large": "xxl", "2xl": "xxl", "xxl": "xxl"}
_NOT_WORD = re.compile(r"[^a-z0-9.]+")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def _fraction(found: re.Match[str], numerator: str | None, denominator: int) -> str:
    """A fraction as a decimal ("3", 4 → "0.75"); not one (a numerator of at least the denominator, "4 2"):
    as it was."""
    top = 1 if numerator in (None, "a", "an", "one") else int(numerator)
    return f"{top / denominator:g}" if 0 < top < denominator else found.group(0)


def words(text: str) -> list[str]:
    """``text`` as comparable words: lower case, numbers as digits, units and size words spelled one way."""
    text = alpha2digit(str(text).lower().replace("-", " "), "en")
    text = _SLASHED.sub(lambda m: _fraction(m, m.group(1), int(m.group(2))), text)
    text = _SPACED.sub(lambda m: _fraction(m, m.group(1), int(m.group(2))), text)
    text = _SAID_FRACTION.sub(lambda m: _fraction(m, m.group(1), _SAID_PARTS[m.group(2)]), text)
    text = _SMALL_NUMBER.sub(lambda m: _SMALL_NUMBERS[m.group(1)] + " ", text)
    text = _NUMBER_UNIT.sub(lambda m: f"{m.group(1)}{_UNIT[m.group(2)]}", _NOT_WORD.sub(" ", text))
    tokens = [token.strip(".") for token in text.split() if token.strip(".")]
    joined = " ".join(tokens)
    return [_SIZES[joined]] if joined in _SIZES else tokens


def key(text: str) -> str:
    """One spelling per value: "256 gig", "256GB" and "256 GB" all give "256gb"; "Large" and "L" give "l"."""
    return "".join(words(text))


def _numbers(text: str) -> list[str]:
    return _DIGITS.findall(key(text))


def _contains(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def match_value(said: str, values: Sequence[str]) -> str | None:
    """The one value in ``values`` that ``said`` names, or None when none (or no single one) does."""
    said_key, said_words = key(said), words(said)
    if not said_key or not values:
        return None
    exact = [value for value in values if key(value) == said_key]
    if exact:
        return exact[0]
    # The value inside longer words: the longest such value wins ("extra large" over "large").
    inside = [(len(key(value)), value) for value in values if words(value) and _contains(said_words, words(value))]
    if inside:
        inside.sort(reverse=True)
        if len(inside) == 1 or inside[0][0] > inside[1][0]:
            return inside[0][1]
        return None
    # The said words inside one value only ("blue" → "Navy Blue"; with "Sky Blue" too it is no single one).
    partial = [value for value in values if said_words and _contains(words(value), said_words)]
    if partial:
        return partial[0] if len(partial) == 1 else None
    same_numbers = [value for value in values if _numbers(value) == _numbers(said)]
    close = sorted(((fuzz.ratio(said_key, key(value)), value) for value in same_numbers), reverse=True)
    if close and close[0][0] >= CLOSE_SPELLING and (len(close) == 1 or close[1][0] < close[0][0]):
        return close[0][1]
    if said_key.isalpha() and len(said_key) >= 4:
        sound = jellyfish.metaphone(said_key)
        alike = [value for value in same_numbers if key(value).isalpha() and jellyfish.metaphone(key(value)) == sound]
        if len(alike) == 1:
            return alike[0]
    return None


def match_name(said: str, names: Sequence[str]) -> str | None:
    """The option name ``said`` stands for ("colour" → "Color", "grind" → "Grind Size"), if one clearly does."""
    said_key = key(said)
    for shorthand, spellings in SHORTHANDS.items():
        if said_key in spellings:
            said_key = shorthand
            break
    exact = [name for name in names if key(name) in SHORTHANDS.get(said_key, (said_key,))]
    if exact:
        return exact[0]
    inside = [name for name in names if _contains(words(name), words(said))]
    if len(inside) == 1:
        return inside[0]
    close = sorted(((fuzz.ratio(said_key, key(name)), name) for name in names), reverse=True)
    if close and close[0][0] >= CLOSE_NAME and (len(close) == 1 or close[1][0] < close[0][0]):
        return close[0][1]
    return None


def match_modifier(said: str, modifiers: Sequence[str]) -> str | None:
    """The add-on ``said`` names ("oat" → "Oat milk"), matched as option values are."""
    return match_value(said, modifiers)


def said_in(utterance: str, options: Mapping[str, Sequence[str]], max_words: int = 3) -> dict[str, str]:
    """Option values said anywhere in ``utterance`` by their exact key ("the blue one in large" → Color Blue,
    Size L). A phrase that is a value of several options counts only next to one option's name ("medium
    roast"); an option with two different values said is left out: the customer did not pick one."""
    said = words(utterance)
    hits: list[tuple[int, int, str, str]] = []  # (start, end, option, value)
    for start in range(len(said)):
        for end in range(start + 1, min(start + max_words, len(said)) + 1):
            phrase = key(" ".join(said[start:end]))
            named = {name: value for name, values in options.items() for value in values if key(value) == phrase}
            if len(named) > 1:
                beside = {*said[max(0, start - 1):start], *said[end:end + 1]}
                named = {name: value for name, value in named.items() if key(name) in beside}
            hits += [(start, end, name, value) for name, value in named.items()]
    found: dict[str, set[str]] = {}
    for start, end, name, value in hits:  # a phrase inside a longer one that matched ("large" in "extra large") drops
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _, _ in hits):
            found.setdefault(name, set()).add(value)
    return {name: next(iter(values)) for name, values in found.items() if len(values) == 1}


@dataclass(frozen=True)
class Unmatched:
    """A value the customer asked for that the product does not have, and what it does have instead."""

    said: str
    option: str | None  # the product's option it was meant for; None when no option of that name exists
    offered: tuple[str, ...]  # that option's values, or every option's ("Size: S, M; Milk: oat, soy")


@dataclass(frozen=True)
class VariantChoice:
    """A spoken choice resolved against one product: its own spellings, and what did not match."""

    options: dict[str, str] = field(default_factory=dict)
    modifiers: tuple[str, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()


def option_values(options: Iterable[Mapping[str, Any]] | None) -> dict[str, list[str]]:
    """``[{name, values}]`` (the shop's product or 422 body) as ``{name: values}``."""
    return {str(option["name"]): [str(v) for v in option.get("values") or []] for option in options or []}


def modifier_names(modifiers: Iterable[Mapping[str, Any] | str] | None) -> list[str]:
    return [str(m["name"]) if isinstance(m, Mapping) else str(m) for m in modifiers or []]


def product_options(product: Mapping[str, Any]) -> dict[str, list[str]]:
    """A product's options by name; a product from before options (``colors``/``sizes`` only) has those two."""
    options = option_values(product.get("options"))
    if not options:
        options = {name: list(product.get(plural) or []) for name, plural in (("Color", "colors"), ("Size", "sizes"))
                   if product.get(plural)}
    return options


def choose(said: Mapping[str, str], said_modifiers: Sequence[str], options: Mapping[str, Sequence[str]],
           modifiers: Sequence[str] = ()) -> VariantChoice:
    """Resolve what the customer said (``{option name: value}`` and add-ons) against one product.

    A value said under the wrong name ("size 256 gig" for a phone's Storage) is still found when exactly one
    option has it; one that is no option's value but an add-on's name ("milk: oat" where oat milk is an
    add-on) becomes that add-on.
    """
    chosen: dict[str, str] = {}
    picked: list[str] = []
    unmatched: list[Unmatched] = []
    for name, value in said.items():
        option = match_name(name, list(options))
        found = match_value(value, options[option]) if option else None
        if found is None:  # the value may belong to another option, or be an add-on
            elsewhere = {other: hit for other, values in options.items() if (hit := match_value(value, values))}
            if len(elsewhere) == 1:
                option, found = next(iter(elsewhere.items()))
            elif (addon := match_modifier(f"{value} {name}", modifiers) or match_modifier(value, modifiers)):
                picked.append(addon)
                continue
        if found is None:
            offered = tuple(options[option]) if option else tuple(f"{n}: {', '.join(v)}" for n, v in options.items())
            unmatched.append(Unmatched(said=value, option=option or (name if not options else None), offered=offered))
        else:
            chosen[option] = found  # type: ignore[index]
    for said_modifier in said_modifiers:
        addon = match_modifier(said_modifier, modifiers)
        if addon is None:  # "with large" where large is a size, not an add-on
            elsewhere = {other: hit for other, values in options.items() if (hit := match_value(said_modifier, values))}
            if len(elsewhere) == 1:
                chosen.update(elsewhere)
                continue
            unmatched.append(Unmatched(said=said_modifier, option=None, offered=tuple(modifiers)))
        elif addon not in picked:
            picked.append(addon)
    return VariantChoice(chosen, tuple(picked), tuple(unmatched))


def cart_arguments(choice: VariantChoice) -> dict[str, Any]:
    """The contract's arguments for a choice: Color and Size as their shorthands, other options in ``options``."""
    arguments: dict[str, Any] = {}
    others: dict[str, str] = {}
    for name, value in choice.options.items():
        shorthand = next((s for s, spellings in SHORTHANDS.items() if key(name) in spellings), None)
        if shorthand:
            arguments[shorthand] = value
        else:
            others[name] = value
    if others:
        arguments["options"] = others
    if choice.modifiers:
        arguments["modifiers"] = list(choice.modifiers)
    return arguments


def said_options(arguments: Mapping[str, Any]) -> dict[str, str]:
    """An action's option arguments as one ``{name: value}``: the shorthands as the options they stand for."""
    said = {str(k): str(v) for k, v in (arguments.get("options") or {}).items()}
    for shorthand in SHORTHANDS:
        if arguments.get(shorthand):
            said.setdefault(shorthand, str(arguments[shorthand]))
    return said


def describe(options: Mapping[str, str] | None, modifiers: Sequence[str] | None = ()) -> str:
    """The variant as spoken after the product's name: "large, oat milk" (values only, in order)."""
    return ", ".join([*(str(v) for v in (options or {}).values()), *(str(m) for m in modifiers or ())])


def modifiers_in(utterance: str, modifiers: Sequence[str]) -> list[str]:
    """The add-ons named in ``utterance`` by their exact key ("make it oat milk" → "Oat milk")."""
    return list(said_in(utterance, {name: [name] for name in modifiers}))
