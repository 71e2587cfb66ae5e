"""`shopsearch engine` as a user runs it: clear errors, a real 3-node cluster, a clean stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shopsearch import wiring
from shopsearch.cli import cli
from shopsearch.client import create_client
from shopsearch.config import OpenSearchSettings
from shopsearch.engine import local
from shopsearch.errors import EngineError
from tests.conftest import SHOP, free_engine_port

pytestmark = pytest.mark.local_engine

SHOPSEARCH = [sys.executable, "-m", "shopsearch.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHOPSEARCH, *args], capture_output=True, text=True, timeout=300)


def test_status_of_an_engine_never_started(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["engine", "status", "--data", str(tmp_path)])
    assert result.exit_code == 3
    assert "not running" in result.output


def test_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    port = free_engine_port()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the port may be in TIME_WAIT
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(EngineError, match=f"port {port} on 127.0.0.1 is taken"):
            local.start(port=port, data_dir=tmp_path)


@pytest.mark.parametrize(("nodes", "port"), [(0, 9200), (10, 9200), (3, 9298), (1, 80)])
def test_impossible_layouts_are_rejected(tmp_path: Path, nodes: int, port: int) -> None:
    with pytest.raises(EngineError, match="--nodes|--port"):
        local.plan_nodes(nodes, port, tmp_path)


def test_failed_start_shows_the_cause_from_the_log(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="exited while starting") as failure:
        local.start(port=free_engine_port(), data_dir=tmp_path, heap="lots")
    assert "Invalid initial heap size" in str(failure.value)  # the JVM's own words, from the log
    assert local.status(tmp_path)["running"] is False


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", "/nonexistent/jdk")
    with pytest.raises(EngineError, match="Java is not installed"):
        local.java_binary()


def test_missing_maven_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPSEARCH_CACHE", str(tmp_path))  # nothing resolved here yet
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EngineError, match="Maven is not installed"):
        local.classpath()


def test_cli_error_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = _run("engine", "start", "--nodes", "12", "--data", str(tmp_path))
    assert result.returncode == 1
    assert "Error: --nodes must be between 1 and 9" in result.stderr
    assert "Traceback" not in result.stderr


def _shop_data(url: list[str], encoder, tmp_path: Path):  # noqa: ANN001, ANN202 (the app's services)
    """Every kind of index shopsearch creates, by its own code: products, events, shopper vectors, bought-together."""
    import json

    from shopsearch.config import load_settings
    from shopsearch.recommend import cf
    from shopsearch.search_api.app import create_app

    settings = load_settings(
        opensearch={"url": ",".join(url)},
        model={"path": encoder.model_dir},
        index={"alias": "shop", "vector_cache": tmp_path / "v.sqlite", "dead_letter_dir": tmp_path},
    )
    catalog = tmp_path / "shop.jsonl"
    catalog.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in SHOP), encoding="utf-8")
    wiring.indexer(settings, encoder=encoder).reindex(catalog)
    services = create_app(settings, encoder=encoder).extensions["shopsearch"]
    events = [{"user_id": "u1", "type": "purchase", "product_id": p, "session_id": "s1"} for p in ("K0", "K1", "C0")]
    assert services.events.ingest(events, services.searcher.profiles.get(None).spec.behaviour)["accepted"] == 3
    cf.store(services.client, settings.api.cf_index, cf.co_occurrence(cf.baskets(services.events.store.scan()), 1))
    return services


@pytest.mark.slow
def test_three_nodes_survive_losing_one_keep_data_and_stop_cleanly(tmp_path: Path, tiny_encoder) -> None:
    port = free_engine_port(nodes=3)
    args = ["--data", str(tmp_path)]
    started = _run("engine", "start", "--nodes", "3", "--port", str(port), "--heap", "512m", *args)
    assert started.returncode == 0, started.stderr
    state = local.read_state(tmp_path.resolve())
    assert state is not None and len(state.pids) == 3
    client = create_client(OpenSearchSettings(url=state.urls, timeout=30))
    try:
        assert client.cluster.health(wait_for_status="green")["number_of_nodes"] == 3
        settings = {"number_of_shards": 1, "number_of_replicas": 2}
        client.indices.create(index="kept", body={"settings": settings})
        client.index(index="kept", id="1", body={"title": "chef knife"}, refresh=True)
        services = _shop_data(state.urls, tiny_encoder, tmp_path)
        health = client.cluster.health(wait_for_status="green", timeout="120s", request_timeout=130)  # 3 JVMs, 2 cores
        ours = client.cat.shards(format="json", h="index,prirep,state")
        assert health["status"] == "green" and {row["state"] for row in ours} == {"STARTED"}
        for index in {row["index"] for row in ours if row["index"][0] != "."} - {"kept"}:  # each has a copy elsewhere
            assert {row["prirep"] for row in ours if row["index"] == index} == {"p", "r"}, index

        os.kill(state.pids[2], signal.SIGKILL)  # lose node 3 without warning
        survivors = create_client(OpenSearchSettings(url=state.urls[:2], timeout=30))
        hits = survivors.search(index="kept", body={"query": {"match": {"title": "knife"}}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["1"]
        survivors.cluster.health(wait_for_status="yellow", request_timeout=60)
        shown = _run("engine", "status", *args).stdout  # "kept" has 2 replicas and 2 nodes left: says why
        assert "cluster yellow, 2 node(s)" in shown and re.search(r"unassigned \S+\[0\] replica: \S", shown), shown
        assert survivors.count(index="shop")["count"] == len(SHOP)
        assert survivors.count(index=services.settings.api.events_stream)["count"] == 3
        assert survivors.get(index=services.settings.api.users_index, id="u1")["_source"]["event_counts"] == {
            "purchase": 3
        }
        assert survivors.get(index=services.settings.api.cf_index, id="K0")["found"]
        local.restart_node(tmp_path, 2, heap="512m")  # node 3 comes back and gets its copies again
        assert (
            survivors.cluster.health(wait_for_status="green", wait_for_nodes="3", request_timeout=120)[
                "number_of_nodes"
            ]
            == 3
        )
    finally:
        stopped = _run("engine", "stop", *args)
    assert stopped.returncode == 0 and "stopped 3 node process(es)" in stopped.stdout
    assert not any(
        local.is_engine_process(pid, tmp_path.resolve()) for pid in local.read_state(tmp_path.resolve()).pids
    )

    restarted = _run("engine", "start", "--nodes", "3", "--port", str(port), "--heap", "512m", *args)
    assert restarted.returncode == 0, restarted.stderr
    try:
        client.cluster.health(index="kept", wait_for_status="green")
        assert client.get(index="kept", id="1")["_source"] == {"title": "chef knife"}
    finally:
        assert _run("engine", "stop", *args).returncode == 0
    assert _run("engine", "status", *args).returncode == 3
