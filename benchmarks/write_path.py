"""The write path on the Home Depot catalog: a cached reindex (no encoding) under a few settings.

    python benchmarks/write_path.py [--queries 300]

Needs the engine. Reindexes ../shared/data/homedepot/catalog.jsonl under the alias `homedepot-w`
with `shopsearch index reindex` (the normal path: read, validate, vectors from the cache, bulk,
refresh, alias swap). A first run fills the vector cache if it is cold and is not counted. Then,
for each setting, it prints docs/s, the engine's and the client's CPU seconds (the engine's from
its nodes stats, so a remote cluster works too), the segments left after the load, and k-NN
recall@10 against exact search for held-out Home Depot queries (the profile's k of 50, top 10),
so a faster graph setting shows what it costs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import engine_cpu_s, exact_top10, merges_done, recall_at_10

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "src" / "shopsearch" / "mappings"  # the packaged defaults (shopsearch.config.MAPPINGS_DIR)
ALIAS = "homedepot-w"
SETTINGS = {  # label: (bulk threads, HNSW m, ef_construction)
    "1 bulk writer (before)": (1, 16, 128),
    "2 bulk writers (default)": (2, 16, 128),
    "4 bulk writers": (4, 16, 128),
    "2 writers, ef_construction 64": (2, 16, 64),
    "2 writers, m 8": (2, 8, 128),
}


def mapping_with(m: int, ef_construction: int, directory: Path) -> Path:
    spec = json.loads((MAPPINGS / "products.json").read_text(encoding="utf-8"))
    spec["mappings"]["properties"]["embedding"]["method"]["parameters"] = {"m": m, "ef_construction": ef_construction}
    path = directory / f"products-m{m}-ef{ef_construction}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def reindex(threads: int, mapping: Path, client) -> dict[str, float]:  # noqa: ANN001
    env = {
        **os.environ,
        "SHOPSEARCH_INDEX_ALIAS": ALIAS,
        "SHOPSEARCH_INDEX_BULK_THREADS": str(threads),
        "SHOPSEARCH_INDEX_MAPPING": str(mapping),
    }
    engine, children = engine_cpu_s(client), resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "shopsearch.cli", "index", "reindex", str(DATA / "catalog.jsonl")],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(out[out.index("{") :])
    stats = client.indices.stats(index=ALIAS, metric="segments")["_all"]["primaries"]["segments"]
    merges_done(client)  # the merge the reindex started after the alias moved, outside the timed span
    return {
        "docs_per_s": report["accepted"] / took,
        "seconds": took,
        "engine_cpu": engine_cpu_s(client) - engine,
        "client_cpu": after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime,
        "segments": stats["count"],
        "cached": report["cached"],
        "accepted": report["accepted"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300, help="held-out queries for recall@10")
    args = parser.parse_args()
    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.tune import split

    settings = load_settings()
    client = wiring.client(settings)
    judged = load_csv(DATA / "judgments.csv")
    held = split(judged, 0.2)[1][: args.queries]
    vectors = wiring.encoder(settings).encode_queries([judged.queries[q] for q in held])
    work = Path(tempfile.mkdtemp(prefix="shopsearch-write-path-"))
    warm = reindex(2, MAPPINGS / "products.json", client)
    truth = exact_top10(client, ALIAS, vectors)  # the same products under every setting
    print(f"warm-up: {warm['accepted']} products, {warm['cached']} vectors from the cache, {warm['seconds']:.0f} s")
    print(
        f"{'setting':32}{'docs/s':>8}{'x first':>9}{'engine CPU s':>14}{'client CPU s':>14}{'segments':>10}"
        f"{'recall@10':>11}"
    )
    first = None
    for label, (threads, m, ef) in SETTINGS.items():
        row = reindex(threads, mapping_with(m, ef, work), client)
        first = first or row["docs_per_s"]
        print(
            f"{label:32}{row['docs_per_s']:8.0f}{row['docs_per_s'] / first:9.2f}{row['engine_cpu']:14.1f}"
            f"{row['client_cpu']:14.1f}{row['segments']:10d}{recall_at_10(client, ALIAS, vectors, truth):11.3f}",
            flush=True,
        )
    print(f"recall@10: {len(held)} held-out queries, k-NN with k 50 against exact cosine over every product")


if __name__ == "__main__":
    main()
