"""``shopsearch index build|reindex|upsert|delete|rollback|synonyms|status``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.indexer import synonyms
from shopsearch.indexer.lifecycle import describe
from shopsearch.indexer.service import Indexer, ReindexReport

_catalog = click.argument("catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    help="Catalog format (default: from the file extension).",
)
_keep_failed = click.option("--keep-failed", is_flag=True, help="Keep a half-built index for inspection.")
_model = click.option(
    "--model",
    "model_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Local HF model directory (default: the configured model).",
)


def _indexer(settings: Settings, model_dir: Path | None = None) -> Indexer:
    if model_dir is not None:
        settings = settings.model_copy(update={"model": settings.model.model_copy(update={"path": model_dir})})
    return wiring.indexer(settings)


def _print_reindex(report: ReindexReport) -> None:
    click.echo(
        json.dumps(
            {
                "index": report.index,
                **report.write.summary(),
                "replaced": report.replaced,
                "pruned": report.pruned,
                "merging": report.merging,
            },
            indent=2,
        )
    )
    if report.dead_letter:
        click.echo(f"rejected rows and reasons: {report.dead_letter}")


@click.group()
def index() -> None:
    """Write the product catalog into OpenSearch behind a read alias."""


def _full_load(command: Callable[..., None]) -> Callable[..., None]:
    """The options build and reindex share."""
    for option in (click.pass_obj, _model, _keep_failed, _format, _catalog):
        command = option(command)
    return command


@index.command()
@_full_load
def build(settings: Settings, catalog: Path, fmt: str | None, keep_failed: bool, model_dir: Path | None) -> None:
    """First build: a new index and the alias (refuses if the alias exists)."""
    _print_reindex(_indexer(settings, model_dir).reindex(catalog, fmt=fmt, keep_failed=keep_failed, require_new=True))


@index.command()
@_full_load
def reindex(settings: Settings, catalog: Path, fmt: str | None, keep_failed: bool, model_dir: Path | None) -> None:
    """Zero-downtime rebuild: load a new index, check it, swap the alias atomically."""
    _print_reindex(_indexer(settings, model_dir).reindex(catalog, fmt=fmt, keep_failed=keep_failed))


@index.command()
@_catalog
@_format
@click.pass_obj
def upsert(settings: Settings, catalog: Path, fmt: str | None) -> None:
    """Add or replace products in the live index."""
    report, dead = _indexer(settings).upsert(catalog, fmt)
    click.echo(json.dumps(report.summary(), indent=2))
    if dead:
        click.echo(f"rejected rows and reasons: {dead}")


@index.command()
@click.argument("ids", nargs=-1, required=True)
@click.pass_obj
def delete(settings: Settings, ids: tuple[str, ...]) -> None:
    """Delete products by id from the live index."""
    click.echo(json.dumps(_indexer(settings).delete(list(ids)), indent=2))


@index.command()
@click.pass_obj
def rollback(settings: Settings) -> None:
    """Point the alias back at the previous index."""
    old, new = _indexer(settings).rollback()
    click.echo(f"alias {settings.index.alias}: {old} -> {new}")


@index.command("synonyms")
@click.option("--check", is_flag=True, help="Only validate index.synonyms and print its rules.")
@click.pass_obj
def synonyms_command(settings: Settings, check: bool) -> None:
    """Serve the edited synonyms file without a reindex (the served index is cloned with the new rules)."""
    if check:
        click.echo(json.dumps(synonyms.load_synonyms(settings.index.synonyms), indent=2, ensure_ascii=False))
        return
    click.echo(json.dumps(synonyms.apply(wiring.client(settings), settings), indent=2))


@index.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Aliases, indices, doc counts, model and mapping version."""
    report = describe(wiring.client(settings), settings.index.alias)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"alias {report['alias']} -> {', '.join(report['serving']) or '(none)'}")
    for row in report["indices"]:
        mark = "*" if row["serving"] else " "
        click.echo(
            f" {mark} {row['index']}  docs={row['docs']}  size={row['size']}  health={row['health']}"
            f"  model={row['model']}  dim={row['dimension']}  mapping=v{row['mapping_version']}"
        )
