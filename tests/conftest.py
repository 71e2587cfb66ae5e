"""Session fixtures: one real OpenSearch node for the whole run (or the cluster in SHOPSEARCH_OPENSEARCH_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch

from shopsearch.client import create_client
from shopsearch.config import OpenSearchSettings, load_settings
from shopsearch.engine import local

TEST_PORTS = range(9250, 9290)  # below the runner's 9299 cap; transport ports sit 100 above


def free_engine_port(nodes: int = 1, exclude: tuple[int, ...] = ()) -> int:
    """A port p such that p..p+nodes-1 and their transport ports (+100) are all free."""
    for port in TEST_PORTS:
        wanted = [p for q in range(port, port + nodes) for p in (q, q + local.TRANSPORT_OFFSET)]
        if not set(wanted) & set(exclude) and all(local.port_is_free(p) for p in wanted):
            return port
    raise RuntimeError(f"no free port block in {TEST_PORTS}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With a cluster of the user's own configured, start no local nodes at all."""
    if os.environ.get("SHOPSEARCH_OPENSEARCH_URL"):
        keep_off = pytest.mark.skip(reason="SHOPSEARCH_OPENSEARCH_URL is set: no local nodes are started")
        for item in items:
            if "local_engine" in item.keywords:
                item.add_marker(keep_off)


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a live cluster: SHOPSEARCH_OPENSEARCH_URL if set, else a node we start and stop."""
    if os.environ.get("SHOPSEARCH_OPENSEARCH_URL"):
        yield os.environ["SHOPSEARCH_OPENSEARCH_URL"]
        return
    data_dir = tmp_path_factory.mktemp("engine")
    state = local.start(nodes=1, port=free_engine_port(), data_dir=data_dir, heap="768m")
    try:
        yield state.urls[0]
    finally:
        local.stop(data_dir)


@pytest.fixture(scope="session")
def os_settings(opensearch_url: str) -> OpenSearchSettings:
    """Connection settings for the test cluster; auth/TLS come from the SHOPSEARCH_OPENSEARCH_* env."""
    return load_settings(opensearch={"url": opensearch_url}).opensearch


@pytest.fixture(scope="session")
def client(os_settings: OpenSearchSettings) -> OpenSearch:
    return create_client(os_settings)


@pytest.fixture
def index_name(client: OpenSearch) -> Iterator[str]:
    """A unique index name for one test; the index (if made) is deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    client.indices.delete(index=f"{name}*", ignore_unavailable=True)
