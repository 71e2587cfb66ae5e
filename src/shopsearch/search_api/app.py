"""The app factory: ``create_app(settings)`` wires services, blueprints, errors and metrics."""

from __future__ import annotations

import time

from flask import g, request
from flask.json.provider import DefaultJSONProvider
from flask_openapi3 import Info, OpenAPI
from opensearchpy import OpenSearch

from shopsearch import __version__
from shopsearch.client import api_client
from shopsearch.config import Settings, load_settings
from shopsearch.encoder import TextEncoder
from shopsearch.events.searches import SearchLog
from shopsearch.events.store import EventStore
from shopsearch.experiments.store import ExperimentStore
from shopsearch.recommend.rails import Recommender
from shopsearch.recommend.store import RecsStore
from shopsearch.relevance.searcher import searcher_from
from shopsearch.search_api import access, ops, recommend, search, users, web
from shopsearch.search_api.errors import bad_parameter, register_error_handlers
from shopsearch.search_api.metrics import Metrics
from shopsearch.search_api.services import EXTENSION, Services
from shopsearch.users.ingest import EventIngest
from shopsearch.users.store import UserProfileStore


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
    writer = client or api_client(settings, retries=False)
    searcher = searcher_from(settings, client or api_client(settings), encoder)
    client = searcher.client
    users_store = UserProfileStore(
        client,
        settings.api.users_index,
        settings.api.users_mapping,
        settings.index.alias,
        searcher.copy_field,
        searcher.encoder.dimension,
    )
    events = EventIngest(EventStore(writer, settings.api.events_stream, settings.api.events_template), users_store)
    recs = RecsStore(client, settings.api.recs_alias, settings.api.recs_mapping)
    recommender = Recommender(
        client,
        settings.index.alias,
        searcher.vector_field,
        searcher.copy_field,
        users_store,
        settings.api.cf_index,
        recs,
    )
    searches = SearchLog(writer, settings.api.searches_stream, settings.api.searches_template)
    app.extensions[EXTENSION] = Services(
        settings,
        client,
        searcher,
        users_store,
        events,
        recommender,
        Metrics(),
        searches,
        ExperimentStore(client, settings.api.experiments_index),
    )
    for blueprint in (search.bp, users.bp, recommend.bp, ops.bp):
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

    def loads(self, s: str | bytes, **kwargs):  # noqa: ANN201
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _time_requests(app: OpenAPI) -> None:
    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        app.extensions[EXTENSION].metrics.observe(endpoint, response.status_code, time.perf_counter() - g.started)
        return response
