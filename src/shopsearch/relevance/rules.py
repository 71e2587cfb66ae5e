"""Query rules: what a merchandiser pins, hides, boosts, buries or redirects for a query, as YAML files
in ``mappings/rules/`` (validated at load, re-read on change).

A rule fires when every condition of its ``when`` holds for the request; its ``then`` acts after the
blend: hidden products are filtered out inside OpenSearch (totals and paging stay right), boosts add
to the score (and show in ``explain`` as ``rule.<id>``), buried products go after all others, pinned
products take their positions, and a redirect is returned for the shop page to follow.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shopsearch.errors import ConfigError, first_problem
from shopsearch.ids import DocId
from shopsearch.relevance.watched import WatchedDirectory
from shopsearch.text import normalize_query


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Where(_Strict):
    """Products a boost or bury acts on: every field given must hold (a category matches below it too)."""

    brand: str | None = None
    category: str | None = None
    in_stock: bool | None = None
    price_min: float | None = Field(default=None, ge=0)
    price_max: float | None = Field(default=None, ge=0)
    ids: list[DocId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> Where:
        given = [v for k, v in self if k != "ids" and v is not None]
        if not given and not self.ids:  # an empty `where` (or only nulls) would select every product
            raise ValueError("give at least one of brand, category, in_stock, price_min, price_max, ids")
        return self

    def matches(self, doc_id: str, source: dict[str, Any]) -> bool:
        price = source.get("price")
        category = source.get("category") or ""
        return (
            (not self.ids or doc_id in self.ids)
            and (self.brand is None or source.get("brand") == self.brand)
            and (self.category is None or category == self.category or category.startswith(self.category + " >"))
            and (self.in_stock is None or source.get("in_stock") == self.in_stock)
            and (self.price_min is None or (price is not None and price >= self.price_min))
            and (self.price_max is None or (price is not None and price <= self.price_max))
        )


class When(_Strict):
    """The query is one of ``exact``, or holds one of the ``contains`` phrases as whole words; ``category``
    and ``brand`` require the shopper to have filtered by them. Queries compare lower-cased, spaces folded."""

    exact: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)
    category: str | None = None
    brand: str | None = None

    @model_validator(mode="after")
    def _something(self) -> When:
        if not (self.exact or self.contains or self.category or self.brand):
            raise ValueError("give at least one of exact, contains, category, brand")
        self.exact = [normalize_query(q) for q in self.exact]
        self.contains = [normalize_query(q) for q in self.contains]
        return self

    def matches(self, q: str, category: str | None, brand: str | None) -> bool:
        q = normalize_query(q)
        said = (not self.exact or q in self.exact) and (
            not self.contains or any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", q) for p in self.contains)
        )
        return said and self.category in (None, category) and self.brand in (None, brand)


class Pin(_Strict):
    id: DocId
    position: int = Field(ge=1, le=100, description="1 is the first result of the first page.")


class Boost(_Strict):
    where: Where
    by: float = Field(gt=0, description="Added to the blended score of the products `where` selects.")


class Then(_Strict):
    pin: list[Pin] = Field(default_factory=list)
    hide: list[DocId] = Field(default_factory=list)
    boost: list[Boost] = Field(default_factory=list)
    bury: list[Where] = Field(default_factory=list)
    redirect: str | None = Field(default=None, pattern=r"^(https?://|/)\S+$")

    @model_validator(mode="after")
    def _something(self) -> Then:
        if not (self.pin or self.hide or self.boost or self.bury or self.redirect):
            raise ValueError("give at least one of pin, hide, boost, bury, redirect")
        return self


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    description: str = ""
    enabled: bool = True
    when: When
    then: Then


class RuleFile(_Strict):
    rules: list[Rule] = Field(default_factory=list)


def load_rules(path: Path) -> list[Rule]:
    """One rules file; errors name the file and the key (rules.0.then.pin.0.position: ...)."""
    try:
        return RuleFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {}).rules
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_problem(exc)}") from None


def _unique(path: Path) -> list[Rule]:
    rules = load_rules(path)
    seen = [r.id for r in rules]
    if len(set(seen)) != len(seen):
        raise ConfigError(f"{path}: rule ids must be unique, {sorted({i for i in seen if seen.count(i) > 1})} repeat")
    return rules


class RuleSet:
    """Every enabled rule of a directory's ``*.yaml`` files, files in name order; no directory, no rules."""

    def __init__(self, directory: Path) -> None:
        self._files = WatchedDirectory(directory, _unique, "query rules")
        self.all()  # a broken file fails the start, not the first search

    def all(self) -> list[Rule]:
        return [rule for rules in self._files.current().values() for rule in rules if rule.enabled]

    def firing(self, q: str, category: str | None, brand: str | None) -> list[Rule]:
        return [rule for rule in self.all() if rule.when.matches(q, category, brand)]


def hidden(fired: list[Rule]) -> list[str]:
    return sorted({doc_id for rule in fired for doc_id in rule.then.hide})


def redirect(fired: list[Rule]) -> str | None:
    return next((rule.then.redirect for rule in fired if rule.then.redirect), None)


def boosts(fired: list[Rule], ids: list[str], sources: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Each firing rule's boost per candidate (`rule.<id>`), for rules that boost any of them."""
    parts = {}
    for rule in fired:
        values = np.array([sum(b.by for b in rule.then.boost if b.where.matches(i, s)) for i, s in zip(ids, sources)])
        if values.any():
            parts[f"rule.{rule.id}"] = values
    return parts


def bury(
    fired: list[Rule], order: list[int], ids: list[str], sources: list[dict[str, Any]]
) -> tuple[list[int], dict[int, str]]:
    """The order with buried candidates moved behind all others (each group keeps its order), and why."""
    why = {i: rule.id for rule in fired for where in rule.then.bury for i in order if where.matches(ids[i], sources[i])}
    return [i for i in order if i not in why] + [i for i in order if i in why], why


def pins(fired: list[Rule], hidden_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Product id -> (0-based position, rule id); the first rule to pin a product or take a position wins."""
    placed: dict[str, tuple[int, str]] = {}
    for rule in fired:
        for pin in rule.then.pin:
            taken = {position for position, _ in placed.values()}
            if pin.id not in placed and pin.id not in hidden_ids and pin.position - 1 not in taken:
                placed[pin.id] = (pin.position - 1, rule.id)
    return placed


def place(ranked: list[str], placed: dict[str, tuple[int, str]]) -> list[str]:
    """The ranked ids with the pinned ones moved to their positions (or last, when the list is shorter)."""
    rest = [doc_id for doc_id in ranked if doc_id not in placed]
    for doc_id, (position, _) in sorted(placed.items(), key=lambda item: item[1][0]):
        rest.insert(min(position, len(rest)), doc_id)
    return rest
