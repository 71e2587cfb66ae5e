"""Node layout and node settings are pure: checked without starting anything."""

from __future__ import annotations

from pathlib import Path

from shopsearch.engine.local import node_settings, plan_nodes


def test_single_node_uses_single_node_discovery(tmp_path: Path) -> None:
    [spec] = plan_nodes(1, 9200, tmp_path)
    assert (spec.http_port, spec.transport_port, spec.home) == (9200, 9300, tmp_path / "node-1")
    assert node_settings(spec, [spec]) == {
        "network.host": "127.0.0.1",
        "transport.port": 9300,
        "discovery.type": "single-node",
        "cluster.routing.allocation.disk.watermark.low": "1gb",
        "cluster.routing.allocation.disk.watermark.high": "512mb",
        "cluster.routing.allocation.disk.watermark.flood_stage": "256mb",
    }


def test_three_nodes_seed_each_other(tmp_path: Path) -> None:
    specs = plan_nodes(3, 9210, tmp_path)
    assert [s.url for s in specs] == ["http://127.0.0.1:9210", "http://127.0.0.1:9211", "http://127.0.0.1:9212"]
    settings = node_settings(specs[1], specs)
    peers = ["127.0.0.1:9310", "127.0.0.1:9311", "127.0.0.1:9312"]
    assert settings["transport.port"] == 9311
    assert settings["discovery.seed_hosts"] == peers
    assert settings["cluster.initial_cluster_manager_nodes"] == peers
    assert "discovery.type" not in settings
