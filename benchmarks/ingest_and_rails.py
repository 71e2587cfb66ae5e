"""Events benchmark on loopback: ingestion (batched and single, durable), event-to-search latency,
and recommendation latency. Needs the engine with the sample index (`./run demo`):

    python benchmarks/ingest_and_rails.py [--events 5000] [--requests 200]

Events are acknowledged only after OpenSearch has written them to its translog (durable), and the
shopper vector is written with refresh=true, so the next search sees it.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from _server import api_server, percentiles_ms

from shopsearch.events.simulator import simulate

ROOT = Path(__file__).resolve().parents[1]


def ingest_batched(base: str, events: list[dict], batch: int) -> float:
    began = time.perf_counter()
    with requests.Session() as session:
        for start in range(0, len(events), batch):
            result = session.post(f"{base}/events", json=events[start : start + batch], timeout=120).json()
            assert result["accepted"] == len(events[start : start + batch]), result["rejected"][:3]
    return len(events) / (time.perf_counter() - began)


def ingest_single(base: str, events: list[dict], clients: int) -> float:
    def one(event: dict) -> None:
        assert requests.post(f"{base}/events", json=event, timeout=60).json()["accepted"] == 1

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, events))
    return len(events) / (time.perf_counter() - began)


def event_to_search_ms(base: str, product_ids: list[str]) -> float:
    """From sending a new user's first purchase to a /search that is personalised by it."""
    user = f"fresh-{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    requests.post(
        f"{base}/events", json={"user_id": user, "type": "purchase", "product_id": product_ids[0]}, timeout=30
    ).raise_for_status()
    while not requests.get(f"{base}/search", params={"q": "gift", "user_id": user}, timeout=30).json()["personalized"]:
        time.sleep(0.005)
    return (time.perf_counter() - began) * 1000


def rail_latency(base: str, path: str, params: dict, count: int) -> tuple[float, float, float]:
    latencies = []
    with requests.Session() as session:
        for _ in range(count):
            began = time.perf_counter()
            session.get(f"{base}{path}", params=params, timeout=30).raise_for_status()
            latencies.append(time.perf_counter() - began)
    return percentiles_ms(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    products = [json.loads(line) for line in (ROOT / "data" / "sample_catalog.jsonl").open(encoding="utf-8")]
    tag = uuid.uuid4().hex[:6]
    sim = simulate(products, users=400, seed=99)
    events = [{**e, "user_id": f"bench-{tag}-{e['user_id']}"} for e in sim.events]
    with api_server() as base:
        batched = ingest_batched(base, events[: args.events], 500)
        single_1 = ingest_single(base, events[args.events : args.events + 200], 1)
        single_8 = ingest_single(base, events[args.events + 200 : args.events + 600], 8)
        lag = sorted(event_to_search_ms(base, [p["id"] for p in products[i:]]) for i in range(20))
        user = events[0]["user_id"]
        pid = products[0]["id"]
        rails = {
            "for-you": rail_latency(base, "/recommend/for-you", {"user_id": user}, args.requests),
            "similar": rail_latency(base, f"/recommend/similar/{pid}", {}, args.requests),
            "bought-together": rail_latency(base, f"/recommend/bought-together/{pid}", {}, args.requests),
        }
    print(f"ingestion, batches of 500:        {batched:8.0f} events/s")
    print(f"ingestion, single events, 1 client: {single_1:6.0f} events/s")
    print(f"ingestion, single events, 8 clients: {single_8:5.0f} events/s")
    print(f"event -> personalised search:    p50 {lag[len(lag) // 2]:.1f} ms, max {lag[-1]:.1f} ms (20 users)")
    for name, (p50, p95, p99) in rails.items():
        print(f"{name + ' rail:':26} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms")


if __name__ == "__main__":
    main()
