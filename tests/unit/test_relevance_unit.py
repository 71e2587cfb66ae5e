"""Pure parts of ranking: scoring math, signals, profile files and query bodies (no server)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shopsearch.config import MAPPINGS_DIR
from shopsearch.errors import ConfigError
from shopsearch.plugins.base import Candidates, Context
from shopsearch.queries import products as Q
from shopsearch.relevance.profile import ProfileSet, RelevanceProfile, load_profile
from shopsearch.relevance.scoring import cheaper_term, minmax, rrf, sales_term
from shopsearch.relevance.searcher import SearchRequest, blend
from shopsearch.users.vectors import weighted_unit_mean

DEFAULT = MAPPINGS_DIR / "profiles" / "default.yaml"


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e6, 1e6)))
def test_minmax_stays_in_unit_range_and_keeps_order(values: np.ndarray) -> None:
    scaled = minmax(values)
    assert np.all((scaled >= 0) & (scaled <= 1))
    assert np.all(np.diff(scaled[np.argsort(values, kind="stable")]) >= 0)  # order kept (ties may merge)


def test_rrf_and_business_terms() -> None:
    assert rrf(np.array([1, 2, 0]), 60).tolist() == pytest.approx([1.0, 61 / 62, 0.0])
    assert sales_term(np.array([0, 999, 10**9]), 999).tolist() == pytest.approx([0.0, 1.0, 1.0])
    assert cheaper_term(np.array([0, 100, np.nan]), 100).tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_weighted_unit_mean() -> None:
    vectors = np.eye(3)
    mean = weighted_unit_mean(vectors[:2], np.array([1.0, 3.0]))
    assert mean == pytest.approx(np.array([1, 3, 0]) / np.sqrt(10))
    assert weighted_unit_mean(np.array([[1.0, 0], [-1.0, 0]]), np.ones(2)) is None  # cancels out
    assert weighted_unit_mean(np.empty((0, 3)), np.empty(0)) is None


def _candidates() -> Candidates:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    sources = [{"sales": 0, "price": 10.0}, {"sales": 1000, "price": 50.0}, {"sales": 10}]
    return Candidates(
        ["a", "b", "c"], sources, vectors, np.array([3.0, 1.0, 0.0]), np.array([1, 2, 0]), np.array([0, 2, 1])
    )


def test_blend_adds_weighted_signals_and_drops_the_absent_user() -> None:
    profile = load_profile(DEFAULT)
    context = Context(query_vector=np.array([0.6, 0.8]), user_vector=None)  # no query text: no coverage
    scores, parts = blend(profile, _candidates(), context)
    assert set(parts) == {"text", "semantic", "business"}
    assert scores == pytest.approx(sum(parts.values()))
    assert parts["text"].tolist() == pytest.approx([0.6, 0.6 / 3, 0.0])  # 0.6 x min-max of BM25 (3, 1, absent=0)
    with_user = blend(profile, _candidates(), Context(np.array([0.6, 0.8]), np.array([0.0, 1.0])))[1]
    assert with_user["personal"].tolist() == pytest.approx([0.0, 0.5, 0.4])  # α = 0.5 times cos


def test_shipped_profiles_load() -> None:
    profiles = ProfileSet(MAPPINGS_DIR / "profiles")
    assert {"default", "bm25", "semantic"} <= set(profiles.names())
    assert [s.name for s in profiles.get(None).signals] == ["text", "semantic", "coverage", "personal", "business"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("signals: {magic: {weight: 1}}", "signals.magic: unknown signal"),
        ("signals: {text: {weight: -1}}", "signals.text.weight: Input should be greater than or equal to 0"),
        ("signals: {business: {weight: 1, price_mode: random}}", "signals.business.price_mode"),
        ("normalization: zscore", "normalization: Input should be 'minmax' or 'rrf'"),
        ("fields: {}", "fields: Dictionary should have at least 1 item"),
    ],
)
def test_profile_errors_name_file_and_key(tmp_path: Path, edit: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    base = "fields: {title: 1}\nsignals: {text: {weight: 1}}\n"
    path.write_text(base + edit + "\n")
    with pytest.raises(ConfigError, match=rf"p\.yaml: {message}"):
        load_profile(path)


def test_a_broken_edit_keeps_the_previous_profiles_serving(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text("fields: {title: 1}\nsignals: {text: {weight: 1}}\n")
    profiles = ProfileSet(tmp_path)
    path.write_text("fields: {title: 1}\nsignals: {text: {weight: oops}}\n")
    assert profiles.get(None).signals[0].weight == 1.0


def test_filters_and_match_query_bodies() -> None:
    clauses = SearchRequest(category="Home > Kitchen", brand="Shun", price_min=10, in_stock=True).filter_clauses()
    assert clauses == [
        {"term": {"category_levels": "Home > Kitchen"}},
        {"term": {"brand": "Shun"}},
        {"range": {"price": {"gte": 10}}},
        {"term": {"in_stock": True}},
    ]
    profile = load_profile(DEFAULT)
    match = Q.match_query("chef knife", [0.1, 0.2], profile, clauses, "embedding")
    text, knn = match["bool"]["should"]
    assert text["multi_match"]["query"] == "chef knife" and "title^3" in text["multi_match"]["fields"]
    typo_tolerant = RelevanceProfile("typos", profile.spec.model_copy(update={"fuzzy": 0.5}), profile.signals)
    exact, typo = Q.text_query("chef knife", typo_tolerant)["bool"]["should"]
    assert exact == text and typo["multi_match"]["fuzziness"] == "AUTO" and typo["multi_match"]["boost"] == 0.5
    assert knn == {"knn": {"embedding": {"vector": [0.1, 0.2], "k": 50, "filter": {"bool": {"filter": clauses}}}}}
    assert match["bool"]["filter"] == clauses and match["bool"]["minimum_should_match"] == 1
    assert Q.match_query("", None, profile, [], "embedding") == {"match_all": {}}


def test_a_profile_searches_the_graph_deeper_with_ef_search() -> None:
    profile = load_profile(DEFAULT)
    assert (
        "method_parameters"
        not in Q.knn_search([0.1], "q", profile, [], "embedding", "b64")["query"]["bool"]["must"][0]["knn"]["embedding"]
    )
    candidates = profile.spec.candidates.model_copy(update={"ef_search": 500})
    deeper = RelevanceProfile("deeper", profile.spec.model_copy(update={"candidates": candidates}), profile.signals)
    knn = Q.knn_search([0.1], "q", deeper, [], "embedding", "b64")["query"]["bool"]["must"][0]["knn"]["embedding"]
    assert knn["method_parameters"] == {"ef_search": 500} and knn["k"] == 50
    matched = Q.match_query("q", [0.1], deeper, [], "embedding")["bool"]["should"][1]["knn"]["embedding"]
    assert matched["method_parameters"] == {"ef_search": 500}


def test_browse_scores_inside_the_engine_with_the_business_formula() -> None:
    script = load_profile(DEFAULT).signal("business").engine_script()
    body = Q.browse_search({"match_all": {}}, script, 20, 10)
    assert body["query"]["script_score"]["script"]["params"] == {"ws": 1.0, "wp": 0.3, "cap": 2000, "scale": 100}
    assert (body["from"], body["size"], body["track_total_hits"]) == (20, 10, True)


@pytest.mark.parametrize(
    "params",
    [
        {"size": 101},
        {"page": 0},
        {"page": 1001, "size": 10},
        {"price_min": -1},
        {"q": "x" * 513},
        {"price_min": 5, "price_max": 1},
        {"colour": "red"},
    ],
)
def test_search_request_rejects(params: dict) -> None:
    with pytest.raises(ValueError):
        SearchRequest(**params)


def test_facets_add_the_knn_only_hits_to_the_engine_counts() -> None:
    from shopsearch.relevance.facets import from_aggregations

    aggs = {
        "brand": {"buckets": [{"key": "Shun", "doc_count": 2}]},
        "category": {"buckets": [{"key": "Home", "doc_count": 2}]},
        "price": {
            "buckets": [
                {"doc_count": 1},
                {"doc_count": 1},
                {"doc_count": 0},
                {"doc_count": 0},
                {"doc_count": 0},
                {"doc_count": 0},
            ]
        },
    }
    extra = [{"brand": "Mercer", "category_levels": ["Home", "Home > Kitchen"], "price": 25.0}, {"brand": "Shun"}]
    facets = from_aggregations(aggs, extra)
    assert facets["brand"] == [{"value": "Shun", "count": 3}, {"value": "Mercer", "count": 1}]
    assert facets["category"] == [{"value": "Home", "count": 3}, {"value": "Home > Kitchen", "count": 1}]
    assert [b["count"] for b in facets["price"]] == [1, 2, 0, 0, 0, 0]  # 25 falls in [25, 50)
