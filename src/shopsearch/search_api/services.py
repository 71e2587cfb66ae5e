"""The current app's services (built once per app by ``wiring.build_services``), for the blueprints."""

from __future__ import annotations

from flask import current_app

from shopsearch.wiring import Services

EXTENSION = "shopsearch"  # the app's extensions key


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    built: Services = current_app.extensions[EXTENSION]
    return built
