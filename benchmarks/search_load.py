"""Search load benchmark on loopback: BM25-only vs the full blend with a user profile.

Needs the local engine with the sample catalog indexed (`./run demo` does both). Starts
`shopsearch serve` on a free port, sets one user's profile, then for 1, 4 and 16 concurrent
clients sends a fixed number of requests per mode and prints p50/p95/p99 latency and throughput:

    python benchmarks/search_load.py [--requests 300] [--workers 2]

Target: p50(full blend) / p50(BM25 only) <= 1.5.
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests
from _server import api_server, percentiles_ms

QUERIES = ["chef knife", "running shoes", "wireless headphones", "cast iron skillet", "yoga mat", "rain jacket",
           "bluetooth speaker", "power bank", "espresso machine", "camping tent", "dog bed", "sunscreen",
           "mechanical keyboard", "summer dress", "standing desk", "french press", "sleeping bag", "phone case",
           "菜刀", "龙井", "trail running shoes for mud", "something to keep my coffee hot", "gift for a runner",
           "noise cancelling earbuds", "knife set with block", "lightweight hiking backpack", "vitamin c serum",
           "building set for kids", "ergonomic office chair", "usb-c hub"]
MODES = {"bm25": {"profile": "bm25"}, "blend": {"profile": "default", "user_id": "bench-user"}}


def run_level(base: str, params: dict, clients: int, total: int) -> tuple[np.ndarray, float]:
    """Send `total` requests from `clients` threads (keep-alive sessions); return latencies and wall time."""
    local = threading.local()

    def one(i: int) -> float:
        session = getattr(local, "session", None) or setattr(local, "session", requests.Session()) or local.session
        began = time.perf_counter()
        response = session.get(f"{base}/search", params={"q": QUERIES[i % len(QUERIES)], **params}, timeout=30)
        response.raise_for_status()
        return time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = np.array(list(pool.map(one, range(total))))
    return latencies, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per mode and concurrency level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    with api_server(args.workers) as base:
        profile = {"items": ["P00001", "P00010", "P00100", {"id": "P00200", "weight": 2}]}
        requests.put(f"{base}/users/bench-user/profile", json=profile, timeout=30).raise_for_status()
        for params in MODES.values():  # warm-up: query vectors cached, JIT paths taken
            run_level(base, params, 4, len(QUERIES) * 2)
        print(f"{'mode':6} {'clients':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        p50 = {}
        for clients in (1, 4, 16):
            for mode, params in MODES.items():
                latencies, wall = run_level(base, params, clients, args.requests)
                ms = percentiles_ms(latencies)
                p50[mode, clients] = ms[0]
                print(f"{mode:6} {clients:7d} {ms[0]:8.1f} {ms[1]:8.1f} {ms[2]:8.1f} {args.requests / wall:8.1f}")
        for clients in (1, 4, 16):
            ratio = p50["blend", clients] / p50["bm25", clients]
            print(f"p50 blend / bm25 at {clients:2d} clients: {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
