"""Search load benchmark on loopback: BM25-only vs the full blend with a shopper vector.

Needs the local engine with the catalog indexed (`./run demo` does both for the sample). Starts
`shopsearch serve` on a free port, sets one shopper's vector, then for 1, 4 and 16 concurrent
clients sends a fixed number of requests per mode and prints p50/p95/p99 latency, throughput, the
CPU each request costs at 16 clients (the engine's from its nodes stats, the API processes', the
load generator's own) and the API workers' resident memory:

    python benchmarks/search_load.py [--requests 300] [--workers 2]
    SHOPSEARCH_INDEX_ALIAS=homedepot python benchmarks/search_load.py --long-tail

The default mode repeats 30 queries, so after the warm-up every query vector comes from the
cache. `--long-tail` sends the distinct real queries of ../shared/data/homedepot/judgments.csv
(10,795; none repeats within a run, so every blended request encodes its query, as in production),
against the Home Depot catalog indexed under the alias named by SHOPSEARCH_INDEX_ALIAS.

Target: p50(full blend) / p50(BM25 only) <= 1.5 (1.4 in the long tail).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path

import numpy as np
import requests
from _measure import engine_cpu_s
from _server import api_server, percentiles_ms

QUERIES = [
    "chef knife",
    "running shoes",
    "wireless headphones",
    "cast iron skillet",
    "yoga mat",
    "rain jacket",
    "bluetooth speaker",
    "power bank",
    "espresso machine",
    "camping tent",
    "dog bed",
    "sunscreen",
    "mechanical keyboard",
    "summer dress",
    "standing desk",
    "french press",
    "sleeping bag",
    "phone case",
    "菜刀",
    "龙井",
    "trail running shoes for mud",
    "something to keep my coffee hot",
    "gift for a runner",
    "noise cancelling earbuds",
    "knife set with block",
    "lightweight hiking backpack",
    "vitamin c serum",
    "building set for kids",
    "ergonomic office chair",
    "usb-c hub",
]
MODES = {"bm25": {"profile": "bm25"}, "blend": {"profile": "default", "user_id": "bench-user"}}
HOMEDEPOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"


def long_tail() -> tuple[list[str], list[str]]:
    """The distinct real queries (a fixed shuffle) and four catalog products for the shopper vector."""
    with (HOMEDEPOT / "judgments.csv").open(newline="") as handle:
        queries = list(dict.fromkeys(row["query"] for row in csv.DictReader(handle)))
    np.random.default_rng(7).shuffle(queries)
    with (HOMEDEPOT / "catalog.jsonl").open() as handle:
        products = [json.loads(next(handle))["id"] for _ in range(4)]
    return queries, products


def api_processes(column: str) -> list[int]:
    """A `ps` column (e.g. rss, pid) of the API's processes: the gunicorn master and its workers."""
    out = subprocess.run(["ps", "-eo", f"{column},args"], capture_output=True, text=True).stdout.splitlines()
    return [int(line.split()[0]) for line in out if "gunicorn" in line or "shopsearch.cli serve" in line]


def worker_rss_mb() -> list[float]:
    return sorted(kb / 1024 for kb in api_processes("rss"))


def cpu_seconds(client) -> tuple[float, float, float]:  # noqa: ANN001
    """CPU used so far by the engine (every node), the API's processes and this load generator."""
    ticks = os.sysconf("SC_CLK_TCK")
    api = 0.0
    for pid in api_processes("pid"):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        api += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return engine_cpu_s(client), api, time.process_time()


def run_level(
    base: str, params: dict, clients: int, total: int, queries: list[str], ticket: count
) -> tuple[np.ndarray, float]:
    """Send `total` requests from `clients` threads (keep-alive sessions); return latencies and wall time.
    `ticket` numbers the queries across levels, so the long tail never repeats a query."""
    local = threading.local()

    def one(_: int) -> float:
        session = getattr(local, "session", None) or setattr(local, "session", requests.Session()) or local.session
        q = queries[next(ticket) % len(queries)]
        began = time.perf_counter()
        response = session.get(f"{base}/search", params={"q": q, **params}, timeout=60)
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
    parser.add_argument("--long-tail", action="store_true", help="distinct real Home Depot queries (see above)")
    args = parser.parse_args()
    queries, items = long_tail() if args.long_tail else (QUERIES, ["P00001", "P00010", "P00100", "P00200"])
    ticket = count()
    from shopsearch import wiring
    from shopsearch.config import load_settings

    client = wiring.client(load_settings())
    with api_server(args.workers) as base:
        touched = {"items": [*items[:3], {"id": items[3], "weight": 2}]}
        requests.put(f"{base}/users/bench-user/vector", json=touched, timeout=30).raise_for_status()
        for params in MODES.values():  # warm-up: JIT paths taken (and, by default, query vectors cached)
            run_level(base, params, 4, 60, queries, count() if not args.long_tail else ticket)
        print(f"{'long tail' if args.long_tail else 'cached queries'}: {len(queries)} distinct queries\n")
        print(f"{'mode':6} {'clients':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        p50, rate, cpu = {}, {}, {}
        for clients in (1, 4, 16):
            for mode, params in MODES.items():
                before = cpu_seconds(client)
                latencies, wall = run_level(base, params, clients, args.requests, queries, ticket)
                cpu[mode] = [(b - a) * 1000 / args.requests for a, b in zip(before, cpu_seconds(client))]
                ms = percentiles_ms(latencies)
                p50[mode, clients], rate[mode, clients] = ms[0], args.requests / wall
                print(f"{mode:6} {clients:7d} {ms[0]:8.1f} {ms[1]:8.1f} {ms[2]:8.1f} {rate[mode, clients]:8.1f}")
        for clients in (1, 4, 16):
            print(
                f"at {clients:2d} clients: p50 blend / bm25 {p50['blend', clients] / p50['bm25', clients]:.2f}, "
                f"req/s blend / bm25 {rate['blend', clients] / rate['bm25', clients]:.2f}"
            )
        print(
            "CPU ms per request at 16 clients, engine / API / load generator: "
            + ", ".join(f"{mode} {' / '.join(f'{ms:.1f}' for ms in spent)}" for mode, spent in cpu.items())
        )
        print("API processes RSS, master and workers (MB): " + ", ".join(f"{mb:.0f}" for mb in worker_rss_mb()))


if __name__ == "__main__":
    main()
