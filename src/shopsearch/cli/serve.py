"""``shopsearch serve``: the search API under gunicorn."""

from __future__ import annotations

import ipaddress
import math
import socket
import sys

import click
from gunicorn.app.wsgiapp import run

from shopsearch.config import Settings
from shopsearch.errors import ConfigError


@click.command()
@click.option("--host", default=None, help="Bind address (default: api.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: api.port, 8000).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes (default: api.workers).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the search API with gunicorn (each worker loads the model once)."""
    host = host or settings.api.host
    if not settings.auth.enabled and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without API keys: anyone who can reach it could read and "
            "change every shopper's data (add auth.keys, or bind to 127.0.0.1)"
        )
    if settings.auth.demo_shoppers and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} with auth.demo_shoppers: the page would hand out every listed shopper's token"
        )
    bind = f"{host}:{port or settings.api.port}"
    # A search gives up at its budget (a 503); gunicorn kills only a worker stuck far beyond it, and no sooner
    # than two minutes, which an admin's forget (a delete-by-query over the events) may need.
    timeout = str(max(120, math.ceil(settings.api.search_timeout * 10)))
    sys.argv = [
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers or settings.api.workers),
        "--threads",
        str(settings.api.threads),
        "--timeout",
        timeout,
        "--access-logfile",
        "-",
        "shopsearch.search_api.app:create_app()",
    ]
    click.echo(f"serving the search API on http://{bind} (docs: /docs/, OpenAPI: /openapi.json)")
    run()


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or a name that resolves only to them (`localhost`)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)
