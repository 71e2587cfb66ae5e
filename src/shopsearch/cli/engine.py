"""``shopsearch engine start|stop|status``: the local OpenSearch node(s)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.engine import local
from shopsearch.engine.check import smoke_check

_data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default $SHOPSEARCH_ENGINE_DATA or ~/.local/share/shopsearch/engine).",
)


@click.group()
def engine() -> None:
    """Run a real OpenSearch with k-NN on this machine (from Maven Central)."""


@engine.command()
@click.option("--nodes", default=1, show_default=True, help="Nodes in the cluster, one JVM each.")
@click.option(
    "--port", default=local.DEFAULT_PORT, show_default=True, help="HTTP port of node 1; node k uses port+k-1."
)
@click.option("--heap", default=local.DEFAULT_HEAP, show_default=True, help="JVM heap per node.")
@_data_option
def start(nodes: int, port: int, heap: str, data_dir: Path | None) -> None:
    """Start the node(s) in the background and wait until the cluster is ready."""
    began = time.monotonic()
    click.echo(f"starting {nodes} OpenSearch node(s) (first run downloads the artifacts)...")
    state = local.start(nodes=nodes, port=port, data_dir=data_dir, heap=heap)
    click.echo(f"ready in {time.monotonic() - began:.1f}s: {','.join(state.urls)}  (data: {state.data_dir})")


@engine.command()
@_data_option
def stop(data_dir: Path | None) -> None:
    """Stop every node of the engine."""
    stopped = local.stop(data_dir)
    click.echo(f"stopped {stopped} node process(es)" if stopped else "the engine was not running")


@engine.command()
@_data_option
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def status(data_dir: Path | None, as_json: bool) -> None:
    """Show the node processes, their memory and the cluster health. Exit 3 if not running."""
    report: dict[str, Any] = local.status(data_dir)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    elif not report["running"]:
        click.echo(f"not running (data: {report['data_dir']})")
    else:
        health = report["health"]
        summary = health if isinstance(health, str) else f"{health['status']}, {health['number_of_nodes']} node(s)"
        click.echo(f"cluster {summary} at {','.join(report['urls'])}")
        if not isinstance(health, str):
            for reason in health.get("unassigned_because", []):
                click.echo(f"  unassigned {reason}")
        for node in report["nodes"]:
            click.echo(
                f"  {node['url']}  pid {node['pid']}  {'up' if node['alive'] else 'DOWN'}  rss {node['rss_mb']} MB"
            )
    if not report["running"]:
        raise SystemExit(3)


@engine.command()
@click.pass_obj
def check(settings: Settings) -> None:
    """Check the configured cluster (local or yours): version, k-NN plugin, a lucene k-NN query."""
    client = wiring.client(settings)
    report = smoke_check(client)
    click.echo(" ".join(f"{key}={value}" for key, value in report.items()))
    if not (report["knn_plugin"] and report["knn_nearest_ok"]):
        raise click.ClickException("this cluster cannot serve shopsearch: the k-NN plugin is missing or broken")
