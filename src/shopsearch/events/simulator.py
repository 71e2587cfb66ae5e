"""A deterministic shopper simulator over a catalog: users with stable tastes, sessions that go
view -> click -> cart -> purchase, a popularity skew, and planted co-purchases to recover.

Each user has a favourite and a second category, a preferred brand and a price taste. Most
sessions browse the favourite category; about one in eight is a "bundle" session that buys one of
the planted pairs (A, B) together. Browse sessions start from a query (the category's name, sometimes
with the favourite brand) and the position each product was shown at, as a click log would; the
chance of a click falls with the position (k^-0.5). Each browse session also leaves its search in
the search log (the query and the products shown), and about one in twenty is preceded by a
misspelt query that found nothing. Same seed and catalog: same events and searches (the search log
draws from a generator of its own, so the events are those of a simulation without it).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")
FUNNEL = {"click": 0.7, "cart": 0.35, "purchase": 0.6}  # P(next step | previous step), before position bias


def examination(position: int) -> float:
    """P(a shopper looks at the result at this position): the bias the click log must correct."""
    return float(position**-0.5)


@dataclass
class Simulation:
    events: list[dict[str, Any]]
    pairs: list[tuple[str, str]]
    tastes: dict[str, dict[str, Any]] = field(default_factory=dict)
    searches: list[dict[str, Any]] = field(default_factory=list)  # search log lines (events.searches)


def simulate(
    products: list[dict[str, Any]],
    users: int = 300,
    seed: int = 7,
    days: int = 60,
    pairs: int = 25,
    now: datetime | None = None,
) -> Simulation:
    rng, typos = random.Random(seed), random.Random(seed + 1)
    now = now or datetime(2026, 11, 1, tzinfo=UTC)
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for product in products:
        by_category[product.get("category") or "other"].append(product)
    categories = sorted(by_category)
    planted = _plant_pairs(rng, by_category, categories, pairs)
    sim = Simulation([], planted)
    for number in range(1, users + 1):
        user = f"u{number:04d}"
        taste = _taste(rng, by_category, categories)
        sim.tastes[user] = taste
        for session in range(rng.randint(3, 8)):
            start = now - timedelta(days=rng.uniform(0, days))
            session_id = f"{user}-s{session}"
            query = None
            if rng.random() < 0.12:
                steps = _bundle_session(rng, planted, taste)
            else:
                steps, query = _browse_session(rng, by_category, categories, taste)
                sim.searches += _searches(typos, user, start, query, [p for kind, p, _ in steps if kind == "view"])
            for offset, (kind, product_id, position) in enumerate(steps):
                ts = start + timedelta(seconds=30 * offset + rng.randint(0, 20))
                event: dict[str, Any] = {
                    "user_id": user,
                    "type": kind,
                    "product_id": product_id,
                    "ts": ts.isoformat(timespec="seconds"),
                    "session_id": session_id,
                }
                if query:
                    event.update(query=query, position=position)
                sim.events.append(event)
    sim.events.sort(key=lambda e: e["ts"])
    sim.searches.sort(key=lambda s: s["@timestamp"])
    return sim


def _plant_pairs(
    rng: random.Random, by_category: dict[str, list[dict[str, Any]]], categories: list[str], count: int
) -> list[tuple[str, str]]:
    """Pairs of products from two different categories: the co-purchases bought-together must find."""
    planted: list[tuple[str, str]] = []
    used: set[str] = set()
    while len(planted) < count and len(categories) > 1:
        first, second = rng.sample(categories, 2)
        a, b = rng.choice(by_category[first])["id"], rng.choice(by_category[second])["id"]
        if a not in used and b not in used:
            planted.append((a, b))
            used.update((a, b))
    return planted


def _taste(rng: random.Random, by_category: dict[str, list[dict[str, Any]]], categories: list[str]) -> dict[str, Any]:
    weights = [len(by_category[c]) for c in categories]
    favourite, second = rng.choices(categories, weights, k=2)
    brand = rng.choice(by_category[favourite]).get("brand")
    return {"favourite": favourite, "second": second, "brand": brand, "cheap": rng.random() < 0.5}


def _browse_session(
    rng: random.Random, by_category: dict[str, list[dict[str, Any]]], categories: list[str], taste: dict[str, Any]
) -> tuple[list[tuple[str, str, int]], str]:
    """A search session in one category: the query typed, then view -> click -> cart -> purchase."""
    roll = rng.random()
    category = taste["favourite"] if roll < 0.75 else taste["second"] if roll < 0.95 else rng.choice(categories)
    pool = by_category[category]
    prices = sorted(p.get("price") or 0 for p in pool)

    def appeal(product: dict[str, Any]) -> float:
        popularity: float = (1 + (product.get("sales") or 0)) ** 0.5
        brand = 3.0 if product.get("brand") == taste["brand"] else 1.0
        rank = prices.index(product.get("price") or 0) / max(len(prices) - 1, 1)
        price_fit = 2.0 if (rank < 0.5) == taste["cheap"] else 1.0
        return popularity * brand * price_fit

    viewed = _sample_without_replacement(rng, pool, [appeal(p) for p in pool], rng.randint(2, 6))
    steps = []
    for position, product in enumerate(viewed, start=1):
        steps.append(("view", product["id"], position))
        for kind, chance in FUNNEL.items():
            # Position bias: a shopper examines result k with probability k^-0.5 before clicking.
            if rng.random() >= chance * (examination(position) if kind == "click" else 1.0):
                break
            steps.append((kind, product["id"], position))
    leaf = category.split(" > ")[-1].lower()
    query = f"{taste['brand']} {leaf}".lower() if category == taste["favourite"] and rng.random() < 0.3 else leaf
    return steps, query


def _searches(rng: random.Random, user: str, start: datetime, query: str, shown: list[str]) -> list[dict[str, Any]]:
    """The session's search as the API logs it, after a misspelling that found nothing one time in twenty."""
    line = {"@timestamp": start.isoformat(timespec="seconds"), "user_id": user, "query": query, "first": 1}
    found = [{**line, "results": len(shown), "shown": shown}]
    if len(query) > 4 and rng.random() < 0.05:
        cut = rng.randrange(1, len(query) - 1)
        typo = {
            **line,
            "@timestamp": (start - timedelta(seconds=10)).isoformat(timespec="seconds"),
            "query": query[:cut] + query[cut + 1 :],
            "results": 0,
            "shown": [],
        }
        return [typo, *found]
    return found


def _bundle_session(
    rng: random.Random, planted: list[tuple[str, str]], taste: dict[str, Any]
) -> list[tuple[str, str, int]]:
    a, b = rng.choice(planted)
    return [(kind, item, 0) for item in (a, b) for kind in ("view", "click", "cart", "purchase")]


def _sample_without_replacement(rng: random.Random, items: list[T], weights: list[float], k: int) -> list[T]:
    chosen: list[T] = []
    items, weights = list(items), list(weights)
    for _ in range(min(k, len(items))):
        index = rng.choices(range(len(items)), weights)[0]
        chosen.append(items.pop(index))
        weights.pop(index)
    return chosen
