"""Recommendations on real purchase histories (../shared/data/amazon-games): every rail, served.

    python benchmarks/recs_amazon_games.py [--users 2000] [--reuse]

Needs the engine (`shopsearch engine start`). Indexes the games catalog under its own names
(alias `games`, events `games-events`, ...; the demo's indices are untouched), loads every history
as purchase events (one session per shopper, one hour per step), builds bought-together and trains
the fused rail (`shopsearch recs train`: the blend is fitted on held-out last history items only),
then asks the running API for 10 products for each sampled shopper of `dev_targets.csv` (the item
each bought after the whole history, never seen by any training step) and counts hits; last, it
scores every rail offline for all dev shoppers (same model, candidates and weights; exact k-NN).
`--reuse` skips indexing and loading when they are already there.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import requests
from _server import api_server, percentiles_ms

from shopsearch import wiring
from shopsearch.config import load_settings
from shopsearch.indexer.mapping import load_mapping
from shopsearch.recommend.experiment import report, sample, score_users, table, unit_mean_profiles
from shopsearch.recommend.factors import FactorParams
from shopsearch.recommend.offline import MatrixSources, RecsModel
from shopsearch.recommend.sequences import SequenceParams
from shopsearch.recommend.store import catalog_vectors, fusion_params

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "amazon-games"
NAMES = {
    "SHOPSEARCH_INDEX_ALIAS": "games",
    "SHOPSEARCH_API_USERS_INDEX": "games-users",
    "SHOPSEARCH_API_EVENTS_STREAM": "games-events",
    "SHOPSEARCH_API_CF_INDEX": "games-bought-together",
    "SHOPSEARCH_API_RECS_ALIAS": "games-recs",
}


def shopsearch(*args: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "shopsearch.cli", *args], check=True)
    return time.perf_counter() - began


def histories() -> dict[str, list[str]]:
    steps: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with (DATA / "histories.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            steps[row["user_id"]].append((int(row["step"]), row["product_id"]))
    return {user: [p for _, p in sorted(items)] for user, items in steps.items()}


def write_events(history: dict[str, list[str]], path: Path) -> int:
    start = datetime.now(UTC) - timedelta(days=365)
    count = 0
    with path.open("w") as out:
        for user, items in history.items():
            for step, product in enumerate(items):
                ts = (start + timedelta(hours=step)).isoformat()
                out.write(
                    json.dumps(
                        {"user_id": user, "type": "purchase", "product_id": product, "ts": ts, "session_id": user}
                    )
                    + "\n"
                )
                count += 1
    return count


def ask(session: requests.Session, url: str, params: dict) -> tuple[list[str], float]:
    began = time.perf_counter()
    response = session.get(url, params=params, timeout=30)
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]], time.perf_counter() - began


def offline(history: dict[str, list[str]], targets: dict[str, str], served: list[str]) -> None:
    """Every rail for every dev shopper, in-process: the served model's weights over the same model
    fitted again from the histories (exact k-NN instead of the engine's HNSW)."""
    settings = load_settings()
    client = wiring.client(settings)
    meta = wiring.recs_store(settings, client).meta()
    ids, texts = catalog_vectors(client, settings.index.alias, load_mapping(settings.index.mapping).vector_copy_field)
    model = RecsModel.fit(
        list(history.values()), ids, SequenceParams(**meta["sequence"]), FactorParams(**meta["factors"])
    )
    params = fusion_params(meta)
    users = sorted(u for u in targets if u in history)
    scored = score_users(
        MatrixSources(model, texts),
        users,
        history,
        targets,
        unit_mean_profiles(ids, texts, history),
        params,
        "all dev shoppers",
    )
    counts = {key: float(c) for key, c in zip(model.ids, model.counts) if c > 0}
    rows, _ = report(scored, targets, params.weights, counts, len(ids))
    asked = set(served)
    sampled, _ = report([s for s in scored if s.user in asked], targets, params.weights, counts, len(ids))
    print(f"\nOffline, the {len(asked)} shoppers asked above (the served fused rail should match its row):\n")
    print(table(sampled, len(asked)))
    print(f"\nOffline, every dev shopper ({len(users)}), same candidates and blend:\n")
    print(table(rows, len(users)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000, help="dev shoppers asked through the API (seed 7)")
    parser.add_argument("--reuse", action="store_true", help="keep the indexed catalog and loaded events")
    args = parser.parse_args()
    os.environ.update(NAMES)
    history = histories()
    timings = {}
    if not args.reuse:
        timings["index the catalog"] = shopsearch("index", "reindex", str(DATA / "catalog.jsonl"))
        with tempfile.TemporaryDirectory() as tmp:
            events = Path(tmp) / "events.jsonl"
            print(f"{write_events(history, events)} purchase events")
            timings["load the events"] = shopsearch("events", "load", str(events))
    timings["cf build (bought-together)"] = shopsearch("cf", "build")
    timings["recs train (fused rail)"] = shopsearch("recs", "train")
    with (DATA / "dev_targets.csv").open(newline="") as handle:
        targets = {row["user_id"]: row["next_product_id"] for row in csv.DictReader(handle)}
    users = sample(list(targets), args.users)
    catalog = sum(1 for _ in (DATA / "catalog.jsonl").open())
    rails = {
        "popular": lambda u: ("/recommend/for-you", {"user_id": "nobody-at-all", "size": 50}),
        "for-you (fused)": lambda u: ("/recommend/for-you", {"user_id": u, "size": 10}),
        "similar/<last item>": lambda u: (f"/recommend/similar/{history[u][-1]}", {"size": 10}),
        "bought-together/<last item>": lambda u: (f"/recommend/bought-together/{history[u][-1]}", {"size": 10}),
    }
    rows = {}
    with api_server() as base, requests.Session() as session:
        for name, request in rails.items():
            hits, gains, seen, latencies = [], [], set(), []
            for user in users:
                path, params = request(user)
                ranked, seconds = ask(session, base + path, params)
                ranked = [p for p in ranked if p not in set(history[user])][:10]
                latencies.append(seconds)
                seen.update(ranked)
                rank = ranked.index(targets[user]) if targets[user] in ranked else -1
                hits.append(rank >= 0)
                gains.append(1 / np.log2(rank + 2) if rank >= 0 else 0.0)
            p50, _, p99 = percentiles_ms(latencies)
            rows[name] = (float(np.mean(hits)), float(np.mean(gains)), len(seen) / catalog, p50, p99)
    print(
        f"\n{len(users)} dev shoppers of amazon-games (seed 7), 10 products each from {catalog} "
        f"(their history left out); served by the API (2 gunicorn workers, loopback)\n"
    )
    print("| rail | hit@10 | NDCG@10 | coverage | p50 ms | p99 ms |\n|---|---|---|---|---|---|")
    for name, (hit, ndcg, coverage, p50, p99) in rows.items():
        print(f"| {name} | {hit:.4f} | {ndcg:.4f} | {coverage:.3f} | {p50:.1f} | {p99:.1f} |")
    offline(history, targets, users)
    print("\n| step | seconds |\n|---|---|")
    for step, seconds in timings.items():
        print(f"| {step} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
