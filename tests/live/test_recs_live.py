"""The fused for-you rail on the live node: trained from events, stored behind an alias, served."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from shopsearch.cli.recs import recs
from shopsearch.config import load_settings
from shopsearch.recommend.fusion import FusionParams, Shopper
from shopsearch.recommend.store import EngineSources, RecsStore
from shopsearch.search_api.app import create_app
from shopsearch.search_api.schemas import Rail
from shopsearch.vector_codec import unpack

pytestmark = pytest.mark.engine

CHAINS = [["K0", "K1", "K2"], ["C0", "C1", "C2"], ["R0", "R1", "R2"]]
NOISE = ["T0", "T1", "T2", "H0", "H1", "H2"]


@pytest.fixture(scope="module")
def trained(os_settings, client, minilm_encoder, tmp_path_factory) -> Iterator[dict]:
    """The conftest shop under its own names, 90 shoppers who each follow one chain, a trained model."""
    from shopsearch.indexer.service import Indexer
    from tests.conftest import SHOP

    tmp = tmp_path_factory.mktemp("recs")
    suffix = uuid.uuid4().hex[:8]
    settings = load_settings(
        opensearch=os_settings.model_dump(),
        model={"path": minilm_encoder.model_dir},
        index={"alias": f"test-recs-shop-{suffix}", "vector_cache": tmp / "v.sqlite", "dead_letter_dir": tmp},
        api={
            "users_index": f"test-recs-users-{suffix}",
            "events_stream": f"test-recs-events-{suffix}",
            "cf_index": f"test-recs-cf-{suffix}",
            "recs_alias": f"test-recs-{suffix}",
        },
    )
    catalog = tmp / "shop.jsonl"
    catalog.write_text("".join(json.dumps(p) + "\n" for p in SHOP))
    Indexer(settings, client=client, encoder=minilm_encoder).reindex(catalog)
    app = create_app(settings, client=client, encoder=minilm_encoder)
    http = app.test_client()
    start = datetime.now(UTC) - timedelta(days=10)
    events = []
    for u in range(90):
        history = [NOISE[u % len(NOISE)], *CHAINS[u % len(CHAINS)]]
        events += [
            {
                "user_id": f"s{u}",
                "type": "purchase",
                "product_id": p,
                "session_id": f"s{u}",
                "ts": (start + timedelta(hours=u, minutes=step)).isoformat(),
            }
            for step, p in enumerate(history)
        ]
    assert http.post("/events", json=events).get_json()["accepted"] == len(events)
    result = CliRunner().invoke(
        recs, ["train", "--users", "90", "--factors", "8", "--iterations", "5"], obj=settings, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    yield {"settings": settings, "http": http, "client": client, "output": result.output}
    api = settings.api
    client.indices.delete(
        index=f"{settings.index.alias}-*,{api.users_index},{api.recs_alias}-*", ignore_unavailable=True
    )
    client.indices.delete_data_stream(name=api.events_stream, ignore=404)
    client.indices.delete_index_template(name=api.events_stream, ignore=404)


def test_train_reports_every_rail_and_serves_one_model(trained) -> None:
    output, settings = trained["output"], trained["settings"]
    for rail in ("popular", "profile", "next", "together", "factors", "fused"):
        assert f"\n{rail} " in output
    store = RecsStore(trained["client"], settings.api.recs_alias, settings.api.recs_mapping)
    meta = store.meta()
    assert meta is not None and set(meta["fusion"]["weights"]) == {"next", "together", "factors", "profile", "popular"}
    assert meta["shoppers"] == 90 and meta["popular"][:3] and meta["max_count"] >= 30


def test_for_you_follows_the_chain_with_its_reason(trained) -> None:
    http = trained["http"]
    ts = datetime.now(UTC) - timedelta(hours=1)
    assert (
        http.post(
            "/events", json={"user_id": "probe", "type": "purchase", "product_id": "K0", "ts": ts.isoformat()}
        ).get_json()["accepted"]
        == 1
    )
    items = http.get("/recommend/for-you", query_string={"user_id": "probe", "size": 5}).get_json()["items"]
    assert [i["id"] for i in items][:2] == ["K1", "K2"]
    assert "K0" not in [i["id"] for i in items]
    assert items[0]["reason"] in ("bought next after Shun chef knife 8 inch", "bought with Shun chef knife 8 inch")
    assert all(i["title"] and i["reason"] for i in items)


def test_the_fused_rail_is_the_rail_model(trained) -> None:
    rail = trained["http"].get("/recommend/for-you", query_string={"user_id": "s0", "size": 5}).get_json()
    assert rail["items"] and Rail.model_validate(rail).model_dump(exclude_unset=True) == rail


def test_the_newest_purchase_steers_the_rail(trained) -> None:
    http = trained["http"]
    ts = datetime.now(UTC) - timedelta(hours=2)
    http.post(
        "/events",
        json=[
            {"user_id": "switcher", "type": "purchase", "product_id": "K0", "ts": ts.isoformat()},
            {
                "user_id": "switcher",
                "type": "purchase",
                "product_id": "C0",
                "ts": (ts + timedelta(minutes=30)).isoformat(),
            },
        ],
    )
    items = http.get("/recommend/for-you", query_string={"user_id": "switcher", "size": 3}).get_json()["items"]
    assert items[0]["id"] == "C1"


def test_factor_knn_in_the_engine_matches_exact_inner_product(trained) -> None:
    client, settings = trained["client"], trained["settings"]
    meta = RecsStore(client, settings.api.recs_alias, settings.api.recs_mapping).meta()
    docs = client.search(index=settings.api.recs_alias, body={"size": 100, "_source": ["factor_b64"]})["hits"]["hits"]
    factors = {d["_id"]: unpack(d["_source"]["factor_b64"]).astype(np.float64) for d in docs}
    query = factors["K0"]
    exact = sorted((k for k in factors if k != "K0" and factors[k].any()), key=lambda k: -float(factors[k] @ query))
    sources = EngineSources(client, settings.api.recs_alias, settings.index.alias, "embedding", meta)
    pool = sources.expand(Shopper(query, None), [], FusionParams(factor_pool=5, profile_pool=0), {"K0"})
    score = {k: float(factors[k] @ query) for k in exact}
    assert set(pool) == set(exact[:5]) or score[pool[-1]] == pytest.approx(score[exact[4]], abs=1e-4)
    assert all(score[a] >= score[b] - 1e-4 for a, b in zip(pool, pool[1:]))  # ties in any order


def test_retraining_swaps_the_alias_and_keeps_one_older_model(trained) -> None:
    client, settings = trained["client"], trained["settings"]
    alias = settings.api.recs_alias
    before = sorted(client.indices.get_alias(name=alias))
    result = CliRunner().invoke(
        recs, ["train", "--users", "90", "--factors", "8", "--iterations", "5"], obj=settings, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    after = sorted(client.indices.get_alias(name=alias))
    assert len(after) == 1 and after != before
    assert before[0] in client.indices.get(index=f"{alias}-*")  # kept for a look back
    items = trained["http"].get("/recommend/for-you", query_string={"user_id": "s0", "size": 3}).get_json()["items"]
    assert len(items) == 3


def test_a_shopper_without_history_still_gets_popular(trained, tmp_path: Path) -> None:
    items = trained["http"].get("/recommend/for-you", query_string={"user_id": "nobody", "size": 3}).get_json()
    assert [i["reason"] for i in items["items"]] == ["popular"] * 3


def test_the_engine_scores_the_profile_feature_as_numpy_does(trained) -> None:
    client, settings = trained["client"], trained["settings"]
    meta = RecsStore(client, settings.api.recs_alias, settings.api.recs_mapping).meta()
    docs = client.search(index=settings.index.alias, body={"size": 50, "_source": ["embedding_b64"]})["hits"]["hits"]
    vectors = {d["_id"]: unpack(d["_source"]["embedding_b64"]).astype(np.float64) for d in docs}
    profile = vectors["K0"] + vectors["C3"]
    profile /= np.linalg.norm(profile)
    sources = EngineSources(client, settings.api.recs_alias, settings.index.alias, "embedding", meta)
    described = sources.describe(["K1", "C2", "R0", "T1"], profile)
    for key in ("K1", "C2", "R0", "T1"):
        assert described.profile[key] == pytest.approx(float(vectors[key] @ profile), abs=1e-4)


def test_recs_eval_reports_and_plots_without_writing_a_model(trained, tmp_path: Path) -> None:
    client, settings = trained["client"], trained["settings"]
    served = sorted(client.indices.get_alias(name=settings.api.recs_alias))
    result = CliRunner().invoke(
        recs,
        ["eval", "--users", "90", "--factors", "8", "--iterations", "5", "--out", str(tmp_path), "--plot"],
        obj=settings,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["rows"]) == {"popular", "profile", "next", "together", "factors", "fused"}
    assert report["rows"]["next"]["hit@10"] > report["rows"]["popular"]["hit@10"]
    assert (tmp_path / "hit_rate.png").stat().st_size > 0 and (tmp_path / "ndcg.png").stat().st_size > 0
    assert sorted(client.indices.get_alias(name=settings.api.recs_alias)) == served
