"""A smoke check any cluster must pass for shopsearch: it answers, has k-NN, and the lucene engine works."""

from __future__ import annotations

import uuid

from opensearchpy import OpenSearch

KNN_PLUGIN_NAMES = ("opensearch-knn", "org.opensearch.knn.plugin.KNNPlugin")


def has_knn_plugin(client: OpenSearch) -> bool:
    """True if every node lists the k-NN plugin (by name, or by class for classpath plugins)."""
    rows = client.cat.plugins(format="json")
    nodes = {row["name"] for row in rows}
    with_knn = {row["name"] for row in rows if row["component"] in KNN_PLUGIN_NAMES}
    return bool(nodes) and nodes == with_knn


def smoke_check(client: OpenSearch) -> dict[str, object]:
    """Index three 2-d vectors in a throwaway lucene HNSW index and ask for the nearest one."""
    info = client.info()
    report: dict[str, object] = {
        "version": info["version"]["number"],
        "cluster": info["cluster_name"],
        "knn_plugin": has_knn_plugin(client),
    }
    index = f"shopsearch-check-{uuid.uuid4().hex[:8]}"
    body = {
        "settings": {"index": {"knn": True, "number_of_shards": 1, "number_of_replicas": 0}},
        "mappings": {
            "properties": {
                "v": {
                    "type": "knn_vector",
                    "dimension": 2,
                    "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"},
                }
            }
        },
    }
    client.indices.create(index=index, body=body)
    try:
        for doc_id, vector in {"east": [1, 0], "north": [0, 1], "west": [-1, 0]}.items():
            client.index(index=index, id=doc_id, body={"v": vector})
        client.indices.refresh(index=index)
        query = {"size": 1, "query": {"knn": {"v": {"vector": [0.9, 0.2], "k": 1}}}}
        hits = client.search(index=index, body=query)["hits"]["hits"]
        report["knn_nearest_ok"] = bool(hits) and hits[0]["_id"] == "east"
    finally:
        client.indices.delete(index=index)
    return report
