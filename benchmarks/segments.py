"""Segments and search speed on the Home Depot catalog: a freshly loaded index against the same index merged.

    python benchmarks/segments.py [--queries 300]

Needs the engine (and fills the vector cache on a first run). Reindexes ../shared/data/homedepot/
catalog.jsonl under the alias `homedepot-seg` with `index.merge_segments` off, so the bulk load
leaves its segments as they are; measures the engine's own time (`took`) of the default profile's
two candidate searches (BM25 top 100 with facets, k-NN top 50, both with vectors) for held-out
queries; then force-merges the index to one segment, as a reindex now does in the background
after the alias moves, and measures again. Prints the segment count, the p50 and mean `took` of
each search, and how long the merge took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
ALIAS = "homedepot-seg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300, help="held-out queries to time")
    args = parser.parse_args()
    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.tune import split
    from shopsearch.queries import products as Q

    settings = load_settings(index={"alias": ALIAS, "merge_segments": None})
    indexer = wiring.indexer(settings)
    report = indexer.reindex(DATA / "catalog.jsonl")
    client, profile = indexer.client, wiring.profiles(settings).get("default")
    judged = load_csv(DATA / "judgments.csv")
    queries = [judged.queries[q] for q in split(judged, 0.2)[1][: args.queries]]
    vectors = indexer.encoder.encode_queries(queries).tolist()
    copy_field = indexer.mapping.vector_copy_field or ""
    searches = {
        "bm25": [Q.bm25_search(q, profile, [], copy_field) for q in queries],
        "knn": [
            Q.knn_search(v, q, profile, [], indexer.mapping.vector_field, copy_field) for q, v in zip(queries, vectors)
        ],
    }

    def took() -> dict[str, list[int]]:
        for body in searches["bm25"][:20] + searches["knn"][:20]:  # warm the caches of this index
            client.search(index=ALIAS, body=body)
        return {name: [client.search(index=ALIAS, body=b)["took"] for b in bodies] for name, bodies in searches.items()}

    def segments() -> int:
        return int(client.indices.stats(index=ALIAS, metric="segments")["_all"]["primaries"]["segments"]["count"])

    rows = [(f"as loaded ({report.write.written} products)", segments(), took())]
    began = time.perf_counter()
    client.indices.forcemerge(index=ALIAS, max_num_segments=1, request_timeout=3600)
    merged_in = time.perf_counter() - began
    client.indices.refresh(index=ALIAS)
    rows.append(("merged to one segment", segments(), took()))
    print(f"{'index':34}{'segments':>9}{'bm25 p50':>10}{'bm25 mean':>11}{'knn p50':>9}{'knn mean':>10}  (took, ms)")
    for label, count, times in rows:
        bm25, knn = np.array(times["bm25"]), np.array(times["knn"])
        print(f"{label:34}{count:9d}{np.median(bm25):10.1f}{bm25.mean():11.1f}{np.median(knn):9.1f}{knn.mean():10.1f}")
    print(f"the merge took {merged_in:.0f} s; {len(queries)} held-out queries, the default profile's bodies")
    indexer.close()


if __name__ == "__main__":
    main()
