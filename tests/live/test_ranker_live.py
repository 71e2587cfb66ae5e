"""The learned ranker on the live node: `learn` writes profiles that serve, and the model-id check."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopsearch.errors import VectorSpaceMismatch
from shopsearch.lab.judgments import Judgments


@pytest.mark.engine
def test_learn_writes_profiles_that_serve_and_beat_nothing_by_luck(shop, tmp_path: Path) -> None:
    from shopsearch.lab.learn import learn

    searcher = shop["app"].extensions["shopsearch"].searcher
    judged = Judgments()
    wanted = {
        "chef knife": "K0",
        "paring knife": "K1",
        "bread knife": "K2",
        "cast iron skillet": "C0",
        "frying pan": "C1",
        "dutch oven": "C2",
        "running shoes": "R0",
        "tent": "T0",
        "headlamp": "T2",
        "earbuds": "H1",
        "noise cancelling headphones": "H0",
        "stock pot": "C4",
        "wok": "C5",
        "santoku": "K3",
        "knife block": "K4",
        "boning knife": "K5",
        "sleeping bag": "T1",
        "saucepan": "C3",
    }
    for query, product in wanted.items():
        judged.queries[query] = query
        judged.add(query, product, 2)
    result = learn(
        searcher, judged, base="default", name="learned-test", held_out=0.3, rerank=tmp_path / "ce", rerank_epochs=3
    )
    profiles = shop["profiles"]
    assert (profiles / "learned-test.yaml").is_file() and (profiles / "learned-test.lgb.txt").is_file()
    assert result.profiles == ["bm25", "default", "learned-test-linear", "learned-test", "learned-test-reranked"]
    assert set(result.train).isdisjoint(result.held_out) and len(result.held_out) >= 1
    assert all(0 <= result.report["scores"][p]["ndcg@10"] <= 1 for p in result.profiles)
    page = shop["http"].get("/search?q=chef+knife&profile=learned-test&explain=true").get_json()
    assert page["hits"] and any(key.startswith("ltr.") for key in page["hits"][0]["explain"])
    # the cross-encoder trained on the training queries re-scores the ranker's top 30, shown in explain
    assert (tmp_path / "ce" / "config.json").is_file() and 0.0 in result.rerank and len(result.rerank) > 1
    # every epoch judged on the validation queries, then their average (the soup); the best kept
    assert len(result.rerank_epochs) == 4
    reranked = shop["http"].get("/search?q=chef+knife&profile=learned-test-reranked&explain=true&size=10").get_json()
    hits = reranked["hits"]
    assert hits and all("rerank" in hit["explain"] for hit in hits)
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)


@pytest.mark.engine
def test_queries_are_never_compared_with_vectors_of_another_model(shop) -> None:
    searcher = shop["app"].extensions["shopsearch"].searcher
    searcher.check_vector_space()  # the shop's own encoder: fine
    real, loader = searcher.encoder, searcher.load_model

    class OtherModel:
        model_id, dimension = "other-model@0123456789abcdef", real.dimension

    try:
        searcher.encoder, searcher.load_model, searcher._space_checked_at = OtherModel(), None, -1e9
        with pytest.raises(VectorSpaceMismatch, match="holds vectors of .* but queries are encoded with other-model"):
            searcher.check_vector_space()
        searcher.load_model = lambda meta: pytest.fail("a refusal is remembered until the next check")
        with pytest.raises(VectorSpaceMismatch):
            searcher.check_vector_space()
        searcher.load_model, searcher._space_checked_at = lambda meta: OtherModel(), -1e9  # now another model
        with pytest.raises(VectorSpaceMismatch, match="now holds other-model"):
            searcher.check_vector_space()
        searcher.load_model, searcher._space_checked_at = loader, -1e9  # the index's _meta says where: switch
        searcher.check_vector_space()
        assert searcher.encoder.model_id.endswith(real.model_id.rpartition("@")[2]) and searcher.encoder is not real
    finally:
        searcher.encoder, searcher.load_model, searcher._space_checked_at = real, loader, -1e9
