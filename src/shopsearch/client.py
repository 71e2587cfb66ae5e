"""The one place that creates OpenSearch clients (indexer, API, CLI and tests all come here)."""

from __future__ import annotations

from typing import Any

import orjson
from opensearchpy import OpenSearch
from opensearchpy.serializer import JSONSerializer

from shopsearch.config import OpenSearchSettings


class FastSerializer(JSONSerializer):
    """orjson both ways: numpy vectors are written directly (no tolist()), and responses full of
    candidate vectors parse several times faster than with the json module."""

    def loads(self, s: str) -> Any:
        return orjson.loads(s)

    def dumps(self, data: Any) -> str:
        if isinstance(data, str):
            return data
        return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY, default=self.default).decode()


def client_options(cfg: OpenSearchSettings) -> dict[str, Any]:
    """Translate settings into opensearch-py keyword arguments (pure, so it is unit-tested)."""
    options: dict[str, Any] = {
        "hosts": [str(url) for url in cfg.url],
        "timeout": cfg.timeout,
        "max_retries": cfg.max_retries,
        "retry_on_timeout": True,
        "retry_on_status": (429, 502, 503, 504),
        "http_compress": cfg.http_compress,
        "serializer": FastSerializer(),
        "verify_certs": cfg.verify_certs,
    }
    if cfg.username is not None:
        options["http_auth"] = (cfg.username, cfg.password or "")
    if cfg.ca_certs is not None:
        options["ca_certs"] = str(cfg.ca_certs)
    if not cfg.verify_certs:
        # The operator chose this in config; don't repeat a warning on every request.
        options["ssl_show_warn"] = False
    return options


def create_client(cfg: OpenSearchSettings) -> OpenSearch:
    """Build a client for the configured cluster. Makes no network call."""
    return OpenSearch(**client_options(cfg))
