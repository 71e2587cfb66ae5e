"""Query and title text as comparable terms: pure functions behind the coverage signal and the ranker's features.

Product queries carry sizes ("3/4 in", "20 v", "5 gal") that titles spell differently
("3/4 in.", "20-Volt", "5-gal."), so numbers are split from their units and units are spelled one way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from rapidfuzz import fuzz, process

_UNITS = {
    "in": "in",
    "inch": "in",
    "inches": "in",
    '"': "in",
    "ft": "ft",
    "foot": "ft",
    "feet": "ft",
    "'": "ft",
    "gal": "gal",
    "gallon": "gal",
    "gallons": "gal",
    "v": "v",
    "volt": "v",
    "volts": "v",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "oz": "oz",
    "ounce": "oz",
    "ounces": "oz",
    "qt": "qt",
    "quart": "qt",
    "w": "w",
    "watt": "w",
    "watts": "w",
    "amp": "amp",
    "amps": "amp",
    "mm": "mm",
    "cm": "cm",
    "btu": "btu",
    "psi": "psi",
    "gauge": "ga",
    "ga": "ga",
    "pk": "pack",
    "pack": "pack",
    "piece": "pc",
    "pc": "pc",
    "sq": "sq",
    "cu": "cu",
    "yd": "yd",
    "yard": "yd",
    "ah": "ah",
    "hp": "hp",
    "cfm": "cfm",
    "gpm": "gpm",
}
_UNIT_NAMES = frozenset(_UNITS.values())
ProductField = Literal["title", "brand", "category"]
PRODUCT_FIELDS: tuple[ProductField, ...] = ("title", "brand", "category")  # the words a shopper sees on a result
STOPWORDS = frozenset("a an and the or for of in on to with by at from x".split())
_GLUED = re.compile(r"(\d)(?=[a-z\"'])")  # 20v -> 20 v, 3/4" -> 3/4 "
_TOKEN = re.compile(r"\d+(?:[./]\d+)*|[a-z]+|[\"']")


def _stem(token: str) -> str:
    """Unit spellings become one; a plural loses its s (plugs -> plug, glass stays)."""
    if token in _UNITS:
        return _UNITS[token]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def normalize_query(query: str) -> str:
    """A query as search, rules, the search log and events all compare it: lower case, spaces folded."""
    return " ".join(query.split()).lower()


@lru_cache(maxsize=65_536)
def terms(text: str) -> tuple[str, ...]:
    """Lower-cased word and number terms; quote marks survive only as inch/foot units after a number."""
    raw = _TOKEN.findall(_GLUED.sub(r"\1 ", text.lower()))
    kept = [t for i, t in enumerate(raw) if t not in "\"'" or (i > 0 and raw[i - 1][0].isdigit())]
    return tuple(_stem(t) for t in kept)


def product_terms(source: dict[str, Any], fields: Sequence[str] = PRODUCT_FIELDS) -> tuple[str, ...]:
    """The terms of a product's fields, in order (missing fields are empty)."""
    return terms(" ".join(str(source.get(f) or "") for f in fields))


def content_terms(query_terms: tuple[str, ...]) -> tuple[str, ...]:
    """The query's terms without stop words (all of them when nothing else is left)."""
    content = tuple(t for t in query_terms if t not in STOPWORDS)
    return content or query_terms


def measures(text_terms: tuple[str, ...]) -> set[tuple[str, str]]:
    """(number, unit) pairs: a number followed by a known unit."""
    return {(a, b) for a, b in zip(text_terms, text_terms[1:]) if a[0].isdigit() and b in _UNIT_NAMES}


def coverage(query_terms: tuple[str, ...], title_terms: tuple[str, ...]) -> float:
    """The share of the query's terms that the title contains (0 for an empty query)."""
    if not query_terms:
        return 0.0
    have = set(title_terms)
    return sum(t in have for t in query_terms) / len(query_terms)


def contains_phrase(query_terms: tuple[str, ...], title_terms: tuple[str, ...]) -> bool:
    """True when the query's terms appear in the title side by side, in order."""
    n = len(query_terms)
    return n > 0 and any(title_terms[i : i + n] == query_terms for i in range(len(title_terms) - n + 1))


def fuzzy_coverage(query_terms: tuple[str, ...], title_terms: tuple[str, ...], cutoff: float = 80) -> float:
    """Coverage that forgives a typo ("cieling" fan) and a split word (backsplash / back splash):
    a query word counts when it is at least `cutoff`% like a title word or two adjacent ones joined."""
    if not query_terms:
        return 0.0
    choices = {*title_terms, *(a + b for a, b in zip(title_terms, title_terms[1:]))}
    found = 0
    for term in query_terms:
        if term in choices or (
            len(term) > 3 and process.extractOne(term, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        ):
            found += 1
    return found / len(query_terms)


def similarity(query: str, title: str) -> tuple[float, float]:
    """Word-set and best-substring likeness of the raw strings, 0-1 (rapidfuzz token_set and partial ratios)."""
    query, title = query.lower(), title.lower()
    return fuzz.token_set_ratio(query, title) / 100, fuzz.partial_ratio(query, title) / 100
