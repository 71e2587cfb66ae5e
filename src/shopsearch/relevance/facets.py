"""Facet counts: from OpenSearch aggregations, plus the documents only the k-NN side found."""

from __future__ import annotations

from collections import Counter
from typing import Any

PRICE_BUCKETS: list[tuple[float | None, float | None]] = [
    (None, 25),
    (25, 50),
    (50, 100),
    (100, 250),
    (250, 500),
    (500, None),
]


def aggregations() -> dict[str, Any]:
    """Brand, category (every level) and price-range counts, computed inside OpenSearch."""
    ranges = [{k: v for k, v in (("from", low), ("to", high)) if v is not None} for low, high in PRICE_BUCKETS]
    return {
        "brand": {"terms": {"field": "brand", "size": 30}},
        "category": {"terms": {"field": "category_levels", "size": 100}},
        "price": {"range": {"field": "price", "ranges": ranges}},
    }


def from_aggregations(aggs: dict[str, Any], extra: list[dict[str, Any]] = ()) -> dict[str, list[dict[str, Any]]]:
    """The response's facets: the engine's counts plus those of `extra` sources (k-NN-only hits)."""
    brands = Counter({b["key"]: b["doc_count"] for b in aggs.get("brand", {}).get("buckets", [])})
    categories = Counter({b["key"]: b["doc_count"] for b in aggs.get("category", {}).get("buckets", [])})
    prices = [b["doc_count"] for b in aggs.get("price", {}).get("buckets", [])] or [0] * len(PRICE_BUCKETS)
    for source in extra:
        brands.update([source["brand"]] if source.get("brand") else [])
        categories.update(source.get("category_levels") or [])
        if source.get("price") is not None:
            prices[_price_bucket(source["price"])] += 1
    return {
        "brand": [{"value": k, "count": n} for k, n in brands.most_common()],
        "category": [{"value": k, "count": n} for k, n in categories.most_common()],
        "price": [{"from": low, "to": high, "count": n} for (low, high), n in zip(PRICE_BUCKETS, prices)],
    }


def _price_bucket(price: float) -> int:
    """Index of the range holding price (ranges include `from`, exclude `to`, as OpenSearch does)."""
    return next(
        i
        for i, (low, high) in enumerate(PRICE_BUCKETS)
        if (low is None or price >= low) and (high is None or price < high)
    )
