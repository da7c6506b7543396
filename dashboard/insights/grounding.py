"""The grounding check: a generated text may only state numbers that are in the facts.

Every number in the text (``$12,345.67``, ``12.3k``, ``-4.5%``, ``3.2 pp``, ``2.41×``) must
match a number of the facts it was written from, allowing the rounding a reader would do
(``$12,300`` or ``$12.3k`` for ``$12,345.67``, ``30%`` for ``+29.7%``), but not inventing
precision or a figure. Numbers in the facts' dates are facts too; numbers inside quoted vendor names (a campaign called
"Spring 2026") are neither claims nor facts.

Facts and texts are written in the workspace's number locale (``12.345,67 €`` and ``25,0 %`` in
de-DE, ``12 345,67 €`` with narrow no-break spaces in fr-FR), so numbers are read in that
locale's separators: read as en-US, ``12.345,67`` would be the two numbers 12.345 and 67, and a
text saying "12%" would pass as a rounding of the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from components.formatting import DEFAULT_LOCALE, current_locale, normalise_locale, number_style

#: a number as prose writes it (en-US): sign, digits with thousands separators, decimals, a k/M/B suffix
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:\s?[kKMB](?![a-zA-Z]))?")
SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9}
#: a rounded number may differ from its fact by at most this share
MAX_ROUNDING = 0.05
#: the spaces that group digits where a locale groups with one (fr-FR U+202F, sv-SE U+00A0):
#: a model may write any of them, a plain space included
SPACES = " \u00a0\u202f"
#: other group signs a person types for the locale's own (de-CH's ’ as an apostrophe)
GROUP_ALIASES = {"’": "'"}


@dataclass(frozen=True)
class NumberReader:
    """How numbers are found and read in one locale's text: the pattern, its group and decimal signs."""

    pattern: re.Pattern
    groups: str
    decimal: str


def reader(locale: str | None = None) -> NumberReader:
    """The :class:`NumberReader` of ``locale`` (default: the current number locale).

    en-US is :data:`NUMBER`, unchanged. A locale that groups with a space only joins whole
    groups (``1 234 567``), so "3 Nov" or two numbers side by side stay apart; one that groups
    with a sign (``.``, ``’``) reads like en-US with the signs swapped.
    """
    return _reader_of((normalise_locale(locale) or DEFAULT_LOCALE) if locale else current_locale())


@lru_cache(maxsize=32)
def _reader_of(tag: str) -> NumberReader:
    if tag == DEFAULT_LOCALE:
        return NumberReader(NUMBER, ",", ".")
    style = number_style(tag)
    decimal = re.escape(style.decimal)
    if style.group in SPACES:
        groups = SPACES
        primary, secondary = style.grouping
        space = "[" + SPACES + "]"
        whole = rf"(?:\d{{1,{secondary}}}(?:{space}\d{{{secondary}}})*{space}\d{{{primary}}}(?!\d)|\d+)"
    else:
        groups = style.group + GROUP_ALIASES.get(style.group, "")
        # ends in a digit: "1.234." at the end of a de-DE sentence is 1.234, not "1.234."
        whole = r"\d(?:[\d" + re.escape(groups) + r"]*\d)?"
    # a number never starts inside another: after a letter, a decimal sign or a group sign
    before = r"(?<![\w." + re.escape(style.decimal + groups.strip(SPACES)) + "])"
    pattern = re.compile(before + r"[-+−]?" + whole + rf"(?:{decimal}\d+)?(?:\s?[kKMB](?![a-zA-Z]))?")
    return NumberReader(pattern, groups, style.decimal)


def numbers_in(text: str, locale: str | None = None) -> list[tuple[str, float, float]]:
    """(as written, value, rounding tolerance) of every number in ``text``, read in ``locale``.

    ``locale`` defaults to the current number locale: the one the facts were written in.
    """
    read = reader(locale)
    out = []
    for match in read.pattern.finditer(text):
        raw = match.group(0)
        body = raw.replace("−", "-")
        for sign in read.groups + " ":
            body = body.replace(sign, "")
        body = body.replace(read.decimal, ".")
        scale = 1.0
        if body[-1] in SUFFIX:
            scale, body = SUFFIX[body[-1]], body[:-1]
        try:
            value = float(body) * scale
        except ValueError:
            continue
        out.append((raw, value, _tolerance(body) * scale))
    return out


def _tolerance(body: str) -> float:
    """Half a unit of the last digit written (``12,000`` -> 500, ``12.30`` -> 0.005)."""
    digits = body.lstrip("+-")
    if "." in digits:
        return 0.5 * 10 ** -len(digits.split(".")[1])
    stripped = digits.rstrip("0")
    return 0.5 * 10 ** (len(digits) - len(stripped)) if stripped else 0.5


def names_in(facts: Any) -> list[str]:
    """The vendor names of the facts (dimension values): data, never a source of numbers."""
    dims = facts.get("dimensions") if isinstance(facts, dict) else None
    return sorted((str(v) for v in (dims or {}).values() if str(v)), key=len, reverse=True)


def _without(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, " ")
    return text


def fact_numbers(facts: Any, locale: str | None = None) -> list[float]:
    """Every number in a facts structure: numeric values and numbers inside its strings.

    Numbers inside vendor names do not count: a campaign called "Grew 500%" must not let a
    text claim 500%. Strings are read in ``locale`` (default: the current number locale).
    """
    names = names_in(facts)
    out: list[float] = []
    for item in _walk(
        {k: v for k, v in facts.items() if k != "dimensions"} if isinstance(facts, dict) else facts
    ):
        if isinstance(item, bool):
            continue
        if isinstance(item, int | float):
            out.append(float(item))
        elif isinstance(item, str):
            item = _without(item, names)
            for iso in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", item):  # a date: its year, month, day
                out += [float(part) for part in iso]
            out += [v for _, v, _ in numbers_in(re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", item), locale)]
    return out


def _walk(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(k)
            yield from _walk(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v)
    else:
        yield value


def ungrounded(text: str, facts: Any, locale: str | None = None) -> list[str]:
    """The numbers of ``text`` that match no fact (empty when the text is grounded).

    ``text`` and ``facts`` are read in ``locale``, the number locale the facts were written in
    (default: the current one, as :func:`dashboard.insights.narrate.facts` uses).
    """
    known = fact_numbers(facts, locale)
    bad = []
    # A name may be repeated (it is quoted data); the numbers inside it are not claims.
    for raw, value, tolerance in numbers_in(_without(text, names_in(facts)), locale):
        if not any(_matches(value, tolerance, f) for f in known):
            bad.append(raw)
    return bad


def _matches(value: float, tolerance: float, fact: float) -> bool:
    for candidate in (fact, -fact, abs(fact)):
        gap = abs(value - candidate)
        if gap <= tolerance + 1e-9 and (
            gap <= MAX_ROUNDING * abs(candidate) or gap <= 1e-9 or math.isclose(value, candidate)
        ):
            return True
    return False
