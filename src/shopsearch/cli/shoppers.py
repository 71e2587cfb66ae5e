"""``shopsearch shoppers rebuild``: every shopper's vector recomputed from the stored events."""

from __future__ import annotations

import click

from shopsearch import wiring
from shopsearch.config import Settings


@click.group("shoppers")
def shoppers() -> None:
    """Shoppers' vectors, built from their events."""


@shoppers.command("rebuild")
@click.pass_obj
def rebuild_command(settings: Settings) -> None:
    """Recompute every shopper's vector from the events index."""
    count = wiring.ingest(settings).rebuild_all(wiring.behaviour(settings))
    click.echo(f"rebuilt {count} shopper vectors")


# `shopsearch profiles rebuild`, its name in 0.1 ("profile" now means only a relevance profile): kept one release.
profiles = click.Group(
    "profiles", commands={"rebuild": rebuild_command}, hidden=True, deprecated=True, help="The old name of `shoppers`."
)
