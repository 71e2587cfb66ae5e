"""``shopsearch events load|prune`` and ``shopsearch profiles rebuild``: events that move shoppers' profiles."""

from __future__ import annotations

import json
from pathlib import Path

import click
from tqdm import tqdm

from shopsearch.client import create_client
from shopsearch.config import Settings
from shopsearch.errors import ReindexError
from shopsearch.events.commands import events
from shopsearch.events.searches import SearchLog
from shopsearch.events.store import EventStore
from shopsearch.indexer.mapping import load_mapping
from shopsearch.relevance.profile import ProfileSet
from shopsearch.users.ingest import EventIngest
from shopsearch.users.store import UserProfileStore


def ingest_service(settings: Settings) -> EventIngest:
    """Events and profiles without loading the model: the dimension comes from the served index."""
    client = create_client(settings.opensearch)
    alias = settings.index.alias
    served = client.indices.get_mapping(index=alias, ignore=404)
    if "error" in served or not served:
        raise ReindexError(f"alias {alias!r} does not exist; run `shopsearch index build` first")
    dimension = next(iter(served.values()))["mappings"]["_meta"]["dimension"]
    copy_field = load_mapping(settings.index.mapping).vector_copy_field
    users = UserProfileStore(client, settings.api.users_index, settings.api.users_mapping, alias, copy_field, dimension)
    return EventIngest(EventStore(client, settings.api.events_stream, settings.api.events_template), users)


def behaviour_of(settings: Settings):  # noqa: ANN201 (a Behaviour)
    """How events weigh and decay: the default relevance profile's `behaviour:`."""
    return ProfileSet(settings.api.profiles_dir, settings.api.default_profile).get(None).spec.behaviour


@events.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", default=1000, show_default=True)
@click.option("--if-empty", is_flag=True, help="Load only when no events are stored yet (for the demo).")
@click.pass_obj
def load_command(settings: Settings, path: Path, batch: int, if_empty: bool) -> None:
    """Ingest an events JSONL file through the same path as POST /events (and the searches that
    `events simulate` wrote beside it into the search log)."""
    ingest, behaviour = ingest_service(settings), behaviour_of(settings)
    searches = path.with_suffix(".searches.jsonl")
    if searches.is_file():
        log = SearchLog(ingest.store.client, settings.api.searches_stream, settings.api.searches_template)
        if not (if_empty and log.total()):
            lines = [json.loads(line) for line in searches.read_text(encoding="utf-8").splitlines()]
            click.echo(f"searches: {sum(log.write(lines[i : i + batch]) for i in range(0, len(lines), batch))} logged")
    if if_empty and ingest.store.total():
        click.echo(f"events already stored in {ingest.store.stream}; not loading {path}")
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    accepted = rejected = 0
    for start in tqdm(range(0, len(lines), batch), desc="loading events", unit="batch", disable=None):
        result = ingest.ingest([json.loads(line) for line in lines[start : start + batch]], behaviour)
        accepted, rejected = accepted + result["accepted"], rejected + len(result["rejected"])
    click.echo(f"accepted {accepted}, rejected {rejected}")


@events.command("prune")
@click.option("--days", type=int, default=None, help="Keep this many days (default: events.retention_days).")
@click.pass_obj
def prune_command(settings: Settings, days: int | None) -> None:
    """Delete events past the retention and recompute the profiles they were part of (run it daily)."""
    days = days or settings.events.retention_days
    report = ingest_service(settings).prune(days, behaviour_of(settings))
    click.echo(
        f"events older than {days} days: {report['deleted_events']} deleted; profiles:"
        f" {report['profiles_rebuilt']} recomputed, {report['profiles_deleted']} deleted (no events left)"
    )


@click.group()
def profiles() -> None:
    """User profile vectors."""


@profiles.command("rebuild")
@click.pass_obj
def rebuild_command(settings: Settings) -> None:
    """Recompute every user's profile from the events index."""
    count = ingest_service(settings).rebuild_all(behaviour_of(settings))
    click.echo(f"rebuilt {count} profiles")
