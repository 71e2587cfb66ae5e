"""Product families: variants (colours, sizes) that share ``attrs.group_id`` show as one result card,
led by the best-placed variant, with the others listed on it."""

from __future__ import annotations

from typing import Any

# The field is hits.GROUP_FIELD; what a card shows of each other variant is hits.Variant (hits.variant).


def group_of(source: dict[str, Any]) -> str | None:
    group = (source.get("attrs") or {}).get("group_id")
    return str(group) if group is not None else None


def collapse(
    order: list[int], groups: list[str | None], keep: set[int] | None = None
) -> tuple[list[int], dict[int, list[int]]]:
    """The order with one entry per group (its first member), and each leader's other members in order;
    the members in `keep` stay entries of their own."""
    leaders: dict[str, int] = {}
    kept: list[int] = []
    folded: dict[int, list[int]] = {}
    for i in order:
        group = None if keep and i in keep else groups[i]
        if group is not None and group in leaders:
            folded.setdefault(leaders[group], []).append(i)
            continue
        if group is not None:
            leaders[group] = i
        kept.append(i)
    return kept, folded
