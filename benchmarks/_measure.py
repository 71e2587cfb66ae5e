"""Shared by the benchmarks: engine CPU from the nodes stats, a timed reindex with other model settings,
waiting out background merges, and k-NN recall@10 against exact search."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def engine_cpu_s(client) -> float:  # noqa: ANN001
    """CPU seconds the engine has used so far, over every node (a remote cluster works too)."""
    nodes = client.nodes.stats(metric="process")["nodes"].values()
    return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes) / 1000


def timed_reindex(catalog: Path, alias: str, model: dict[str, str], vector_cache: Path) -> float:
    """Seconds `shopsearch index reindex` takes for `catalog` under `alias`, with the `model:` settings given
    (as SHOPSEARCH_MODEL_* variables) and its own vector cache (empty: every product is encoded)."""
    env = {
        **os.environ,
        "SHOPSEARCH_INDEX_ALIAS": alias,
        "SHOPSEARCH_INDEX_VECTOR_CACHE": str(vector_cache),
        **{f"SHOPSEARCH_MODEL_{key.upper()}": value for key, value in model.items()},
    }
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "shopsearch.cli", "index", "reindex", str(catalog)], check=True, env=env)
    return time.perf_counter() - began


def merges_done(client) -> float:  # noqa: ANN001
    """Wait until no force merge runs in the engine (a reindex starts one after the alias moves), so the
    next timed step does not share the cores with it; returns the seconds waited."""
    began = time.perf_counter()
    while any(node["tasks"] for node in client.tasks.list(actions="indices:admin/forcemerge*")["nodes"].values()):
        time.sleep(0.5)
    return time.perf_counter() - began


def exact_top10(client, index: str, vectors: np.ndarray) -> list[set[str]]:  # noqa: ANN001
    """The true 10 nearest products of each vector: cosine against every product, in the engine."""
    from shopsearch.queries import products as Q

    return [
        {
            h["_id"]
            for h in client.search(
                index=index,
                body=Q.cosine_scored({"size": 10, "_source": False, "query": {"match_all": {}}}, vector, "embedding"),
            )["hits"]["hits"]
        }
        for vector in vectors.tolist()
    ]


def recall_at_10(
    client,
    index: str,
    vectors: np.ndarray,
    truth: list[set[str]],  # noqa: ANN001
    ef_search: int | None = None,
    k: int = 50,
) -> float:
    """Mean share of the true 10 that approximate k-NN (k, and ef_search when given) returns in its top 10."""
    from shopsearch.queries import products as Q

    found = []
    for vector, true in zip(vectors.tolist(), truth):
        knn = Q.knn_query(vector, k, "embedding", [], ef_search)
        approx = client.search(index=index, body={"size": 10, "_source": False, "query": knn})
        found.append(len(true & {h["_id"] for h in approx["hits"]["hits"]}) / max(len(true), 1))
    return float(np.mean(found))
