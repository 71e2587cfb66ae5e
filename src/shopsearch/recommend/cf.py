"""Item-to-item collaborative filtering from co-occurrence in baskets (carts and purchases).

similarity(i, j) = c_ij / sqrt(n_i · n_j) (cosine over baskets), kept when c_ij >= min_count.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from opensearchpy import OpenSearch, helpers

from shopsearch.events.model import Event
from shopsearch.indexer.lifecycle import alias_targets, new_index_name, prune, swap_alias

MAX_BASKET = 50  # a basket costs its size squared in pairs, and a client decides how big it is


def baskets(events: Iterable[Event]) -> list[set[str]]:
    """Products carted or bought together: per session when there is one, else per user and day."""
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in events:
        if event.type in ("cart", "purchase"):
            key = event.session_id or event.when().date().isoformat()
            grouped[event.user_id, key].add(event.product_id)
    return [basket for basket in grouped.values() if len(basket) > 1]


def capped(groups: list[set[str]], limit: int = MAX_BASKET) -> tuple[list[set[str]], int]:
    """The baskets of at most `limit` products, and how many larger ones were left out (bulk orders, bots)."""
    kept = [group for group in groups if len(group) <= limit]
    return kept, len(groups) - len(kept)


def co_occurrence(groups: Iterable[set[str]], min_count: int = 2, top: int = 20) -> dict[str, list[dict[str, Any]]]:
    """For each item, its `top` neighbours by cosine similarity, with the raw co-occurrence count."""
    items: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for group in groups:
        items.update(group)
        pairs.update(combinations(sorted(group), 2))
    neighbours: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (a, b), count in pairs.items():
        if count < min_count:
            continue
        score = count / math.sqrt(items[a] * items[b])
        neighbours[a].append({"id": b, "score": round(score, 6), "count": count})
        neighbours[b].append({"id": a, "score": round(score, 6), "count": count})
    return {item: sorted(found, key=lambda n: (-n["score"], n["id"]))[:top] for item, found in neighbours.items()}


def store(client: OpenSearch, alias: str, table: dict[str, list[dict[str, Any]]]) -> int:
    """Write the table into a new index, then move the alias to it in one atomic step and drop the old one:
    the rails answer from the old table until the swap, and a failed build leaves it serving."""
    index = new_index_name(alias)
    client.indices.create(
        index=index,
        body={
            "settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}},
            "mappings": {"dynamic": False, "properties": {"neighbours": {"type": "object", "enabled": False}}},
        },
    )
    actions = ({"_index": index, "_id": item, "_source": {"neighbours": found}} for item, found in table.items())
    try:
        written, _ = helpers.bulk(client, actions, refresh=True)
    except Exception:
        client.indices.delete(index=index, ignore_unavailable=True)
        raise
    if client.indices.exists(index=alias) and not alias_targets(client, alias):  # a table from before the alias
        client.indices.delete(index=alias)
    swap_alias(client, alias, index)
    prune(client, alias, keep=0)
    return int(written)
