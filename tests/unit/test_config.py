"""Settings load from defaults, a YAML file and SHOPSEARCH_* env, and errors name where and what."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsearch.config import OpenSearchSettings, load_settings
from shopsearch.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "USERNAME", "PASSWORD", "VERIFY_CERTS", "CA_CERTS", "TIMEOUT", "MAX_RETRIES"):
        monkeypatch.delenv(f"SHOPSEARCH_OPENSEARCH_{name}", raising=False)
    monkeypatch.delenv("SHOPSEARCH_CONFIG", raising=False)


def test_defaults_point_at_the_local_engine() -> None:
    cfg = load_settings().opensearch
    assert [str(u) for u in cfg.url] == ["http://127.0.0.1:9200/"]
    assert cfg.verify_certs is True and cfg.is_default


def test_env_names_a_cluster_with_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSEARCH_OPENSEARCH_URL", "https://os1.shop:9200, https://os2.shop:9200")
    monkeypatch.setenv("SHOPSEARCH_OPENSEARCH_USERNAME", "search")
    monkeypatch.setenv("SHOPSEARCH_OPENSEARCH_PASSWORD", "s3cret")
    monkeypatch.setenv("SHOPSEARCH_OPENSEARCH_TIMEOUT", "5")
    cfg = load_settings().opensearch
    assert [u.host for u in cfg.url] == ["os1.shop", "os2.shop"]
    assert (cfg.username, cfg.password, cfg.timeout) == ("search", "s3cret", 5.0)
    assert not cfg.is_default


def test_file_values_and_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "shopsearch.yaml"
    config.write_text("opensearch:\n  url: [https://a.shop:9200]\n  max_retries: 7\n  timeout: 12\n")
    monkeypatch.setenv("SHOPSEARCH_OPENSEARCH_TIMEOUT", "3")
    cfg = load_settings(config).opensearch
    assert [u.host for u in cfg.url] == ["a.shop"]
    assert (cfg.max_retries, cfg.timeout) == (7, 3.0)


def test_bad_file_value_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "shopsearch.yaml"
    config.write_text("opensearch:\n  timeout: soon\n")
    with pytest.raises(ConfigError, match=rf"{config}: opensearch\.timeout: Input should be a valid number"):
        load_settings(config)


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "shopsearch.yaml"
    config.write_text("opensearch:\n  urls: [http://x:9200]\n")
    with pytest.raises(ConfigError, match=r"opensearch\.urls: Extra inputs are not permitted"):
        load_settings(config)


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSEARCH_OPENSEARCH_MAX_RETRIES", "-1")
    with pytest.raises(ConfigError, match=r"SHOPSEARCH_OPENSEARCH_MAX_RETRIES: opensearch\.max_retries"):
        load_settings()


def test_missing_ca_bundle_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(ValueError, match="CA bundle"):
        OpenSearchSettings(ca_certs=tmp_path / "ca.pem")


hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){0,2}", fullmatch=True)
urls = st.builds(
    lambda scheme, host, port: f"{scheme}://{host}:{port}",
    st.sampled_from(["http", "https"]),
    hosts,
    st.integers(1, 65535),
)


@given(st.lists(urls, min_size=1, max_size=5), st.sampled_from([",", ", ", " ,"]))
def test_url_lists_round_trip_through_the_env_syntax(given_urls: list[str], sep: str) -> None:
    parsed = OpenSearchSettings(url=sep.join(given_urls)).url
    assert [f"{u.scheme}://{u.host}:{u.port}" for u in parsed] == given_urls
