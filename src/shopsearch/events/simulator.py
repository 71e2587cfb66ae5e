"""A deterministic shopper simulator over a catalog: users with stable tastes, sessions that go
view -> click -> cart -> purchase, a popularity skew, and planted co-purchases to recover.

Each user has a favourite and a second category, a preferred brand and a price taste. Most
sessions browse the favourite category; about one in eight is a "bundle" session that buys one of
the planted pairs (A, B) together. Browse sessions start from a query (the category's name, sometimes
with the favourite brand) and the position each product was shown at, as a click log would; the
chance of a click falls with the position (k^-0.5). Same seed and catalog:
same events.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FUNNEL = {"click": 0.7, "cart": 0.35, "purchase": 0.6}  # P(next step | previous step), before position bias


def examination(position: int) -> float:
    """P(a shopper looks at the result at this position): the bias the click log must correct."""
    return position ** -0.5


@dataclass
class Simulation:
    events: list[dict[str, Any]]
    pairs: list[tuple[str, str]]
    tastes: dict[str, dict[str, Any]] = field(default_factory=dict)


def simulate(products: list[dict[str, Any]], users: int = 300, seed: int = 7, days: int = 60,
             pairs: int = 25, now: datetime | None = None) -> Simulation:
    rng = random.Random(seed)
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
            for offset, (kind, product_id, position) in enumerate(steps):
                ts = start + timedelta(seconds=30 * offset + rng.randint(0, 20))
                event = {"user_id": user, "type": kind, "product_id": product_id,
                         "ts": ts.isoformat(timespec="seconds"), "session_id": session_id}
                if query:
                    event.update(query=query, position=position)
                sim.events.append(event)
    sim.events.sort(key=lambda e: e["ts"])
    return sim


def _plant_pairs(rng: random.Random, by_category: dict, categories: list[str], count: int) -> list[tuple[str, str]]:
    """Pairs of products from two different categories: the co-purchases bought-together must find."""
    planted, used = [], set()
    while len(planted) < count and len(categories) > 1:
        first, second = rng.sample(categories, 2)
        a, b = rng.choice(by_category[first])["id"], rng.choice(by_category[second])["id"]
        if a not in used and b not in used:
            planted.append((a, b))
            used.update((a, b))
    return planted


def _taste(rng: random.Random, by_category: dict, categories: list[str]) -> dict[str, Any]:
    weights = [len(by_category[c]) for c in categories]
    favourite, second = rng.choices(categories, weights, k=2)
    brand = rng.choice(by_category[favourite]).get("brand")
    return {"favourite": favourite, "second": second, "brand": brand, "cheap": rng.random() < 0.5}


def _browse_session(rng: random.Random, by_category: dict, categories: list[str],
                    taste: dict[str, Any]) -> tuple[list[tuple[str, str, int]], str]:
    """A search session in one category: the query typed, then view -> click -> cart -> purchase."""
    roll = rng.random()
    category = taste["favourite"] if roll < 0.75 else taste["second"] if roll < 0.95 else rng.choice(categories)
    pool = by_category[category]
    prices = sorted(p.get("price") or 0 for p in pool)

    def appeal(product: dict[str, Any]) -> float:
        popularity = (1 + (product.get("sales") or 0)) ** 0.5
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


def _bundle_session(rng: random.Random, planted: list[tuple[str, str]], taste: dict) -> list[tuple[str, str, int]]:
    a, b = rng.choice(planted)
    return [(kind, item, 0) for item in (a, b) for kind in ("view", "click", "cart", "purchase")]


def _sample_without_replacement(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    chosen, items, weights = [], list(items), list(weights)
    for _ in range(min(k, len(items))):
        index = rng.choices(range(len(items)), weights)[0]
        chosen.append(items.pop(index))
        weights.pop(index)
    return chosen
