"""The request bodies (shopsearch.queries, built with opensearch-py's query DSL) and the result shapes
(shopsearch.hits), without an engine: the JSON each body sends, and each shape against its response model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opensearchpy import Search
from pydantic import BaseModel, ValidationError

from shopsearch import hits
from shopsearch.config import MAPPINGS_DIR
from shopsearch.queries import logs, neighbours, shoppers
from shopsearch.queries import products as Q
from shopsearch.relevance.profile import RelevanceProfile, load_profile

PROFILE = load_profile(MAPPINGS_DIR / "profiles" / "default.yaml")
FIELDS = [f"{name}^{boost:g}" for name, boost in PROFILE.spec.fields.items()]
TEXT = {"multi_match": {"query": "chef knife", "fields": FIELDS, "type": "best_fields"}}
FACETS = {
    "brand": {"terms": {"field": "brand", "size": 30}},
    "category": {"terms": {"field": "category_levels", "size": 100}},
    "price": {
        "range": {
            "field": "price",
            "ranges": [
                {"to": 25},
                {"from": 25, "to": 50},
                {"from": 50, "to": 100},
                {"from": 100, "to": 250},
                {"from": 250, "to": 500},
                {"from": 500},
            ],
        }
    },
}


def _with(profile: RelevanceProfile, **spec: object) -> RelevanceProfile:
    return RelevanceProfile(profile.name, profile.spec.model_copy(update=spec), profile.signals)


def test_filters_and_hide_are_dsl_clauses_as_dicts() -> None:
    assert Q.filters(category="Home", brand="Shun", price_min=10, price_max=20, in_stock=False) == [
        {"term": {"category_levels": "Home"}},
        {"term": {"brand": "Shun"}},
        {"range": {"price": {"gte": 10, "lte": 20}}},
        {"term": {"in_stock": False}},
    ]
    assert Q.hide(["a", "b"]) == [{"bool": {"must_not": [{"ids": {"values": ["a", "b"]}}]}}]
    assert Q.hide([]) == []
    assert Q.everything([]).to_dict() == {"match_all": {}}
    assert Q.everything(Q.hide(["a"])).to_dict() == {"bool": {"filter": Q.hide(["a"])}}


def test_facets_are_dsl_aggregations() -> None:
    assert Q.facets(Search()).to_dict() == {"aggs": FACETS}


def test_the_bm25_body() -> None:
    clauses = Q.filters(brand="Shun")
    assert Q.bm25_search("chef knife", PROFILE, clauses, "b64") == {
        "query": {"bool": {"must": [TEXT], "filter": clauses}},
        "aggs": FACETS,
        "size": PROFILE.spec.candidates.bm25,
        "track_total_hits": True,
        "_source": [*hits.ITEM_FIELDS, "b64"] if PROFILE.needs_vectors else hits.ITEM_FIELDS,
    }
    # No filter: the DSL leaves the empty list out (the same query to the engine).
    assert Q.bm25_search("chef knife", PROFILE, [], "b64")["query"] == {"bool": {"must": [TEXT]}}


def test_a_typo_tolerant_profile_adds_a_fuzzy_copy() -> None:
    typo = {**TEXT["multi_match"], "fuzziness": "AUTO", "prefix_length": 1, "boost": 0.5}
    assert Q.text_query("chef knife", _with(PROFILE, fuzzy=0.5)) == {"bool": {"should": [TEXT, {"multi_match": typo}]}}


def test_a_knn_body_is_a_dict_around_dsl_parts() -> None:
    clauses = Q.filters(brand="Shun")
    body = Q.knn_search([0.1, 0.2], "chef knife", PROFILE, clauses, "embedding", "b64")
    k = PROFILE.spec.candidates.knn
    knn = {"embedding": {"vector": [0.1, 0.2], "k": k, "filter": {"bool": {"filter": clauses}}}}
    marked = {"bool": {"should": [TEXT], "_name": Q.TEXT_MATCH, "boost": 0}}
    assert body["query"] == {"bool": {"must": [{"knn": knn}], "should": [marked]}}
    assert body["size"] == k and "aggs" not in body
    assert "should" not in Q.knn_search([0.1], "", PROFILE, [], "embedding", "b64")["query"]["bool"]


def test_pages_sorts_and_the_engine_scored_browse() -> None:
    match = Q.match_query("chef knife", [0.1], PROFILE, [], "embedding")
    body = Q.sorted_search(match, "newest", 20, 10)
    assert body["query"] == match and body["aggs"] == FACETS
    assert body["sort"] == [{"created_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    assert (body["from"], body["size"], body["track_total_hits"], body["_source"]) == (20, 10, True, hits.RESULT_FIELDS)
    script = {"source": "s", "params": {"w": 1}}
    browse = Q.browse_search(Q.everything([]), script, 0, 5)
    assert browse["query"] == {"script_score": {"query": {"match_all": {}}, "script": script}}
    assert Q.browse_search({"match_all": {}}, None, 0, 5)["query"] == {"match_all": {}}
    beyond = Q.beyond_search("chef knife", PROFILE, Q.hide(["a"]), 30, 5)
    assert (beyond["from"], beyond["size"], beyond["track_total_hits"]) == (30, 5, False)


def test_pinned_suggest_and_did_you_mean() -> None:
    pinned = Q.pinned_search(["p1"], "chef knife", PROFILE, [])["query"]["bool"]
    assert pinned["filter"] == [{"ids": {"values": ["p1"]}}]
    assert pinned["should"] == [{"bool": {"should": [TEXT], "_name": Q.TEXT_MATCH, "boost": 0}}]
    suggest = Q.suggest_search("skil", 6)
    assert suggest["_source"] == ["title", "brand", "category"] and suggest["size"] == 6
    assert suggest["aggs"] == {
        "brand": {"terms": {"field": "brand", "size": 3}},
        "category": {"terms": {"field": "category", "size": 3}},
    }
    assert suggest["query"]["bool"]["minimum_should_match"] == 1
    fix = Q.did_you_mean("cieling")["suggest"]["fix"]
    assert fix["text"] == "cieling" and fix["phrase"]["direct_generator"] == [
        {"field": "suggest", "suggest_mode": "always"}
    ]
    assert Q.profile_lookup("u1", "vector") == {"query": {"ids": {"values": ["u1"]}}, "size": 1, "_source": ["vector"]}


def test_rail_bodies() -> None:
    assert neighbours.not_this_family("p1", "g1") == [
        {"bool": {"must_not": [{"ids": {"values": ["p1"]}}, {"term": {hits.GROUP_FIELD: "g1"}}]}}
    ]
    assert neighbours.not_this_family("p1", None) == [{"bool": {"must_not": [{"ids": {"values": ["p1"]}}]}}]
    near = neighbours.nearest([0.1], 5, "embedding", neighbours.not_this_family("p1", None), ["id"])
    assert near["query"]["knn"]["embedding"]["filter"] == {"bool": {"filter": neighbours.not_this_family("p1", None)}}
    assert neighbours.popular([], None, 3)["query"] == {"match_all": {}}
    assert neighbours.by_ids(["a", "b"], ["title"]) == {
        "query": {"ids": {"values": ["a", "b"]}},
        "size": 2,
        "_source": ["title"],
    }
    assert neighbours.pool([0.1], 4, "factor", {"b", "a"})["query"]["knn"]["factor"]["filter"] == {
        "bool": {"filter": Q.hide(["a", "b"])}
    }
    assert neighbours.every_vector("b64") == {"_source": ["b64"]}
    scored = Q.cosine_scored(neighbours.by_ids(["a"]), [0.5], "text")
    assert scored["query"]["script_score"]["query"] == {"ids": {"values": ["a"]}}
    assert Q.cosine_scored(neighbours.by_ids(["a"]), None, "text") == neighbours.by_ids(["a"])


def test_event_and_profile_bodies() -> None:
    until = datetime(2024, 5, 1, tzinfo=UTC)
    assert logs.selected("u1", until) == {
        "query": {
            "bool": {
                "filter": [{"term": {"user_id": "u1"}}, {"range": {"@timestamp": {"lte": "2024-05-01T00:00:00+00:00"}}}]
            }
        }
    }
    assert logs.selected() == {"query": {"match_all": {}}}
    assert logs.events_of(["u1"], ("cart",))["query"]["bool"]["filter"] == [
        {"terms": {"user_id": ["u1"]}},
        {"terms": {"type": ["cart"]}},
    ]
    page = logs.user_page(None, {"user": "u9"})
    assert page["size"] == 0 and page["aggs"] == {
        "users": {
            "composite": {"size": 1000, "sources": [{"user": {"terms": {"field": "user_id"}}}], "after": {"user": "u9"}}
        }
    }
    logged = logs.logged_searches("7d", 1000)
    assert logged["query"] == {"range": {"@timestamp": {"gte": "now-7d"}}}
    assert logged["aggs"]["queries"] == {
        "terms": {"field": "query", "size": 1000},
        "aggs": {"empty": {"filter": {"term": {"results": 0}}}},
    }
    acted = logs.clicks_and_carts("24h", 1000, 100)["aggs"]["positions"]
    assert acted == {"terms": {"field": "position", "size": 100}, "aggs": {"type": {"terms": {"field": "type"}}}}
    assert logs.popular_queries("7d", 5)["aggs"] == {"queries": {"terms": {"field": "query", "size": 5}}}
    assert logs.query_clicks(until)["query"]["bool"]["filter"][1:] == [
        {"term": {"type": "click"}},
        {"exists": {"field": "query"}},
    ]
    assert shoppers.first_shoppers(12, "forgotten_at") == {
        "query": {"bool": {"must_not": [{"exists": {"field": "forgotten_at"}}]}},
        "sort": [{"id": "asc"}],
        "size": 12,
        "_source": False,
    }


SOURCE = {"title": "Shun chef knife", "brand": "Shun", "category": "Home", "price": 99.0, "sales": 3}


def test_each_shape_is_its_model_and_shows_only_public_fields() -> None:
    source = {**SOURCE, "in_stock": True, "stock": 4, "category_levels": ["Home"], "attrs": {"group_id": "g"}}
    hit = hits.hit(source, "p1", 0.1234567, {"text": 0.1234567}, ["pinned at 1 by rule r"])
    assert hits.Hit.model_validate(hit).model_dump(exclude_none=True) == hit
    assert hit["score"] == 0.123457 and "stock" not in hit and "attrs" not in hit
    assert "explain" not in hits.hit(source, "p1", None, None)
    item = hits.rail_item({"_id": "p1", "_source": source}, 0.5, "popular")
    assert hits.RailItem.model_validate(item).model_dump() == item
    assert hits.Variant.model_validate(hits.variant("p2", source)).model_dump() == hits.variant("p2", source)
    assert hits.suggestion({"_id": "p1", "_source": {"title": "Shun"}}) == {"id": "p1", "title": "Shun"}
    page = hits.product({"_id": "p1", "_source": {**source, "description": None, "tags": ["knife"]}})
    assert page == {"id": "p1", **SOURCE, "in_stock": True, "tags": ["knife"]}
    for model in (hits.Hit, hits.RailItem, hits.Variant, hits.Suggestion):  # what a result shows, the search reads
        assert set(hits.shown(model)) <= set(hits.RESULT_FIELDS)


@pytest.mark.parametrize("model", [hits.Hit, hits.RailItem, hits.Variant, hits.Product, hits.Suggestion])
def test_a_shape_refuses_a_field_it_does_not_declare(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({"id": "p1", "score": 1.0, "reason": "r", "stock": 3})
