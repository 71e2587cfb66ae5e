"""Where a blended search spends its time, on uncached Home Depot queries, in process, one client.

    SHOPSEARCH_INDEX_ALIAS=homedepot python benchmarks/blend_profile.py [--queries 300]

Needs the engine and the Home Depot index (benchmarks/relevance_homedepot.py builds it). Prints the
engine's own time (`took`) for the BM25 profile's search and for the default profile's BM25 and
k-NN searches, then the p50 of each stage of a default search in this process: encoding the query,
the msearch with building the candidates, decoding their vectors, and the blend. Run it with the
runtime the API uses (e.g. SHOPSEARCH_MODEL_RUNTIME=onnx, SHOPSEARCH_MODEL_PATH, SHOPSEARCH_MODEL_QUANTIZE).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.lab.judgments import load_csv
    from shopsearch.queries import products as Q
    from shopsearch.relevance.searcher import SearchRequest, blend, normalize_query
    from shopsearch.vector_codec import pack, unpack

    settings = load_settings(model={"threads": 1})  # as an API worker encodes (api.encoder_threads)
    searcher = wiring.searcher(settings)
    queries = [normalize_query(q) for q in load_csv(DATA / "judgments.csv").queries.values()][: args.queries]
    bm25, default = searcher.profiles.get("bm25"), searcher.profiles.get("default")
    vectors = searcher.encoder.encode_queries(queries)
    bodies = {
        "BM25 profile: BM25 top 200": lambda q, v: Q.bm25_search(q, bm25, [], searcher.copy_field),
        "default: BM25 top 100 with vectors": lambda q, v: Q.bm25_search(q, default, [], searcher.copy_field),
        "default: k-NN top 50 with vectors": lambda q, v: Q.knn_search(
            v, q, default, [], searcher.vector_field, searcher.copy_field
        ),
    }
    print(f"{len(queries)} distinct queries; engine time (took), p50 ms")
    for label, body in bodies.items():
        took = [
            searcher.client.search(index=searcher.alias, body=body(q, v.tolist()))["took"]
            for q, v in zip(queries, vectors)
        ]
        print(f"  {label:40}{np.median(took):6.1f}")
    stages: dict[str, list[float]] = {
        "encode the query": [],
        "msearch and candidates": [],
        "decode the vectors (inside the above)": [],
        "blend (signals)": [],
    }
    searcher.query_vector.cache_clear()
    for q in queries:
        began = time.perf_counter()
        searcher.query_vector(q)  # the search below takes it from this cache
        stages["encode the query"].append(time.perf_counter() - began)
        began = time.perf_counter()
        candidates, context = searcher.candidates(SearchRequest(q=q, profile="default"))
        stages["msearch and candidates"].append(time.perf_counter() - began)
        packed = [pack(v) for v in candidates.vectors]  # as they arrived in _source (decoded inside candidates)
        began = time.perf_counter()
        for text in packed:
            unpack(text)
        stages["decode the vectors (inside the above)"].append(time.perf_counter() - began)
        began = time.perf_counter()
        blend(default, candidates, context)
        stages["blend (signals)"].append(time.perf_counter() - began)
    print("default search in this process, p50 ms")
    for label, took in stages.items():
        print(f"  {label:40}{np.median(took) * 1000:6.1f}")


if __name__ == "__main__":
    main()
