"""Facet counts: from OpenSearch aggregations, plus the documents only the k-NN side found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from shopsearch.queries.products import PRICE_BUCKETS  # the aggregations themselves: queries.products.facets


def from_aggregations(aggs: dict[str, Any], extra: Sequence[dict[str, Any]] = ()) -> dict[str, list[dict[str, Any]]]:
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
