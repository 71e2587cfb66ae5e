"""``shopsearch serve``: the search API under gunicorn."""

from __future__ import annotations

import sys

import click

from shopsearch.config import Settings


@click.command()
@click.option("--host", default=None, help="Bind address (default: api.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: api.port, 8000).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes (default: api.workers).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the search API with gunicorn (each worker loads the model once)."""
    from gunicorn.app.wsgiapp import run

    bind = f"{host or settings.api.host}:{port or settings.api.port}"
    sys.argv = ["gunicorn", "--bind", bind, "--workers", str(workers or settings.api.workers),
                "--timeout", "120", "--access-logfile", "-", "shopsearch.search_api.app:create_app()"]
    click.echo(f"serving the search API on http://{bind} (docs: /docs/, OpenAPI: /openapi.json)")
    run()
