"""The engine floor, proven against the live node: k-NN is loaded and answers correctly."""

from __future__ import annotations

import numpy as np
import pytest
from opensearchpy import OpenSearch, helpers

from shopsearch.engine.check import has_knn_plugin, smoke_check

pytestmark = pytest.mark.engine

# Eight hand-placed 3-d vectors. For the query (1, 0.2, 0), by cosine: a (1,0,0) 0.981,
# b (1,0.5,0) 0.965, c (0.8,0,0.6) 0.784 come first; the rest are further away.
VECTORS = {
    "a": [1.0, 0.0, 0.0],
    "b": [1.0, 0.5, 0.0],
    "c": [0.8, 0.0, 0.6],
    "d": [0.0, 1.0, 0.0],
    "e": [0.0, 0.0, 1.0],
    "f": [-1.0, 0.0, 0.0],
    "g": [0.0, -1.0, 0.2],
    "h": [-0.5, -0.5, -0.5],
}
QUERY = [1.0, 0.2, 0.0]


def _lucene_index(client: OpenSearch, name: str, space_type: str = "cosinesimil") -> None:
    client.indices.create(
        index=name,
        body={
            "settings": {"index": {"knn": True, "number_of_shards": 1, "number_of_replicas": 0}},
            "mappings": {
                "properties": {
                    "v": {
                        "type": "knn_vector",
                        "dimension": 3,
                        "method": {
                            "name": "hnsw",
                            "engine": "lucene",
                            "space_type": space_type,
                            "parameters": {"m": 16, "ef_construction": 100},
                        },
                    }
                }
            },
        },
    )
    actions = ({"_index": name, "_id": key, "v": vec} for key, vec in VECTORS.items())
    ok, errors = helpers.bulk(client, actions, refresh=True)
    assert (ok, errors) == (len(VECTORS), [])


def _numpy_cosines() -> dict[str, float]:
    q = np.asarray(QUERY) / np.linalg.norm(QUERY)
    return {k: float(np.dot(q, np.asarray(v) / np.linalg.norm(v))) for k, v in VECTORS.items()}


def test_cat_plugins_lists_knn(client: OpenSearch) -> None:
    assert "KNNPlugin" in client.cat.plugins() or "opensearch-knn" in client.cat.plugins()
    assert has_knn_plugin(client)


def test_lucene_knn_index_accepts_documents(client: OpenSearch, index_name: str) -> None:
    _lucene_index(client, index_name)
    mapping = client.indices.get_mapping(index=index_name)[index_name]["mappings"]["properties"]["v"]
    assert mapping["method"]["engine"] == "lucene"
    assert client.count(index=index_name)["count"] == len(VECTORS)


def test_knn_query_returns_true_nearest_neighbours(client: OpenSearch, index_name: str) -> None:
    _lucene_index(client, index_name)
    body = {"size": 3, "query": {"knn": {"v": {"vector": QUERY, "k": 3}}}}
    hits = client.search(index=index_name, body=body)["hits"]["hits"]
    cosines = _numpy_cosines()
    assert [h["_id"] for h in hits] == ["a", "b", "c"]  # the hand-checked order above
    assert [h["_id"] for h in hits] == sorted(cosines, key=cosines.get, reverse=True)[:3]
    # The lucene cosinesimil score is (1 + cos) / 2.
    for hit in hits:
        assert hit["_score"] == pytest.approx((1 + cosines[hit["_id"]]) / 2, abs=1e-5)


def test_knn_score_script_gives_numpy_cosines(client: OpenSearch, index_name: str) -> None:
    _lucene_index(client, index_name)
    script = {
        "source": "knn_score",
        "lang": "knn",
        "params": {"field": "v", "query_value": QUERY, "space_type": "cosinesimil"},
    }
    body = {"size": len(VECTORS), "query": {"script_score": {"query": {"match_all": {}}, "script": script}}}
    hits = client.search(index=index_name, body=body)["hits"]["hits"]
    scores = {h["_id"]: h["_score"] for h in hits}
    cosines = _numpy_cosines()
    assert set(scores) == set(VECTORS)
    for key, cos in cosines.items():
        assert scores[key] == pytest.approx((1 + cos) / 2, abs=1e-5), key


def test_smoke_check_passes_on_the_test_cluster(client: OpenSearch) -> None:
    report = smoke_check(client)
    assert report["knn_plugin"] is True
    assert report["knn_nearest_ok"] is True
    assert report["version"].split(".")[0] in {"2", "3"}
