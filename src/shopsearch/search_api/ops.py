"""GET /health, GET /metrics, GET /openapi.json."""

from __future__ import annotations

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from opensearchpy.exceptions import OpenSearchException

from shopsearch.search_api.services import services

bp = APIBlueprint("ops", __name__, abp_tags=[Tag(name="operations")], doc_ui=True)


@bp.get("/health")
def health():
    """Engine reachable, products alias present, model loaded; 503 names what is missing."""
    svc = services()
    checks = {"model": f"loaded {svc.encoder.model_id}"}
    try:
        health = svc.client.cluster.health(request_timeout=3)
        checks["engine"] = f"{health['status']} ({health['number_of_nodes']} nodes)"
        present = svc.client.indices.exists_alias(name=svc.settings.index.alias)
        checks["alias"] = f"{svc.settings.index.alias} present" if present else f"{svc.settings.index.alias} missing"
        ok = present
    except OpenSearchException as exc:
        checks["engine"] = f"unreachable: {type(exc).__name__}"
        checks["alias"] = "unknown"
        ok = False
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


@bp.get("/metrics")
def metrics():
    """Prometheus exposition format."""
    return Response(services().metrics.exposition(), mimetype="text/plain; version=0.0.4")


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI document, generated from the code."""
    return current_app.api_doc
