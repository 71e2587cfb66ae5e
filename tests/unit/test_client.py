"""The client factory turns settings into opensearch-py options without touching the network."""

from __future__ import annotations

from pathlib import Path

from shopsearch.client import client_options, create_client
from shopsearch.config import OpenSearchSettings


def test_local_defaults() -> None:
    options = client_options(OpenSearchSettings())
    assert options["hosts"] == ["http://127.0.0.1:9200/"]
    assert options["verify_certs"] is True
    assert "http_auth" not in options and "ssl_show_warn" not in options


def test_secured_cluster(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    cfg = OpenSearchSettings(
        url="https://a:9200,https://b:9200", username="u", password="p", ca_certs=ca, timeout=4, max_retries=2
    )
    options = client_options(cfg)
    assert options["hosts"] == ["https://a:9200/", "https://b:9200/"]
    assert options["http_auth"] == ("u", "p")
    assert options["ca_certs"] == str(ca)
    assert (options["timeout"], options["max_retries"], options["retry_on_timeout"]) == (4, 2, True)


def test_verification_off_only_when_asked() -> None:
    options = client_options(OpenSearchSettings(url="https://a:9200", verify_certs=False))
    assert options["verify_certs"] is False and options["ssl_show_warn"] is False


def test_create_client_makes_no_call() -> None:
    client = create_client(OpenSearchSettings(url="http://unreachable.invalid:1"))
    assert [c.host for c in client.transport.connection_pool.connections] == ["http://unreachable.invalid:1"]
