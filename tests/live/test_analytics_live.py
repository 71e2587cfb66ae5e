"""Search analytics on the live node: searches through the API and events from the page's clicks, then
`shopsearch analytics` tables and plots over them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from shopsearch.cli import cli
from shopsearch.events import analytics
from tests.live.test_search_api_live import search

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def streams(shop, client, minilm_encoder):
    """The shop's app, with a search log and events of its own (other tests search the shop too)."""
    from shopsearch.search_api.app import create_app

    suffix = uuid.uuid4().hex[:8]
    api = shop["settings"].api.model_copy(
        update={"searches_stream": f"test-searches-a-{suffix}", "events_stream": f"test-events-a-{suffix}"}
    )
    app = create_app(shop["settings"].model_copy(update={"api": api}), client=client, encoder=minilm_encoder)
    yield app, api
    for stream in (api.searches_stream, api.events_stream):
        client.indices.delete_data_stream(name=stream, ignore=404)
        client.indices.delete_index_template(name=stream, ignore=404)


@pytest.fixture(scope="module")
def traffic(streams) -> dict:
    app, api = streams
    http = app.test_client()
    for q in ["Kitchen knife", "kitchen  knife", "kitchen knife", "asdfghjkl", "asdfghjkl", "running shoes"]:
        search(http, q=q, size=5)
    search(http, q="kitchen knife", size=5, page=2)
    for kind, product, position in (("click", "K0", 1), ("cart", "K0", 1), ("click", "K3", 7)):
        body = {
            "user_id": "analyst-test",
            "type": kind,
            "product_id": product,
            "query": "kitchen knife",
            "position": position,
        }
        assert http.post("/events", json=body).status_code in (200, 201, 202)
    app.extensions["shopsearch"].searches.flush()  # what the background writer has not written yet
    return analytics.report(app.extensions["shopsearch"].client, api.searches_stream, api.events_stream, "1h")


def test_top_queries_with_their_click_and_cart_rates(traffic) -> None:
    assert traffic["searches"] == 7
    top = traffic["top_queries"][0]
    assert top == {
        "query": "kitchen knife",
        "searches": 4,
        "clicks": 2,
        "clicks_per_search": 0.5,
        "carts": 1,
        "carts_per_search": 0.25,
    }


def test_zero_result_and_no_click_queries_are_listed(traffic) -> None:
    assert traffic["zero_results"] == [{"query": "asdfghjkl", "searches": 2}]
    assert [r["query"] for r in traffic["no_clicks"]] == ["running shoes"]  # asdfghjkl found nothing at all


def test_rates_by_position_count_each_page_where_it_was_shown(traffic) -> None:
    first, seventh = traffic["by_position"][0], traffic["by_position"][6]
    assert first["position"] == 1 and first["impressions"] == 4  # 3 knife searches + 1 shoes, each on page 1
    assert first["clicks"] == 1 and first["carts"] == 1 and first["ctr"] == 0.25
    assert seventh["position"] == 7 and seventh["impressions"] == 1 and seventh["ctr"] == 1.0  # page 2 of knife


def test_the_cli_prints_the_tables_and_writes_the_plots(shop, streams, traffic, tmp_path: Path) -> None:
    api, url = streams[1], str(shop["settings"].opensearch.url[0])
    env = {
        "SHOPSEARCH_OPENSEARCH_URL": url,
        "SHOPSEARCH_API_SEARCHES_STREAM": api.searches_stream,
        "SHOPSEARCH_API_EVENTS_STREAM": api.events_stream,
    }
    out = CliRunner().invoke(cli, ["analytics", "--since", "1h", "--plot", str(tmp_path)], env=env)
    assert out.exit_code == 0, out.output
    assert "7 searches in the last 1h" in out.output and "asdfghjkl" in out.output and "kitchen knife" in out.output
    assert (tmp_path / "positions.png").stat().st_size > 1000 and (tmp_path / "queries.png").stat().st_size > 1000
