"""The app factory: ``create_app(settings)`` wires services, blueprints, errors and metrics."""

from __future__ import annotations

import time

from flask import g, request
from flask_openapi3 import Info, OpenAPI
from opensearchpy import OpenSearch

from shopsearch import __version__
from shopsearch.config import Settings, load_settings
from shopsearch.encoder import TextEncoder
from shopsearch.events.ingest import EventIngest
from shopsearch.events.store import EventStore
from shopsearch.indexer.service import encoder_from
from shopsearch.recommend.rails import Recommender
from shopsearch.recommend.store import RecsStore
from shopsearch.relevance.searcher import searcher_from
from shopsearch.search_api import ops, recommend, search, users, web
from shopsearch.search_api.errors import bad_parameter, register_error_handlers
from shopsearch.search_api.metrics import Metrics
from shopsearch.search_api.services import EXTENSION, Services
from shopsearch.users.store import UserProfileStore


def create_app(settings: Settings | None = None, *, client: OpenSearch | None = None,
               encoder: TextEncoder | None = None) -> OpenAPI:
    """Build the search API. Tests pass settings (and may share a loaded encoder) straight in."""
    settings = settings or load_settings()
    app = OpenAPI(__name__, info=Info(title="shopsearch", version=__version__), doc_prefix="/docs",
                  validation_error_status=400, validation_error_callback=bad_parameter)
    if encoder is None:
        threads = settings.model.threads or settings.api.encoder_threads
        encoder = encoder_from(settings.model_copy(update={"model": settings.model.model_copy(update={"threads": threads})}))
    searcher = searcher_from(settings, client, encoder)
    client, encoder = searcher.client, searcher.encoder
    users_store = UserProfileStore(client, settings.api.users_index, settings.api.users_mapping,
                                   settings.index.alias, searcher.copy_field, encoder.dimension)
    events = EventIngest(EventStore(client, settings.api.events_stream, settings.api.events_template), users_store)
    recs = RecsStore(client, settings.api.recs_alias, settings.api.recs_mapping)
    recommender = Recommender(client, settings.index.alias, searcher.vector_field, searcher.copy_field, users_store,
                              settings.api.cf_index, recs)
    app.extensions[EXTENSION] = Services(settings, client, encoder, searcher, users_store, events, recommender,
                                         Metrics())
    for blueprint in (search.bp, users.bp, recommend.bp, ops.bp):
        app.register_api(blueprint)
    app.register_blueprint(web.bp)
    register_error_handlers(app)
    _time_requests(app)
    return app


def _time_requests(app: OpenAPI) -> None:
    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        app.extensions[EXTENSION].metrics.observe(endpoint, response.status_code, time.perf_counter() - g.started)
        return response
