"""`shopsearch engine` as a user runs it: clear errors, a real 3-node cluster, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shopsearch.cli import cli
from shopsearch.client import create_client
from shopsearch.config import OpenSearchSettings
from shopsearch.engine import local
from shopsearch.errors import EngineError
from tests.conftest import free_engine_port

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


@pytest.mark.slow
def test_three_nodes_survive_losing_one_keep_data_and_stop_cleanly(tmp_path: Path) -> None:
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
        assert client.cluster.health(wait_for_status="green")["active_shards"] == 3

        os.kill(state.pids[2], signal.SIGKILL)  # lose node 3 without warning
        survivors = create_client(OpenSearchSettings(url=state.urls[:2], timeout=30))
        hits = survivors.search(index="kept", body={"query": {"match": {"title": "knife"}}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["1"]
    finally:
        stopped = _run("engine", "stop", *args)
    assert stopped.returncode == 0 and "stopped 2 node process(es)" in stopped.stdout
    assert not any(local.is_engine_process(pid, tmp_path.resolve()) for pid in state.pids)

    restarted = _run("engine", "start", "--nodes", "3", "--port", str(port), "--heap", "512m", *args)
    assert restarted.returncode == 0, restarted.stderr
    try:
        client.cluster.health(index="kept", wait_for_status="green")
        assert client.get(index="kept", id="1")["_source"] == {"title": "chef knife"}
    finally:
        assert _run("engine", "stop", *args).returncode == 0
    assert _run("engine", "status", *args).returncode == 3
