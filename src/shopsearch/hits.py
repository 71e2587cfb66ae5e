"""What a shopper sees of a product, in one place: its public fields, what a result reads from the index,
and the shape of each kind of result (a search hit, a variant on its card, a rail item, a suggestion).

Each shape is a response model (the API's documentation in /openapi.json, and what the tests check real
responses against) beside the function that builds it from an OpenSearch hit. The product fields a shape
shows are the ones its model declares (`shown`), so a field added to a model is shown at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shopsearch.ids import DocId

GROUP_FIELD = "attrs.group_id"  # variants of one product share it (relevance/variants.py collapses them)


class Shown(BaseModel):
    """What a response shows and nothing else: an unknown field is a bug in the builder (a test fails)."""

    model_config = ConfigDict(extra="forbid")


class Named(Shown):
    """How every kind of result names a product."""

    id: str
    title: str | None = None
    brand: str | None = None
    category: str | None = None


class Listed(Named):
    price: float | None = None
    sales: int | None = None


class Product(Listed):
    """A product's public fields: what GET /products/<id> shows a shopper."""

    description: str | None = None
    tags: list[str] | None = None
    rating: float | None = None
    in_stock: bool | None = None
    created_at: str | None = None


class Variant(Shown):
    """Another variant of a hit's product family, as its card lists it."""

    id: DocId
    title: str | None = None
    price: float | None = Field(default=None, description="This variant's own price.")
    in_stock: bool | None = Field(default=None, description="Whether this variant is in stock.")


class Hit(Listed):
    in_stock: bool | None = None
    score: float | None = Field(default=None, description="The blended score (None for field sorts).")
    explain: dict[str, float] | None = Field(
        default=None, description="Each signal's weighted contribution; they add up to score."
    )
    rules: list[str] | None = Field(default=None, description="With explain: what query rules did to this hit.")
    variants: list[Variant] | None = Field(default=None, description="The product family's other variants (group_id).")
    arm: str | None = Field(default=None, description="Under an experiment: the arm (a or b) that placed this hit.")


class RailItem(Listed):
    score: float
    reason: str = Field(description="Why it is here: similar, bought with ..., popular, for you.")


class Suggestion(Named):
    pass


PUBLIC_FIELDS = [name for name in Product.model_fields if name != "id"]


def shown(model: type[BaseModel]) -> list[str]:
    """The public product fields a response model shows, in its order."""
    return [name for name in model.model_fields if name in PUBLIC_FIELDS]


# What a result reads from _source: what it shows, plus what signals, facets and rules read.
RESULT_FIELDS = ["id", "title", "brand", "category", "category_levels", "price", "sales", "stock", "in_stock", "rating"]
ITEM_FIELDS = [*RESULT_FIELDS, GROUP_FIELD]  # with the family: variants collapse into one card
SUGGESTION_FIELDS = shown(Suggestion)
_HIT, _VARIANT, _ITEM = shown(Hit), shown(Variant), shown(RailItem)


def hit(
    source: dict[str, Any],
    doc_id: str,
    score: float | None,
    explain: dict[str, float] | None,
    rule_notes: list[str] | None = None,
) -> dict[str, Any]:
    """A search result (`Hit`); with explain, each signal's part and what query rules did to it."""
    found: dict[str, Any] = {
        "id": doc_id,
        **{k: source.get(k) for k in _HIT},
        "score": None if score is None else round(float(score), 6),
    }
    if explain is not None:
        found["explain"] = {name: round(value, 6) for name, value in explain.items()}
        if rule_notes:
            found["rules"] = rule_notes
    return found


def variant(doc_id: str, source: dict[str, Any]) -> dict[str, Any]:
    """Another variant of a product family, as its card lists it (`Variant`)."""
    return {"id": doc_id, **{k: source.get(k) for k in _VARIANT}}


def rail_item(found: dict[str, Any], score: float, reason: str) -> dict[str, Any]:
    """A recommended product (`RailItem`) from an OpenSearch hit or document, with why it is there."""
    source = found["_source"]
    return {
        "id": found["_id"],
        **{k: source.get(k) for k in _ITEM},
        "score": round(float(score), 6),
        "reason": reason,
    }


def suggestion(found: dict[str, Any]) -> dict[str, Any]:
    """A product the search box suggests (`Suggestion`): the fields it has of those."""
    return {"id": found["_id"], **{k: v for k, v in found["_source"].items() if k in SUGGESTION_FIELDS}}


def product(found: dict[str, Any]) -> dict[str, Any]:
    """A product's page (`Product`): its public fields that have a value (nothing else of the document)."""
    public = {k: v for k, v in found["_source"].items() if k in PUBLIC_FIELDS}
    return Product.model_validate({**public, "id": found["_id"]}).model_dump(exclude_none=True)
