"""``shopsearch keys new`` and ``shopsearch users token``: credentials for the API."""

from __future__ import annotations

import json

import click

from shopsearch import keys
from shopsearch.access import tokens
from shopsearch.config import Settings
from shopsearch.errors import ConfigError
from shopsearch.keys import ROLES


@click.group("keys")
def keys_group() -> None:
    """API keys for the shop's services."""


@keys_group.command("new")
@click.option("--role", type=click.Choice(ROLES), required=True, help="search < events < admin.")
@click.option("--name", required=True, help="Who holds it (shown in config, never sent).")
def new_key(role: str, name: str) -> None:
    """Print a new key (once: only its digest is kept) and the config entry that admits it."""
    key = keys.new_key()
    entry = {"name": name, "role": role, "sha256": keys.digest(key)}
    click.echo(f"key: {key}\nadd to auth.keys (or the JSON list in SHOPSEARCH_AUTH_KEYS): {json.dumps(entry)}")


@click.group("users")
def users_group() -> None:
    """Shoppers' credentials."""


@users_group.command("token")
@click.argument("user_id")
@click.option("--ttl", type=int, default=None, help="Seconds valid (default: auth.token_ttl).")
@click.pass_obj
def token(settings: Settings, user_id: str, ttl: int | None) -> None:
    """A shopper token that lets a browser act for USER_ID only (what the shop's back end hands its page)."""
    if settings.auth.shopper_secret is None:
        raise ConfigError("auth.shopper_secret is not set (SHOPSEARCH_AUTH_SHOPPER_SECRET)")
    click.echo(tokens.sign(settings.auth.shopper_secret.get_secret_value(), user_id, ttl or settings.auth.token_ttl))
