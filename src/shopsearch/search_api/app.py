"""The app factory: ``create_app(settings)`` wires services, blueprints, errors and metrics."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, g, request
from flask.json.provider import DefaultJSONProvider
from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI
from opensearchpy import OpenSearch

from shopsearch import __version__
from shopsearch.config import Settings, load_settings
from shopsearch.encoder import TextEncoder
from shopsearch.search_api import access, events, ops, recommendations, search, users, web
from shopsearch.search_api.errors import bad_parameter, register_error_handlers
from shopsearch.search_api.metrics import METRICS, Metrics
from shopsearch.search_api.services import EXTENSION
from shopsearch.wiring import build_services


def create_app(
    settings: Settings | None = None, *, client: OpenSearch | None = None, encoder: TextEncoder | None = None
) -> OpenAPI:
    """Build the search API. Tests pass settings (and may share a loaded encoder) straight in."""
    settings = serving(settings or load_settings())
    app = OpenAPI(
        __name__,
        info=Info(title="shopsearch", version=__version__),
        doc_prefix="/docs",
        security_schemes=access.SCHEMES,
        validation_error_status=400,
        validation_error_callback=bad_parameter,
    )
    app.json = BoundedJSON(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.api.max_body_bytes
    app.extensions[EXTENSION] = build_services(settings, client, encoder)
    app.extensions[METRICS] = Metrics()
    for blueprint in (search.bp, events.bp, users.bp, recommendations.bp, ops.bp):
        app.register_api(blueprint)
    app.register_blueprint(web.bp)
    _time_requests(app)  # first: refused requests are timed and counted too
    access.install(app, settings.auth)
    register_error_handlers(app)
    return app


def serving(settings: Settings) -> Settings:
    """The API's model settings: api.encoder_threads per worker unless model.threads says otherwise."""
    threads = settings.model.threads or settings.api.encoder_threads
    return settings.model_copy(update={"model": settings.model.model_copy(update={"threads": threads})})


class BoundedJSON(DefaultJSONProvider):
    """A body nested past the parser's recursion limit is malformed JSON (a 400), not a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _time_requests(app: OpenAPI) -> None:
    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        app.extensions[METRICS].observe(endpoint, response.status_code, time.perf_counter() - g.started)
        return response
