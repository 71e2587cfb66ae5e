"""The ``shopsearch`` command line: one module per area (`cli/index.py` for `shopsearch index ...`).

The command line is a layer of its own, beside the search API: it builds what it needs through
`wiring` and calls the packages; no package imports it. A command's module loads when that command
runs (click's lazy subcommands), so `shopsearch engine start` never imports torch or ranx.
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
    "engine": "shopsearch.cli.engine:engine",
    "index": "shopsearch.cli.index:index",
    "model": "shopsearch.cli.model:model_group",
    "serve": "shopsearch.cli.serve:serve",
    "keys": "shopsearch.cli.access:keys_group",
    "users": "shopsearch.cli.access:users_group",
    "events": "shopsearch.cli.events:events",
    "analytics": "shopsearch.cli.events:analytics_command",
    "shoppers": "shopsearch.cli.shoppers:shoppers",
    "profiles": "shopsearch.cli.shoppers:profiles",  # the old name of `shoppers`, hidden
    "cf": "shopsearch.cli.recs:cf_group",
    "recs": "shopsearch.cli.recs:recs",
    "eval": "shopsearch.cli.lab:eval_command",
    "tune": "shopsearch.cli.lab:tune_command",
    "learn": "shopsearch.cli.lab:learn_command",
    "finetune": "shopsearch.cli.lab:finetune_command",
    "rules": "shopsearch.cli.rules:rules_group",
    "experiment": "shopsearch.cli.experiment:experiment_group",
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
