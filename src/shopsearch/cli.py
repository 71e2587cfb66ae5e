"""The ``shopsearch`` command: one group per area, each defined next to the code it drives.

A command's module loads when that command runs (click's lazy subcommands), so `shopsearch engine
start` never imports torch or ranx, and the command modules import what they use at the top.
"""

from __future__ import annotations

import importlib
import logging

import click
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from shopsearch.config import load_settings
from shopsearch.errors import ShopsearchError

# command name -> "module:object" of its click command or group
COMMANDS = {
    "engine": "shopsearch.engine.commands:engine",
    "index": "shopsearch.indexer.commands:index",
    "model": "shopsearch.encoder.commands:model_group",
    "serve": "shopsearch.search_api.commands:serve",
    "keys": "shopsearch.access.commands:keys_group",
    "users": "shopsearch.access.commands:users_group",
    "events": "shopsearch.events.commands:events",
    "analytics": "shopsearch.events.commands:analytics_command",
    "shoppers": "shopsearch.users.commands:shoppers",
    "profiles": "shopsearch.users.commands:profiles",  # the old name of `shoppers`, hidden
    "cf": "shopsearch.recommend.commands:cf_group",
    "recs": "shopsearch.recommend.commands:recs",
    "eval": "shopsearch.lab.commands:eval_command",
    "tune": "shopsearch.lab.commands:tune_command",
    "learn": "shopsearch.lab.commands:learn_command",
    "finetune": "shopsearch.lab.commands:finetune_command",
    "rules": "shopsearch.relevance.commands:rules_group",
    "experiment": "shopsearch.experiments.commands:experiment_group",
}


class _Group(click.Group):
    """Commands load on first use (COMMANDS); expected errors become one clean line and exit code 1,
    anything else is a bug and keeps its traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)  # click leaves the hidden ones out of --help

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name].split(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ShopsearchError as exc:
            raise click.ClickException(str(exc)) from None
        except OpenSearchConnectionError as exc:
            raise click.ClickException(f"OpenSearch is unreachable ({exc.info}); is the engine running?") from None


@click.group(cls=_Group)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="SHOPSEARCH_CONFIG",
    help="YAML settings file (also SHOPSEARCH_CONFIG).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: bool) -> None:
    """shopsearch: e-commerce search on OpenSearch."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for chatty in (
        "opensearch",
        "urllib3",
    ):  # else a line (and traceback) per request and retry; our code logs failures itself
        logging.getLogger(chatty).setLevel(logging.DEBUG if verbose else logging.ERROR)
    ctx.obj = load_settings(config_file)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
