"""Autocomplete latency on loopback (/suggest on the sample catalog): p50/p95/p99 over typed prefixes.

python benchmarks/suggest.py [--requests 400]
"""

from __future__ import annotations

import argparse
import time

import requests
from _server import api_server, percentiles_ms

WORDS = [
    "chef knife",
    "running shoes",
    "wireless headphones",
    "cast iron skillet",
    "bluetooth speaker",
    "espresso machine",
    "sleeping bag",
    "phone case",
    "yoga mat",
    "rain jacket",
    "龙井",
    "菜刀",
    "skilet",
    "hedphones",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    prefixes = [w[:n] for w in WORDS for n in range(2, len(w) + 1)]
    latencies = []
    with api_server(workers=1) as base, requests.Session() as session:
        for prefix in prefixes[:20]:  # warm-up
            session.get(f"{base}/suggest", params={"q": prefix}, timeout=30)
        for i in range(args.requests):
            began = time.perf_counter()
            session.get(f"{base}/suggest", params={"q": prefixes[i % len(prefixes)]}, timeout=30).raise_for_status()
            latencies.append(time.perf_counter() - began)
    p50, p95, p99 = percentiles_ms(latencies)
    print(
        f"/suggest over {args.requests} requests ({len(prefixes)} prefixes): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"
    )


if __name__ == "__main__":
    main()
