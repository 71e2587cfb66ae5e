"""Errors as JSON: 400 naming the parameter, 404, and 503 (with the cause logged) when OpenSearch fails."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from opensearchpy.exceptions import ConnectionError as EngineConnectionError
from opensearchpy.exceptions import TransportError
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from werkzeug.exceptions import HTTPException

from shopsearch.errors import SearchUnavailable, UnknownItems, error_key
from shopsearch.search_api.metrics import app_metrics

log = logging.getLogger(__name__)
MISSING = ("index_not_found_exception", "no_shard_available_action_exception", "cluster_block_exception")


def error_response(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": message, **extra}), status


def bad_parameter(exc: ValidationError) -> Response:
    """flask-openapi3's validation hook: the first bad parameter by name, and every problem listed."""
    problems = [_problem(err) for err in exc.errors()]
    first = problems[0]
    response = jsonify(
        {
            "error": f"invalid parameter {first['parameter']!r}: {first['message']}",
            "parameter": first["parameter"],
            "problems": problems,
        }
    )
    response.status_code = 400
    return response


def _problem(err: ErrorDetails) -> dict[str, str]:
    message = str(err["msg"]).removeprefix("Value error, ")
    name = error_key(err)
    if not name and ": " in message:  # a cross-field check names its parameter first
        name, message = message.split(": ", 1)
    return {"parameter": name or "request", "message": message}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SearchUnavailable)
    @app.errorhandler(EngineConnectionError)
    def engine_down(exc: Exception) -> tuple[Response, int]:
        return _unavailable(exc)

    @app.errorhandler(TransportError)
    def engine_error(exc: TransportError) -> tuple[Response, int]:
        status = exc.status_code if isinstance(exc.status_code, int) else 503
        if status >= 500 or status in (404, 408, 409, 429) or exc.error in MISSING:  # the cluster, not the request
            return _unavailable(exc)
        log.warning("OpenSearch refused the request (%s): %s", status, exc.info)
        return error_response(400, f"the search engine refused this request: {exc.error}", parameter="request")

    @app.errorhandler(UnknownItems)
    def unknown_items(exc: UnknownItems) -> tuple[Response, int]:
        return error_response(400, str(exc), parameter="items", unknown=exc.ids)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return error_response(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unexpected error")
        return error_response(500, "internal error")


def _unavailable(exc: Exception) -> tuple[Response, int]:
    app_metrics().engine_errors.inc()
    log.error("search engine unavailable: %s: %s", type(exc).__name__, exc)
    return error_response(503, "search engine unavailable", cause=type(exc).__name__)
