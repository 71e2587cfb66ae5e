"""``shopsearch events simulate|load|prune`` and ``shopsearch analytics``: shoppers' events and searches."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from tqdm import tqdm

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.events import analytics
from shopsearch.events.simulator import simulate
from shopsearch.indexer.catalog import read_catalog


@click.group()
def events() -> None:
    """Shopper events: simulate them, load them, prune them."""


@events.command("simulate")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--users", default=300, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Events JSONL.")
def simulate_command(catalog: Path, users: int, seed: int, out: Path) -> None:
    """Write a deterministic event stream over the catalog (and the planted pairs next to it)."""
    products = [row.record for row in read_catalog(catalog) if row.record]
    sim = simulate(products, users=users, seed=seed)
    out.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in sim.events), encoding="utf-8")
    out.with_suffix(".pairs.json").write_text(json.dumps(sim.pairs))
    searches = out.with_suffix(".searches.jsonl")
    searches.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in sim.searches), encoding="utf-8")
    click.echo(
        f"{len(sim.events)} events from {users} users -> {out} ({len(sim.pairs)} planted pairs);"
        f" {len(sim.searches)} searches -> {searches}"
    )


@events.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", default=1000, show_default=True)
@click.option("--if-empty", is_flag=True, help="Load only when no events are stored yet (for the demo).")
@click.pass_obj
def load_command(settings: Settings, path: Path, batch: int, if_empty: bool) -> None:
    """Ingest an events JSONL file through the same path as POST /events (and the searches that
    `events simulate` wrote beside it into the search log)."""
    ingest, behaviour = wiring.ingest(settings), wiring.behaviour(settings)
    searches = path.with_suffix(".searches.jsonl")
    if searches.is_file():
        log = wiring.search_log(settings, ingest.store.client)
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
    """Delete events past the retention and recompute the shopper vectors they were part of (run it daily)."""
    days = days or settings.events.retention_days
    report = wiring.ingest(settings).prune(days, wiring.behaviour(settings))
    click.echo(
        f"events older than {days} days: {report['deleted_events']} deleted; shopper vectors:"
        f" {report['profiles_rebuilt']} recomputed, {report['profiles_deleted']} deleted (no events left)"
    )


def _window(value: str) -> str:
    if not re.match(analytics.WINDOW, value):
        raise click.BadParameter(f"{value!r} is not a span like 30m, 24h, 7d or 4w")
    return value


@click.command("analytics")
@click.option(
    "--since",
    default="7d",
    show_default=True,
    callback=lambda _c, _p, v: _window(v),
    help="The window: 30m, 24h, 7d, 4w.",
)
@click.option("--top", default=20, show_default=True, help="Rows per table.")
@click.option(
    "--plot",
    "plot_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write positions.png and queries.png here.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def analytics_command(settings: Settings, since: str, top: int, plot_dir: Path | None, as_json: bool) -> None:
    """What shoppers searched and did: top queries, zero-result queries, no-click queries, rates by position."""
    tables = analytics.report(
        wiring.client(settings), settings.api.searches_stream, settings.api.events_stream, since, top
    )
    if as_json:
        click.echo(json.dumps(tables, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{tables['searches']} searches in the last {since}")
        for name, columns in analytics.TABLES.items():
            click.echo(f"\n{name.replace('_', ' ')}\n" + analytics.text_table(tables[name], columns))
    if plot_dir is not None:
        for path in analytics.charts(tables, plot_dir):
            click.echo(f"wrote {path}")
