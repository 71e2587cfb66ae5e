"""The ``shopsearch`` command: one group per area, each defined next to the code it drives."""

from __future__ import annotations

import logging

import click
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from shopsearch.access.commands import keys_group, users_group
from shopsearch.config import load_settings
from shopsearch.encoder.commands import model_group
from shopsearch.engine.commands import engine
from shopsearch.errors import ShopsearchError
from shopsearch.events.commands import analytics_command, events
from shopsearch.experiments.commands import experiment_group
from shopsearch.indexer.commands import index
from shopsearch.lab.commands import eval_command, finetune_command, learn_command, tune_command
from shopsearch.recommend.commands import cf_group, recs
from shopsearch.relevance.commands import rules_group
from shopsearch.search_api.commands import serve
from shopsearch.users.commands import profiles  # also adds `events load|prune` to the events group


class _Group(click.Group):
    """Turn expected errors into one clean line and exit code 1; anything else is a bug and keeps its traceback."""

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


cli.add_command(engine)
cli.add_command(index)
cli.add_command(model_group)
cli.add_command(serve)
cli.add_command(keys_group)
cli.add_command(users_group)
cli.add_command(events)
cli.add_command(profiles)
cli.add_command(cf_group)
cli.add_command(recs)
cli.add_command(eval_command)
cli.add_command(tune_command)
cli.add_command(learn_command)
cli.add_command(rules_group)
cli.add_command(analytics_command)
cli.add_command(experiment_group)
cli.add_command(finetune_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
