"""Offline check of the for-you rail: hide each user's last purchase, rank from what came before.

hit-rate@k = share of users whose hidden purchase is in their top k. The baseline is the popular
rail (business value: sales, price) without the user's earlier purchases.
"""

from __future__ import annotations

from collections import defaultdict

from shopsearch.events.model import Event
from shopsearch.recommend.rails import Recommender
from shopsearch.relevance.profile import RelevanceProfile
from shopsearch.users.store import ShopperVectorStore
from shopsearch.users.vectors import Touch, accumulate, direction


def holdout_hit_rates(
    events: list[Event], users: ShopperVectorStore, recommender: Recommender, profile: RelevanceProfile, k: int = 10
) -> dict[str, float]:
    behaviour = profile.spec.behaviour
    vectors = users.known_vectors({e.product_id for e in events})
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.product_id in vectors:
            grouped[event.user_id].append(event)
    hits = {"for_you": 0, "popular": 0}
    popular = [item["id"] for item in recommender.popular(k + 50, None, profile)]
    evaluated = 0
    for user_events in grouped.values():
        purchases = sorted((e for e in user_events if e.type == "purchase"), key=Event.when)
        if len(purchases) < 2:
            continue
        held = purchases[-1]
        train = [e for e in user_events if e.when() < held.when() and e.session_id != held.session_id]
        bought = list({e.product_id for e in train if e.type == "purchase"})
        if not train or held.product_id in bought:
            continue
        touches = [Touch(e.when(), behaviour.weights[e.type], vectors[e.product_id]) for e in train]
        vector = direction(accumulate(None, None, touches, behaviour.half_life_seconds)[0])
        if vector is None:
            continue
        evaluated += 1
        ranked = [item["id"] for item in recommender.for_vector(vector, bought, k, None, profile)]
        hits["for_you"] += held.product_id in ranked
        hits["popular"] += held.product_id in [p for p in popular if p not in bought][:k]
    return {"users": evaluated, **{name: count / max(evaluated, 1) for name, count in hits.items()}}
