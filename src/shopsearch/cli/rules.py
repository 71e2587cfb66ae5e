"""`shopsearch rules`: check the query rules files and see which rules a query fires, without the engine."""

from __future__ import annotations

import json

import click

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.text import normalize_query


@click.group("rules")
def rules_group() -> None:
    """Query rules (pin, hide, boost, bury, redirect) in api.rules_dir."""


@rules_group.command("check")
@click.pass_obj
def check(settings: Settings) -> None:
    """Load and validate every rules file; print the enabled rules."""
    enabled = wiring.rules(settings).all()
    click.echo(json.dumps({"directory": str(settings.api.rules_dir), "enabled": [r.id for r in enabled]}, indent=2))


@rules_group.command("test")
@click.argument("query")
@click.option("--category", default=None, help="As if the shopper filtered by this category.")
@click.option("--brand", default=None, help="As if the shopper filtered by this brand.")
@click.pass_obj
def test(settings: Settings, query: str, category: str | None, brand: str | None) -> None:
    """Which rules QUERY fires, and what each does."""
    fired = wiring.rules(settings).firing(normalize_query(query), category, brand)
    click.echo(
        json.dumps(
            [
                {"id": r.id, "description": r.description, "then": r.then.model_dump(exclude_defaults=True)}
                for r in fired
            ],
            indent=2,
            ensure_ascii=False,
        )
    )
