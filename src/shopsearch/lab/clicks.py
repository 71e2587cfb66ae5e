"""Judgments from the click log, corrected for position bias by inverse propensity weighting.

A shopper sees the result at position k with probability p(k) = k^-eta (eta = 0.5 by default), so a
click at position k counts 1/p(k): clicks low on the page, which happen despite being seen less,
count more. Each (query, product) sums click 1, cart 2, purchase 3, each divided by p(k); the
sum becomes a grade 1-3 (rounded, capped), so the click log and hand-made judgments share one scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from shopsearch.events.model import Event
from shopsearch.lab.judgments import Judgments

ACTION_VALUE = {"click": 1.0, "cart": 2.0, "purchase": 3.0}


def propensity(position: int, eta: float = 0.5) -> float:
    weight: float = max(position, 1) ** -eta
    return weight


def judgments_from_clicks(events: Iterable[Event], eta: float = 0.5, min_value: float = 1.0) -> Judgments:
    """Queries of the click log with their IPW-weighted products as graded judgments."""
    value: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in events:
        if event.query and event.position and event.type in ACTION_VALUE:
            value[event.query][event.product_id] += ACTION_VALUE[event.type] / propensity(event.position, eta)
    judged = Judgments()
    for query, products in value.items():
        graded = {pid: min(3, round(v)) for pid, v in products.items() if v >= min_value}
        if graded:
            judged.queries[query] = query
            for pid, grade in graded.items():
                judged.add(query, pid, max(grade, 1))
    return judged
