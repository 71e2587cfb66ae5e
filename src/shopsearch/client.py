"""The one place that creates OpenSearch clients (indexer, API, CLI and tests all come here)."""

from __future__ import annotations

from typing import Any

import orjson
from opensearchpy import NotFoundError, OpenSearch
from opensearchpy.serializer import JSONSerializer

from shopsearch.config import OpenSearchSettings, Settings


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


def api_client(settings: Settings, *, retries: bool = True) -> OpenSearch:
    """The search API's client: a request may spend api.search_timeout on the engine, then the shopper gets a
    503. A timed-out call is not retried (that would multiply the budget); `retries=False` is for writes
    that must not be sent twice (events without an event_id)."""
    cfg = settings.opensearch.model_copy(
        update={"timeout": settings.api.search_timeout, **({} if retries else {"max_retries": 0})}
    )
    return OpenSearch(**{**client_options(cfg), "retry_on_timeout": False})


def get_document(client: OpenSearch, index: str, doc_id: str, **params: Any) -> dict[str, Any] | None:
    """The document, or None when there is none; a missing index raises NotFoundError (not "no such product")."""
    found = client.get(index=index, id=doc_id, ignore=404, **params)
    if "error" in found:
        raise NotFoundError(404, found["error"].get("type", "not_found"), found)
    return found if found.get("found") else None


def get_documents(client: OpenSearch, index: str, doc_ids: list[str], **params: Any) -> list[dict[str, Any]]:
    """mget's documents, in order, with `found` set; a missing index raises NotFoundError (mget reports it per
    document, which would otherwise read as "none of these exist")."""
    docs: list[dict[str, Any]] = client.mget(index=index, body={"ids": doc_ids}, **params)["docs"]
    for doc in docs:
        if "error" in doc:
            error = doc["error"]
            raise NotFoundError(404, error.get("type", "not_found") if isinstance(error, dict) else str(error), doc)
    return docs


def refusal(error: dict[str, Any] | None) -> str:
    """An OpenSearch error object as one line: "type: reason" (what every message here quotes of it)."""
    error = error or {}
    return f"{error.get('type')}: {error.get('reason')}"
