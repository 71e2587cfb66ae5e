"""The search API against the live node, on the small hand-made shop (conftest) indexed with the real MiniLM."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask.testing import FlaskClient

from shopsearch.config import load_settings
from shopsearch.search_api.app import create_app

pytestmark = pytest.mark.engine


def search(http: FlaskClient, **params: object) -> dict:
    response = http.get("/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(result: dict) -> list[str]:
    return [hit["id"] for hit in result["hits"]]


def test_a_paraphrase_with_no_shared_words_finds_the_product(shop) -> None:
    assert ids(search(shop["http"], q="rainproof shelter to pitch in the wilderness", size=1)) == ["T0"]
    assert ids(search(shop["http"], q="cancel out noise while listening to music", size=1)) == ["H0"]


def test_keyword_search_with_facets_and_filters(shop) -> None:
    result = search(shop["http"], q="running shoes", size=10)
    assert set(ids(result)[:4]) <= {"R0", "R1", "R2", "R4", "R3"}
    assert {"value": "Sports > Running > Shoes", "count": 5} in result["facets"]["category"]
    assert sum(bucket["count"] for bucket in result["facets"]["price"]) == result["total"]
    nike = search(shop["http"], q="running shoes", brand="Nike")
    assert ids(nike) == ["R0"] and nike["total"] == 1
    cheap = search(shop["http"], q="knife", price_max=40, category="Home > Kitchen")
    assert ids(cheap)[0].startswith("K")  # semantic neighbours (pans) may follow, but knives lead
    assert all(h["price"] <= 40 and h["category"].startswith("Home > Kitchen") for h in cheap["hits"])


def test_chinese_query(shop) -> None:
    assert ids(search(shop["http"], q="龙井", size=1)) == ["Z1"]
    assert ids(search(shop["http"], q="菜刀", size=1)) == ["Z2"]


def test_explain_contributions_add_up_to_the_score(shop) -> None:
    result = search(shop["http"], q="kitchen knife", explain="true", size=8)
    for hit in result["hits"]:
        assert set(hit["explain"]) == {"text", "semantic", "coverage", "business"}  # no user: no personal term
        assert sum(hit["explain"].values()) == pytest.approx(hit["score"], abs=1e-5)
    assert [h["score"] for h in result["hits"]] == sorted((h["score"] for h in result["hits"]), reverse=True)


def _knife_minus_pan(result: dict) -> int:
    return sum(h["id"].startswith("K") for h in result["hits"]) - sum(h["id"].startswith("C") for h in result["hits"])


def test_two_users_get_orders_that_follow_their_history(shop) -> None:
    http = shop["http"]
    assert (
        http.put("/users/knife-fan/vector", json={"items": ["K0", "K2", {"id": "K4", "weight": 2}]}).status_code == 200
    )
    assert http.put("/users/pan-fan/vector", json={"items": ["C0", "C1", "C2"]}).status_code == 200
    knife_fan = search(http, q="kitchen", user_id="knife-fan", size=6, explain="true")
    pan_fan = search(http, q="kitchen", user_id="pan-fan", size=6)
    anonymous = search(http, q="kitchen", size=6)
    assert knife_fan["personalized"] and pan_fan["personalized"] and not anonymous["personalized"]
    assert ids(knife_fan) != ids(pan_fan)
    assert _knife_minus_pan(knife_fan) > _knife_minus_pan(anonymous) >= _knife_minus_pan(pan_fan)
    assert _knife_minus_pan(knife_fan) > _knife_minus_pan(pan_fan) + 2
    assert all("personal" in h["explain"] for h in knife_fan["hits"])


def test_a_user_without_a_profile_drops_the_personal_term(shop) -> None:
    result = search(shop["http"], q="headphones", user_id="nobody-yet", explain="true")
    assert not result["personalized"] and result["hits"]
    assert all("personal" not in h["explain"] for h in result["hits"])


def test_unknown_product_in_a_profile_is_a_400(shop) -> None:
    response = shop["http"].put("/users/u/vector", json={"items": ["K0", "NOPE"]})
    assert response.status_code == 400 and response.get_json()["unknown"] == ["NOPE"]


def test_the_old_profile_path_still_sets_and_reads_the_shopper_vector(shop) -> None:
    http = shop["http"]
    old = http.put("/users/old-path/profile", json={"items": ["K0", "K2"]})
    assert old.status_code == 200 and old.get_json() == {"user_id": "old-path", "items": 2, "has_vector": True}
    assert http.get("/users/old-path/profile").get_json() == http.get("/users/old-path/vector").get_json()
    assert http.get("/users/nobody-here/profile").status_code == 404


def _with_beta(shop, beta: float) -> None:
    path = shop["profiles"] / "default.yaml"
    profile = yaml.safe_load(path.read_text())
    profile["signals"]["business"]["weight"] = beta
    path.write_text(yaml.safe_dump(profile))


def test_raising_beta_moves_best_sellers_up_without_a_restart(shop) -> None:
    original = (shop["profiles"] / "default.yaml").read_text()
    try:
        _with_beta(shop, 0.0)
        low = ids(search(shop["http"], q="running shoes", size=5))
        _with_beta(shop, 3.0)
        high = ids(search(shop["http"], q="running shoes", size=5))
    finally:
        (shop["profiles"] / "default.yaml").write_text(original)
    assert "R3" in low and low.index("R3") > 0  # the best-seller matches the words least
    assert high[0] == "R3"


def test_browse_orders_by_business_value(shop) -> None:
    result = search(shop["http"], category="Sports > Running", size=5, explain="true")
    assert result["total"] == 5 and ids(result)[0] == "R3"
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True) and all(set(h["explain"]) == {"business"} for h in result["hits"])


def test_field_sort_and_pagination(shop) -> None:
    pages = [search(shop["http"], q="knife", sort="price_asc", size=2, page=p) for p in (1, 2)]
    prices = [h["price"] for page in pages for h in page["hits"]]
    assert prices == sorted(prices) and len(set(ids(pages[0])) & set(ids(pages[1]))) == 0
    assert pages[0]["hits"][0]["score"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("size=101", "size"),
        ("size=0", "size"),
        ("page=1001&size=10", "page"),
        ("price_min=-1", "price_min"),
        ("price_min=9&price_max=1", "price_min"),
        ("q=" + "x" * 513, "q"),
        ("profile=nope", "profile"),
        ("page=two", "page"),
        ("in_stock=maybe", "in_stock"),
        ("sort=random", "sort"),
        ("color=red", "color"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(shop, query: str, parameter: str) -> None:
    response = shop["http"].get(f"/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_product_openapi_and_metrics(shop) -> None:
    http = shop["http"]
    assert http.get("/products/K0").get_json()["title"] == "Shun chef knife 8 inch"
    assert not {"embedding", "embedding_b64"} & set(http.get("/products/K0").get_json())
    assert http.get("/products/NOPE").status_code == 404
    paths = http.get("/openapi.json").get_json()["paths"]
    assert {"/search", "/products/{product_id}", "/users/{user_id}/profile", "/health", "/metrics"} <= set(paths)
    assert paths["/users/{user_id}/profile"]["get"]["deprecated"] and "/users/{user_id}/vector" in paths
    assert any(p["name"] == "price_min" for p in paths["/search"]["get"]["parameters"])
    assert http.get("/health").get_json()["status"] == "ok"
    metrics = http.get("/metrics").get_data(as_text=True)
    assert 'shopsearch_requests_total{endpoint="/search",status="200"}' in metrics
    assert "shopsearch_request_seconds_bucket" in metrics


def test_engine_down_gives_503_and_health_says_why(shop, minilm_encoder) -> None:
    dead = shop["settings"].model_copy(
        update={
            "opensearch": load_settings(
                opensearch={"url": "http://127.0.0.1:9", "timeout": 2, "max_retries": 0}
            ).opensearch
        }
    )
    http = create_app(dead, encoder=minilm_encoder).test_client()
    response = http.get("/search", query_string={"q": "knife"})
    assert response.status_code == 503
    assert response.get_json() == {"error": "search engine unavailable", "cause": "ConnectionError"}
    health = http.get("/health")
    assert health.status_code == 503 and health.get_json()["checks"]["engine"].startswith("unreachable")
    assert "shopsearch_engine_errors_total 1.0" in http.get("/metrics").get_data(as_text=True)


def test_profiles_directory_must_hold_the_default(tmp_path: Path, shop) -> None:
    from shopsearch.errors import ConfigError
    from shopsearch.relevance.profile import ProfileSet

    with pytest.raises(ConfigError, match="no default profile"):
        ProfileSet(tmp_path)


def test_diversity_spreads_a_page_over_more_kinds(shop) -> None:
    path = shop["profiles"] / "diverse.yaml"
    profile = yaml.safe_load((shop["profiles"] / "default.yaml").read_text())
    path.write_text(yaml.safe_dump({**profile, "diversity": 0.8}))
    try:
        plain = search(shop["http"], q="kitchen", size=6)
        diverse = search(shop["http"], q="kitchen", profile="diverse", size=6)
    finally:
        path.unlink()
    assert ids(plain)[0] == ids(diverse)[0]  # the best match still leads
    assert len({h["category"] for h in diverse["hits"]}) >= len({h["category"] for h in plain["hits"]})
    assert ids(diverse) != ids(plain)


def test_an_api_worker_encodes_with_one_thread_unless_told_otherwise(shop, tiny_bert_dir: Path) -> None:
    """Each worker's torch threads spinning for all cores made overlapping blended searches collapse."""
    import torch

    before = torch.get_num_threads()
    try:
        settings = shop["settings"].model_copy(
            update={"model": shop["settings"].model.model_copy(update={"path": tiny_bert_dir})}
        )
        assert create_app(settings).extensions["shopsearch"].searcher.encoder.threads == 1
        assert torch.get_num_threads() == 1
        told = settings.model_copy(update={"model": settings.model.model_copy(update={"threads": 2})})
        assert create_app(told).extensions["shopsearch"].searcher.encoder.threads == 2
    finally:
        torch.set_num_threads(before)


def test_pages_past_the_reranked_candidates_are_full_up_to_the_total(shop) -> None:
    (Path(shop["profiles"]) / "narrow.yaml").write_text(
        yaml.safe_dump(
            {
                "candidates": {"bm25": 4, "knn": 2},
                "fields": {"title": 3.0, "category.text": 1.0},
                "signals": {"text": {"weight": 0.6}, "semantic": {"weight": 0.4}},
            }
        ),
        encoding="utf-8",
    )
    try:
        first = search(shop["http"], q="knife shoes pan headphones", profile="narrow", size=3)
        total = first["total"]
        assert total > 9  # more matches than the 6 candidates re-ranked: page 3 and later come from past them
        seen = []
        for page in range(1, (total + 2) // 3 + 1):
            result = search(shop["http"], q="knife shoes pan headphones", profile="narrow", size=3, page=page)
            assert result["total"] == total
            assert len(result["hits"]) == min(3, total - 3 * (page - 1)), page
            seen += ids(result)
        assert len(seen) == len(set(seen)) == total
        assert (
            search(shop["http"], q="knife shoes pan headphones", profile="narrow", size=3, page=(total + 2) // 3 + 1)[
                "hits"
            ]
            == []
        )
    finally:
        (Path(shop["profiles"]) / "narrow.yaml").unlink()
