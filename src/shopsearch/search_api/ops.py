"""GET /health, GET /metrics, GET /openapi.json, GET /admin/analytics."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from flask_openapi3.openapi import OpenAPI
from opensearchpy.exceptions import OpenSearchException
from pydantic import BaseModel, ConfigDict, Field

from shopsearch.errors import VectorSpaceMismatch
from shopsearch.events import analytics
from shopsearch.hits import Shown
from shopsearch.search_api import access
from shopsearch.search_api.metrics import app_metrics
from shopsearch.search_api.schemas import AnalyticsReport
from shopsearch.search_api.services import services

HEALTH_TIMEOUT = 0.4  # two calls: a load balancer's probe gets its answer within a second

bp = APIBlueprint("ops", __name__, abp_tags=[Tag(name="operations")], doc_ui=True)


class Health(Shown):
    status: str
    checks: dict[str, str]


@bp.get("/health", responses={200: Health, 503: Health})
def health() -> tuple[dict[str, Any], int]:
    """Engine reachable, products alias present, model loaded; 503 names what is missing."""
    svc = services()
    checks: dict[str, str] = {}
    try:
        health = svc.client.cluster.health(request_timeout=HEALTH_TIMEOUT)
        checks["engine"] = f"{health['status']} ({health['number_of_nodes']} nodes)"
        present = svc.client.indices.exists_alias(name=svc.settings.index.alias, request_timeout=HEALTH_TIMEOUT)
        checks["alias"] = f"{svc.settings.index.alias} present" if present else f"{svc.settings.index.alias} missing"
        svc.searcher.check_vector_space()
        checks["model"] = f"loaded {svc.searcher.encoder.model_id}"
        ok = present
    except VectorSpaceMismatch as exc:
        checks["model"], ok = str(exc), False
    except OpenSearchException as exc:
        checks["engine"] = f"unreachable: {type(exc).__name__}"
        checks["alias"] = "unknown"
        checks["model"] = f"loaded {svc.searcher.encoder.model_id}"
        ok = False
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


@bp.get(
    "/metrics",
    security=access.SECURITY,
    responses={
        **access.RESPONSES,
        200: {"description": "Prometheus exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}},
    },
)
def metrics() -> Response:
    """Prometheus exposition format."""
    return Response(app_metrics().exposition(), mimetype="text/plain; version=0.0.4")


class AnalyticsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: str = Field(default="7d", pattern=analytics.WINDOW, description="The window: 24h, 7d, 30d...")
    top: int = Field(default=20, ge=1, le=200)


@bp.get("/admin/analytics", security=access.SECURITY, responses={**access.RESPONSES, 200: AnalyticsReport})
def admin_analytics(query: AnalyticsQuery) -> dict[str, Any]:
    """Search analytics of a window: top, zero-result and no-click queries, rates by position (admin)."""
    settings = services().settings.api
    return analytics.report(services().client, settings.searches_stream, settings.events_stream, query.since, query.top)


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """This API's OpenAPI document, generated from the code."""
    return cast(OpenAPI, current_app).api_doc  # the app create_app builds
