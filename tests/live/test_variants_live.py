"""Variant collapse on the live node: one card per product family (group_id), its best variant first."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from shopsearch import wiring
from shopsearch.config import load_settings
from shopsearch.relevance.searcher import SearchRequest
from shopsearch.search_api.schemas import SearchResponse

pytestmark = pytest.mark.engine

FAMILIES = [
    {"id": "G1-red", "title": "Global chef knife 8 inch red", "group_id": "G1", "price": 90, "sales": 50},
    {"id": "G1-blue", "title": "Global chef knife 8 inch blue", "group_id": "G1", "price": 95, "sales": 5},
    {"id": "G1-black", "title": "Global chef knife 8 inch black", "group_id": "G1", "price": 99, "sales": 1},
    {"id": "S1-wood", "title": "Shun chef knife walnut handle", "group_id": "S1", "price": 150, "sales": 20},
    {"id": "S1-steel", "title": "Shun chef knife steel handle", "group_id": "S1", "price": 140, "sales": 2},
    {"id": "M1", "title": "Mercer chef knife", "price": 30, "sales": 10},
    {"id": "P1", "title": "Lodge cast iron skillet", "price": 40, "sales": 70},
]


@pytest.fixture(scope="module")
def searcher(os_settings, client, minilm_encoder, tmp_path_factory) -> Iterator:
    from shopsearch.indexer.service import Indexer

    tmp = tmp_path_factory.mktemp("variants")
    catalog = tmp / "families.jsonl"
    catalog.write_text(
        "".join(
            json.dumps({**p, "category": "Home > Kitchen", "brand": p["title"].split()[0]}) + "\n" for p in FAMILIES
        ),
        encoding="utf-8",
    )
    settings = load_settings(
        opensearch=os_settings.model_dump(),
        model={"path": minilm_encoder.model_dir},
        index={
            "alias": f"test-families-{uuid.uuid4().hex[:8]}",
            "vector_cache": tmp / "v.sqlite",
            "dead_letter_dir": tmp,
        },
    )
    Indexer(settings, client=client, encoder=minilm_encoder).reindex(catalog)
    yield wiring.searcher(settings, client=client, encoder=minilm_encoder)
    client.indices.delete(index=f"{settings.index.alias}-*", ignore_unavailable=True)


def test_chef_knife_shows_one_card_per_family_with_its_variants(searcher) -> None:
    result = searcher.search(SearchRequest(q="chef knife", size=10))
    cards = [h for h in result["hits"] if "knife" in h["title"]]
    assert sorted(h["id"].split("-")[0] for h in cards) == ["G1", "M1", "S1"]
    for hit in cards:
        family = {p["id"] for p in FAMILIES if p.get("group_id") and p["id"].startswith(hit["id"].split("-")[0] + "-")}
        assert {v["id"] for v in hit.get("variants", [])} == family - {hit["id"]}
    global_card = next(h for h in cards if h["id"].startswith("G1"))
    assert {"title", "price", "in_stock"} <= set(global_card["variants"][0])
    assert result["total"] == len(result["hits"])  # a family counts once


def test_a_card_with_its_variants_is_the_hit_model(searcher) -> None:
    result = searcher.search(SearchRequest(q="chef knife", size=10, explain=True))
    assert any(h.get("variants") for h in result["hits"])
    assert SearchResponse.model_validate(result).model_dump(by_alias=True, exclude_unset=True) == result


def test_collapse_false_lists_every_variant(searcher) -> None:
    result = searcher.search(SearchRequest(q="chef knife", size=10, collapse=False))
    assert {h["id"] for h in result["hits"]} >= {p["id"] for p in FAMILIES if "knife" in p["title"]}
    assert all("variants" not in h for h in result["hits"])


def test_pages_of_cards_stay_full_up_to_the_total(searcher) -> None:
    total = searcher.search(SearchRequest(q="chef knife", size=1))["total"]
    seen = [
        h["id"]
        for page in range(1, total + 1)
        for h in searcher.search(SearchRequest(q="chef knife", size=1, page=page))["hits"]
    ]
    assert len(seen) == len(set(seen)) == total
