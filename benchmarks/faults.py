"""Faults under load: a three-node cluster loses a node and an API worker while shoppers search and buy.

    python benchmarks/faults.py [--seconds 60] [--clients 8]

Starts its own three local nodes (a temporary data directory, ports 9210-9212), indexes the sample
catalog (2,000 products), serves the API (2 workers), and for `--seconds` runs `--clients` threads
of mixed traffic: searches with and without a shopper (60%), event batches of 5 with event ids
(25%; a failed batch is sent again with the same ids, up to twice, as a shop's back end would),
rails (15%). A third of the way in, node 3 is killed with SIGKILL; at two thirds it is
started again; at half time one API worker is killed with SIGKILL (gunicorn starts another).
Then it checks what was promised: every event the API acknowledged is stored (by its id), and
every shopper vector equals a rebuild from the stored events. It prints requests and errors by kind
and phase, p50/p99 before, during and after the node was down, events acknowledged vs stored, the
largest shopper-vector difference from a rebuild, and the peak memory of rebuilding 20,000 synthetic
users' shopper vectors (streamed in chunks).

Targets (issue 14): 0 acknowledged events lost; shopper vectors equal a rebuild to 1e-5; search errors
below 1% while the node is down and none after it rejoins.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import requests
from _server import api_server, percentiles_ms

from shopsearch.events.store import document_id

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "data" / "sample_catalog.jsonl"
QUERIES = [
    "chef knife",
    "running shoes",
    "wireless headphones",
    "cast iron skillet",
    "yoga mat",
    "rain jacket",
    "bluetooth speaker",
    "camping tent",
    "菜刀",
    "gift for a runner",
    "standing desk",
    "dog bed",
]
PORT = 9210  # three nodes: 9210-9212 (transport 9310-9312), beside a demo engine on 9200


def shopsearch(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "shopsearch.cli", *args], check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL
    )


class Load:
    """Mixed traffic from several threads; every outcome recorded with its time and kind."""

    def __init__(self, base: str, products: list[str], users: list[str]) -> None:
        self.base, self.products, self.users = base, products, users
        self.records: list[tuple[float, str, str, float]] = []  # (t, kind, outcome, seconds)
        self.acked: set[str] = set()  # the stream's document ids of the acknowledged events
        self.lock = threading.Lock()

    def run(self, clients: int, seconds: float, began: float) -> None:
        threads = [
            threading.Thread(target=self._client, args=(began + seconds, seed, began)) for seed in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _client(self, until: float, seed: int, began: float) -> None:
        rng, session = random.Random(seed), requests.Session()
        while time.monotonic() < until:
            roll = rng.random()
            kind = "search" if roll < 0.6 else "events" if roll < 0.85 else "rails"
            start = time.monotonic()
            try:
                outcome = self._send(kind, rng, session)
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with self.lock:
                self.records.append((start - began, kind, outcome, time.monotonic() - start))

    def _send(self, kind: str, rng: random.Random, session: requests.Session) -> str:
        user = rng.choice(self.users)
        if kind == "search":
            params = {"q": rng.choice(QUERIES), **({"user_id": user} if rng.random() < 0.5 else {})}
            return str(session.get(f"{self.base}/search", params=params, timeout=30).status_code)
        if kind == "rails":
            path = rng.choice(["/recommend/similar/", "/recommend/bought-together/"]) + rng.choice(self.products)
            return str(session.get(self.base + path, timeout=30).status_code)
        batch = [
            {
                "event_id": uuid.uuid4().hex,
                "user_id": user,
                "type": rng.choice(["view", "click", "cart", "purchase"]),
                "product_id": rng.choice(self.products),
            }
            for _ in range(5)
        ]
        response = self._post_events(session, batch)
        if response.status_code == 200:
            accepted = response.json()["accepted_indices"]
            with self.lock:
                self.acked.update(document_id(batch[i]["user_id"], batch[i]["event_id"]) for i in accepted)
        return str(response.status_code)

    def _post_events(self, session: requests.Session, batch: list[dict]) -> requests.Response:
        """As a shop's back end would: a batch that failed is sent again, same event ids, up to twice more."""
        for attempt in range(3):
            try:
                response = session.post(f"{self.base}/events", json=batch, timeout=30)
            except requests.RequestException:
                if attempt == 2:
                    raise
                continue
            if response.status_code == 200 or attempt == 2:
                return response
            time.sleep(0.2)
        raise AssertionError("unreachable")


def phase(t: float, seconds: float) -> str:
    return "before" if t < seconds / 3 else "node down" if t < 2 * seconds / 3 else "after"


def report(load: Load, seconds: float) -> None:
    print(f"{'phase':10}{'kind':8}{'requests':>9}{'errors':>8}{'error %':>8}{'p50 ms':>8}{'p99 ms':>8}  errors by kind")
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for t, kind, outcome, took in load.records:
        groups[phase(t, seconds), kind].append((outcome, took))
    for (name, kind), rows in sorted(
        groups.items(), key=lambda x: (["before", "node down", "after"].index(x[0][0]), x[0][1])
    ):
        errors = Counter(outcome for outcome, _ in rows if outcome != "200")
        p50, _, p99 = percentiles_ms([took for outcome, took in rows if outcome == "200"] or [0.0])
        share = sum(errors.values()) / len(rows)
        print(f"{name:10}{kind:8}{len(rows):9}{sum(errors.values()):8}{share:8.2%}{p50:8.1f}{p99:8.1f}  {dict(errors)}")


def stored_ids(client, stream: str, ids: list[str]) -> int:  # noqa: ANN001
    client.indices.refresh(index=stream)
    found = 0
    for start in range(0, len(ids), 1000):
        body = {"query": {"ids": {"values": ids[start : start + 1000]}}}
        found += client.count(index=stream, body=body)["count"]
    return found


def vectors_vs_rebuild(ingest, behaviour, users: list[str]) -> float:  # noqa: ANN001
    """The largest difference between each live shopper vector and one rebuilt from the stored events."""
    live = {u: ingest.users.vector(u) for u in users}
    ingest.rebuild_all(behaviour)
    rebuilt = {u: ingest.users.vector(u) for u in users}
    if any((live[u] is None) != (rebuilt[u] is None) for u in users):
        return float("inf")
    return max((float(np.abs(live[u] - rebuilt[u]).max()) for u in users if live[u] is not None), default=0.0)


REBUILD = """
import resource, time
from shopsearch.config import load_settings
from shopsearch import wiring
settings = load_settings()
ingest = wiring.ingest(settings)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
began = time.perf_counter()
ingest.rebuild_all(wiring.behaviour(settings))
print(time.perf_counter() - began, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def rebuild_memory(ingest, behaviour, products: list[str], users: int, env: dict[str, str]) -> list[float]:  # noqa: ANN001
    """Store one event each for `users` synthetic shoppers, then rebuild every shopper vector in a fresh process:
    [seconds, its RSS before the rebuild in MB, its peak RSS in MB]."""
    rng = random.Random(3)
    events = [
        {"user_id": f"synthetic-{n:05d}", "type": "view", "product_id": rng.choice(products)} for n in range(users)
    ]
    for start in range(0, len(events), 1000):
        ingest.ingest(events[start : start + 1000], behaviour)
    out = subprocess.run([sys.executable, "-c", REBUILD], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def api_workers(port: str) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout.splitlines()[1:]
    rows = [line.split(None, 2) for line in out]
    masters = {pid for pid, _, args in rows if f"--port {port}" in args}
    return [int(pid) for pid, ppid, _ in rows if ppid in masters]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--synthetic-users", type=int, default=20_000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="shopsearch-faults-"))
    urls = ",".join(f"http://127.0.0.1:{PORT + i}" for i in range(3))
    env = {**os.environ, "SHOPSEARCH_OPENSEARCH_URL": urls, "SHOPSEARCH_INDEX_ALIAS": "faults-products"}
    os.environ.update(env)
    from shopsearch.engine import local

    local.start(nodes=3, port=PORT, data_dir=data, heap="512m")
    try:
        run(args, env, data, local)
    finally:
        local.stop(data)


def run(args: argparse.Namespace, env: dict[str, str], data: Path, local) -> None:  # noqa: ANN001
    from shopsearch import wiring
    from shopsearch.config import load_settings

    shopsearch("index", "reindex", str(CATALOG), env=env)
    products = [json.loads(line)["id"] for line in CATALOG.read_text(encoding="utf-8").splitlines()]
    users = [f"shopper-{n:03d}" for n in range(200)]
    with api_server(workers=2) as base:
        load, began = Load(base, products, users), time.monotonic()
        runner = threading.Thread(target=load.run, args=(args.clients, args.seconds, began))
        runner.start()
        state = local.read_state(data.resolve())
        for at, action in (
            (args.seconds / 3, "kill node"),
            (args.seconds / 2, "kill worker"),
            (2 * args.seconds / 3, "restart node"),
        ):
            time.sleep(max(0.0, began + at - time.monotonic()))
            if action == "kill node":
                os.kill(state.pids[2], signal.SIGKILL)
            elif action == "kill worker":
                os.kill(api_workers(base.rsplit(":", 1)[1])[0], signal.SIGKILL)
            else:
                local.restart_node(data, 2, heap="512m")
            print(f"{time.monotonic() - began:5.1f} s: {action}", flush=True)
        runner.join()
    settings = load_settings()
    ingest, behaviour = wiring.ingest(settings), wiring.behaviour(settings)
    ingest.store.client.cluster.health(wait_for_status="green", request_timeout=120)
    print(
        f"\nFaults: 3 nodes, {args.clients} clients, {args.seconds:.0f} s; node 3 killed at {args.seconds / 3:.0f} s,"
        f" back at {2 * args.seconds / 3:.0f} s; an API worker killed at {args.seconds / 2:.0f} s"
    )
    report(load, args.seconds)
    acked = sorted(load.acked)
    stored = stored_ids(ingest.store.client, settings.api.events_stream, acked)
    print(f"events acknowledged {len(acked)}, stored {stored}, lost {len(acked) - stored}")
    print(
        f"shopper vectors vs a rebuild from the stored events: largest difference"
        f" {vectors_vs_rebuild(ingest, behaviour, users):.2e}"
    )
    took, before, peak = rebuild_memory(ingest, behaviour, products, args.synthetic_users, env)
    print(
        f"shoppers rebuild with {args.synthetic_users:,} more synthetic users: {took:.0f} s, process RSS"
        f" {before:.0f} MB before, {peak:.0f} MB at peak"
    )


if __name__ == "__main__":
    main()
