"""Shared by the HTTP benchmarks: run `shopsearch serve` on a free loopback port for the duration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def api_server(workers: int = 2, timeout: float = 120) -> Iterator[str]:
    """Yield the base URL of a running API (needs the engine with the sample index); stop it after."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "shopsearch.cli", "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
        cwd=Path(__file__).parents[1],
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{base}/health", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the API at {base} did not come up (is the engine running with the sample index?)")
            time.sleep(1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentiles_ms(latencies: list[float] | np.ndarray) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(np.asarray(latencies), [50, 95, 99]) * 1000
    return float(p50), float(p95), float(p99)
