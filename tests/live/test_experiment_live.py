"""An interleaving experiment on the live node, judged by simulated shoppers: a day of searches on the
small shop (conftest) whose clicks follow position bias and relevance must prefer `default` over a
profile that ranks by sales alone, with p < 0.01."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from shopsearch.cli import cli
from shopsearch.events.simulator import examination
from shopsearch.experiments.store import report
from shopsearch.search_api.app import create_app

pytestmark = pytest.mark.engine

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
INTENTS = {
    "knife": "K",
    "chef knife": "K",
    "kitchen knife": "K",
    "running shoes": "R",
    "shoes for running": "R",
    "headphones": "H",
    "noise cancelling headphones": "H",
    "tent": "T",
    "camping gear": "T",
    "frying pan": "C",
    "cookware": "C",
}  # query -> the id prefix of the products it wants
SEARCHES = 300  # a day of a small shop's searches


@pytest.fixture(scope="module")
def app(shop, client, minilm_encoder):
    """The shop's app with a search log, events and experiments of its own, and a sales-only profile."""
    (Path(shop["profiles"]) / "popular.yaml").write_text(
        yaml.safe_dump(
            {
                "description": "Best sellers among the candidates, whatever the query says (the worse arm).",
                "candidates": {"bm25": 100, "knn": 50},
                "fields": {"title": 3.0, "category.text": 1.5},
                "signals": {"business": {"weight": 1.0, "sales_weight": 1.0, "sales_cap": 5000}},
            }
        ),
        encoding="utf-8",
    )
    suffix = uuid.uuid4().hex[:8]
    api = shop["settings"].api.model_copy(
        update={
            "searches_stream": f"test-searches-x-{suffix}",
            "events_stream": f"test-events-x-{suffix}",
            "experiments_index": f"test-experiments-{suffix}",
        }
    )
    app = create_app(shop["settings"].model_copy(update={"api": api}), client=client, encoder=minilm_encoder)
    yield app
    (Path(shop["profiles"]) / "popular.yaml").unlink()
    for stream in (api.searches_stream, api.events_stream):
        client.indices.delete_data_stream(name=stream, ignore=404)
        client.indices.delete_index_template(name=stream, ignore=404)
    client.indices.delete(index=api.experiments_index, ignore_unavailable=True)


def test_a_simulated_day_prefers_default_over_a_worse_profile(app) -> None:
    svc, http, rng = app.extensions["shopsearch"], app.test_client(), random.Random(11)
    svc.experiments.start("default-vs-popular", "default", "popular")
    try:
        for number in range(SEARCHES):
            user, query = f"shopper{number % 100:03d}", rng.choice(sorted(INTENTS))
            result = http.get("/search", query_string={"q": query, "user_id": user}).get_json()
            assert result["experiment"] == "default-vs-popular" and {h["arm"] for h in result["hits"]} <= {"a", "b"}
            for position, hit in enumerate(result["hits"], start=1):
                wanted = hit["id"].startswith(INTENTS[query])
                if rng.random() < examination(position) * (0.7 if wanted else 0.05):
                    click = {
                        "user_id": user,
                        "type": "click",
                        "product_id": hit["id"],
                        "query": query,
                        "position": position,
                    }
                    assert http.post("/events", json=click).status_code in (200, 201, 202)
        svc.searches.flush()
        outcome = report(
            svc.client, svc.experiments.latest(), svc.settings.api.searches_stream, svc.settings.api.events_stream
        )
    finally:
        svc.experiments.stop()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "interleaving.json").write_text(json.dumps(outcome, indent=2) + "\n", encoding="utf-8")
    assert outcome["impressions"] == SEARCHES
    assert outcome["winner"] == "default" and outcome["p_value"] < 0.01 and outcome["share_a"] > 0.5


def test_searches_outside_an_experiment_or_naming_a_profile_are_not_interleaved(app) -> None:
    http = app.test_client()
    assert "experiment" not in http.get("/search", query_string={"q": "knife"}).get_json()
    app.extensions["shopsearch"].experiments.start("named", "default", "popular")
    try:
        assert http.get("/search", query_string={"q": "knife"}).get_json()["experiment"] == "named"
        assert "experiment" not in http.get("/search", query_string={"q": "knife", "profile": "bm25"}).get_json()
    finally:
        app.extensions["shopsearch"].experiments.stop()


def test_the_experiment_cli_starts_reports_and_stops(shop, app) -> None:
    api = app.extensions["shopsearch"].settings.api
    env = {
        "SHOPSEARCH_OPENSEARCH_URL": str(shop["settings"].opensearch.url[0]),
        "SHOPSEARCH_API_PROFILES_DIR": str(shop["profiles"]),
        "SHOPSEARCH_API_EXPERIMENTS_INDEX": api.experiments_index,
        "SHOPSEARCH_API_SEARCHES_STREAM": api.searches_stream,
        "SHOPSEARCH_API_EVENTS_STREAM": api.events_stream,
    }
    run = CliRunner()
    assert (
        "running"
        in run.invoke(cli, ["experiment", "start", "--name", "cli", "--a", "default", "--b", "bm25"], env=env).output
    )
    refused = run.invoke(cli, ["experiment", "start", "--name", "again", "--a", "default", "--b", "bm25"], env=env)
    assert refused.exit_code == 1 and "is running" in refused.output
    status = json.loads(run.invoke(cli, ["experiment", "status"], env=env).output)
    assert status["experiment"] == "cli" and status["running"] and status["winner"] is None
    assert "stopped" in run.invoke(cli, ["experiment", "stop"], env=env).output
