"""Events, live shopper vectors and recommendation rails against the live node (the conftest shop, real MiniLM)."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from shopsearch.config import load_settings
from shopsearch.events.model import Event, parse_batch
from shopsearch.events.simulator import simulate
from shopsearch.indexer.service import Indexer
from shopsearch.recommend import cf
from shopsearch.recommend.holdout import holdout_hit_rates
from shopsearch.search_api.app import create_app

pytestmark = pytest.mark.engine


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def post(shop, events: list[dict] | dict) -> dict:
    response = shop["http"].post("/events", json=events)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_bad_event_is_rejected_with_its_reason_and_the_rest_stored(shop) -> None:
    who = user()
    batch = [
        {"user_id": who, "type": "view", "product_id": "K0"},
        {"user_id": who, "type": "wishlist", "product_id": "K1"},
        {"user_id": who, "type": "click", "product_id": "NOPE"},
        {"user_id": who, "type": "cart", "product_id": "K1", "position": -2},
        {"user_id": who, "type": "purchase", "product_id": "K1", "ts": "2026-01-01T10:00:00Z", "query": "knife"},
    ]
    result = post(shop, batch)
    assert result["accepted"] == 2 and result["accepted_indices"] == [0, 4]
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(1, "type"), (2, "product_id"), (3, "position")]
    assert "unknown product 'NOPE'" in result["rejected"][1]["reason"]
    events = shop["app"].extensions["shopsearch"].events.store
    assert events.count(who) == 2
    assert {e.type for e in events.scan(user_ids=[who])} == {"view", "purchase"}


def test_payloads_that_are_not_events(shop) -> None:
    http = shop["http"]
    assert http.post("/events", data="nope", content_type="application/json").status_code == 400
    too_many = [{"user_id": "u", "type": "view", "product_id": "K0"}] * 1001
    response = http.post("/events", json=too_many)
    assert response.status_code == 400 and "1 to 1000 events" in response.get_json()["error"]


def _knife_share(items: list[dict]) -> float:
    return sum(i["id"].startswith("K") for i in items) / max(len(items), 1)


def test_a_knife_buyer_sees_knives_higher_in_search_and_for_you(shop) -> None:
    who = user()
    before_search = shop["http"].get("/search", query_string={"q": "kitchen", "user_id": who, "size": 6}).get_json()
    cold = shop["http"].get("/recommend/for-you", query_string={"user_id": who, "size": 6}).get_json()["items"]
    assert all(item["reason"] == "popular" for item in cold)  # cold start
    post(
        shop,
        [
            {"user_id": who, "type": kind, "product_id": pid}
            for pid in ("K0", "K3")
            for kind in ("view", "click", "cart", "purchase")
        ],
    )
    after_search = shop["http"].get("/search", query_string={"q": "kitchen", "user_id": who, "size": 6}).get_json()
    assert not before_search["personalized"] and after_search["personalized"]
    assert _knife_share(after_search["hits"]) > _knife_share(before_search["hits"])
    warm = shop["http"].get("/recommend/for-you", query_string={"user_id": who, "size": 4}).get_json()["items"]
    assert _knife_share(warm) >= 0.75 and all(i["reason"] == "profile match" for i in warm)
    assert not {"K0", "K3"} & {i["id"] for i in warm}  # already bought


def test_rebuild_equals_the_incremental_profile(shop) -> None:
    who = user()
    start = datetime(2026, 10, 1, tzinfo=UTC)
    rng = random.Random(3)
    products = ["K0", "K1", "C0", "C2", "H0", "R1"]
    events = [
        {
            "user_id": who,
            "type": rng.choice(["view", "click", "cart", "purchase"]),
            "product_id": rng.choice(products),
            "ts": (start + timedelta(hours=rng.randint(0, 900))).isoformat(),
        }
        for _ in range(24)
    ]
    for chunk in (events[:10], events[10:11], events[11:]):  # out of time order across batches
        post(shop, chunk)
    services = shop["app"].extensions["shopsearch"]
    incremental = services.users.vector(who)
    behaviour = services.searcher.profiles.get(None).spec.behaviour
    services.users.rebuild([who], services.events.usable_events, behaviour)
    rebuilt = services.users.vector(who)
    assert incremental is not None and np.allclose(incremental, rebuilt, atol=1e-5)
    assert services.users.get(who)["event_counts"] == dict(Counter(e["type"] for e in events))


def test_forgetting_a_user_removes_profile_and_events(shop) -> None:
    who = user()
    post(
        shop,
        [
            {"user_id": who, "type": "purchase", "product_id": "C0"},
            {"user_id": who, "type": "view", "product_id": "C1"},
        ],
    )
    assert shop["http"].get(f"/users/{who}/vector").status_code == 200
    result = shop["http"].delete(f"/users/{who}").get_json()
    assert result == {"user_id": who, "deleted_events": 2, "profile_deleted": True, "verified_gone": True}
    assert shop["http"].get(f"/users/{who}/vector").status_code == 404
    assert shop["app"].extensions["shopsearch"].events.store.count(who) == 0


def test_similar_leaves_out_the_item_and_its_variants(os_settings, client, minilm_encoder, tmp_path: Path) -> None:
    alias = f"test-variants-{uuid.uuid4().hex[:8]}"
    catalog = [
        {"id": f"V{c}", "title": f"Trail running shoes ({colour})", "group_id": "V", "category": "Shoes"}
        for c, colour in enumerate(["red", "blue", "black"])
    ]
    catalog += [
        {"id": "S1", "title": "Road running shoes", "category": "Shoes"},
        {"id": "S2", "title": "Hiking boots", "category": "Shoes"},
        {"id": "X1", "title": "Espresso machine", "category": "Kitchen"},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in catalog))
    settings = load_settings(
        opensearch=os_settings.model_dump(),
        model={"path": minilm_encoder.model_dir},
        index={"alias": alias, "vector_cache": tmp_path / "v.sqlite", "dead_letter_dir": tmp_path},
    )
    try:
        Indexer(settings, client=client, encoder=minilm_encoder).reindex(path)
        http = create_app(settings, client=client, encoder=minilm_encoder).test_client()
        items = http.get("/recommend/similar/V0", query_string={"size": 2}).get_json()["items"]
        assert [i["id"] for i in items] == ["S1", "S2"]
        assert items[0]["reason"] == "similar to Trail running shoes (red)"
        assert http.get("/recommend/similar/NOPE").status_code == 404
    finally:
        client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)


def test_bought_together_recovers_planted_co_purchases(shop) -> None:
    from tests.conftest import SHOP

    sim = simulate(SHOP, users=80, seed=11, pairs=5)
    services = shop["app"].extensions["shopsearch"]
    for start in range(0, len(sim.events), 1000):
        post(shop, sim.events[start : start + 1000])
    table = cf.co_occurrence(cf.baskets(services.events.store.scan(types=("cart", "purchase"))))
    cf.store(services.client, services.settings.api.cf_index, table)
    for a, b in sim.pairs:
        items = shop["http"].get(f"/recommend/bought-together/{a}", query_string={"size": 3}).get_json()["items"]
        assert items[0]["id"] == b and items[0]["reason"].startswith("bought with"), (a, b, items)
    lonely = shop["http"].get("/recommend/bought-together/Z1", query_string={"size": 3}).get_json()["items"]
    assert len(lonely) == 3  # too little data: topped up with similar products


def test_for_you_beats_popularity_offline(os_settings, client, minilm_encoder, tmp_path: Path) -> None:
    """Simulated users over 600 sample products; each user's last purchase hidden."""
    catalog = Path(__file__).resolve().parents[2] / "data" / "sample_catalog.jsonl"
    lines = catalog.read_text(encoding="utf-8").splitlines()[:600]
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    suffix = uuid.uuid4().hex[:8]
    settings = load_settings(
        opensearch=os_settings.model_dump(),
        model={"path": minilm_encoder.model_dir},
        index={"alias": f"test-offline-{suffix}", "vector_cache": tmp_path / "v.sqlite", "dead_letter_dir": tmp_path},
        api={"users_index": f"test-offline-users-{suffix}"},
    )
    try:
        Indexer(settings, client=client, encoder=minilm_encoder).reindex(path)
        services = create_app(settings, client=client, encoder=minilm_encoder).extensions["shopsearch"]
        sim = simulate([json.loads(line) for line in lines], users=200, seed=5)
        events = [Event.model_validate(e) for e in sim.events]
        rates = holdout_hit_rates(events, services.users, services.recommender, services.searcher.profiles.get(None))
        print(
            f"\nhit-rate@10 on {rates['users']} simulated users: for-you {rates['for_you']:.3f}, "
            f"popular {rates['popular']:.3f}"
        )
        assert rates["users"] >= 100
        assert rates["for_you"] > rates["popular"]
    finally:
        client.indices.delete(index=f"test-offline-{suffix}-*", ignore_unavailable=True)


def _concurrently(calls: list) -> list:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_concurrent_first_batches_of_a_new_user_all_count(shop) -> None:
    who, app = user(), shop["app"]
    posts = [
        lambda: app.test_client().post("/events", json={"user_id": who, "type": "purchase", "product_id": "K0"})
        for _ in range(16)
    ]
    answers = _concurrently(posts)
    assert [(r.status_code, r.get_json()["profiles_updated"]) for r in answers] == [(200, True)] * 16
    profile = app.extensions["shopsearch"].users.get(who)
    assert profile["event_counts"] == {"purchase": 16}


def test_a_profile_put_during_live_events_loses_none_of_them(shop) -> None:
    who, app = user(), shop["app"]
    products = ["K0", "K1", "C0", "C2", "H0", "R1", "T0", "K3"]
    events = [
        lambda p=p: app.test_client().post("/events", json={"user_id": who, "type": "purchase", "product_id": p})
        for p in products
    ]
    puts = [lambda: app.test_client().put(f"/users/{who}/vector", json={"items": ["C1", "C3"]}) for _ in range(4)]
    assert {r.status_code for r in _concurrently(events + puts)} == {200}
    profile = app.extensions["shopsearch"].users.get(who)
    assert profile["event_counts"]["purchase"] == len(products) and profile["event_counts"]["items"] == 2
    assert sorted(profile["purchased"]) == sorted(products)


def test_cf_build_swaps_in_a_new_table_while_the_rail_keeps_answering(shop) -> None:
    import threading

    services, http = shop["app"].extensions["shopsearch"], shop["app"].test_client()
    alias = services.settings.api.cf_index
    cf.store(services.client, alias, {"K0": [{"id": "K1", "score": 0.9, "count": 3}]})
    bigger = {f"K{i}": [{"id": f"C{j}", "score": 0.5, "count": 2} for j in range(5)] for i in range(6)}
    builds = threading.Thread(target=lambda: [cf.store(services.client, alias, bigger) for _ in range(3)])
    builds.start()
    answers = []
    while builds.is_alive():
        answers.append(http.get("/recommend/bought-together/K0", query_string={"size": 3}))
    builds.join()
    assert answers and {a.status_code for a in answers} == {200} and all(a.get_json()["items"] for a in answers)
    assert len(services.client.indices.get_alias(name=alias)) == 1  # the old tables are gone


def test_oversized_baskets_are_left_out_and_counted() -> None:
    kept, oversized = cf.capped([{"a", "b"}, {str(i) for i in range(60)}, {"c", "d", "e"}], limit=50)
    assert kept == [{"a", "b"}, {"c", "d", "e"}] and oversized == 1


def test_forgetting_during_a_batch_in_flight_leaves_nothing(shop) -> None:
    """The batch's events were received before the forget; their shopper-vector update lands after it."""
    who = user()
    services = shop["app"].extensions["shopsearch"]
    post(shop, {"user_id": who, "type": "purchase", "product_id": "K0"})
    behaviour = services.searcher.profiles.get(None).spec.behaviour
    valid, _ = parse_batch([{"user_id": who, "type": "cart", "product_id": p} for p in ("K1", "C0")])
    in_flight = [event for _, event in valid]
    services.events.store.append(in_flight)  # stored before the forget...
    assert shop["http"].delete(f"/users/{who}").get_json()["verified_gone"]
    services.events._update_vectors(
        in_flight, services.users.known_vectors(["K1", "C0"]), behaviour
    )  # ...applied after
    assert services.users.get(who) is None and services.events.store.count(who) == 0
    assert who not in shop["http"].get("/users").get_json()["users"]
    later = post(shop, {"user_id": who, "type": "view", "product_id": "H0"})  # a shopper may come back
    assert later["accepted"] == 1 and services.users.get(who)["event_counts"] == {"view": 1}


def test_retention_deletes_old_events_and_their_trace_and_forget_still_leaves_nothing(shop) -> None:
    services = shop["app"].extensions["shopsearch"]
    behaviour = services.searcher.profiles.get(None).spec.behaviour
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    stayer, leaver = user(), user()
    post(
        shop,
        [
            {"user_id": stayer, "type": "purchase", "product_id": "K0", "ts": old},
            {"user_id": stayer, "type": "view", "product_id": "C0"},
            {"user_id": leaver, "type": "purchase", "product_id": "K1", "ts": old},
        ],
    )
    report = services.events.prune(180, behaviour)
    assert report["deleted_events"] >= 2 and report["profiles_deleted"] >= 1 and report["profiles_rebuilt"] >= 1
    assert services.users.get(stayer)["event_counts"] == {"view": 1} and services.users.get(stayer)["purchased"] == []
    assert services.users.get(leaver) is None and services.events.store.count(leaver) == 0
    assert services.events.store.count(stayer) == 1
    assert shop["http"].delete(f"/users/{stayer}").get_json()["verified_gone"]
    assert services.users.get(stayer) is None and services.events.store.count(stayer) == 0
