"""``shopsearch experiment start|status|stop``: interleave two relevance profiles on live traffic."""

from __future__ import annotations

import json

import click

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.errors import LifecycleError
from shopsearch.experiments.store import ExperimentStore, report


def _store(settings: Settings) -> ExperimentStore:
    return wiring.experiments(settings, wiring.client(settings))


@click.group("experiment")
def experiment_group() -> None:
    """Team-draft interleaving of two relevance profiles; shoppers' clicks pick the winner."""


@experiment_group.command("start")
@click.option("--name", required=True, help="Names this experiment in the search log.")
@click.option("--a", "profile_a", required=True, help="Relevance profile of arm a (e.g. default).")
@click.option("--b", "profile_b", required=True, help="Relevance profile of arm b (the challenger).")
@click.pass_obj
def start(settings: Settings, name: str, profile_a: str, profile_b: str) -> None:
    """Start interleaving: every relevance search without a profile= of its own shows both arms, mixed."""
    known = wiring.profiles(settings).names()
    for profile in (profile_a, profile_b):
        if profile not in known:
            raise click.BadParameter(f"unknown profile {profile!r}; profiles: {', '.join(known)}")
    experiment = _store(settings).start(name, profile_a, profile_b)
    click.echo(f"experiment {experiment.name}: {experiment.a} (a) against {experiment.b} (b), running")


@experiment_group.command("status")
@click.pass_obj
def status(settings: Settings) -> None:
    """The latest experiment's report: impressions won by each arm, preference share, binomial test."""
    store = _store(settings)
    experiment = store.latest() if store.client.indices.exists(index=store.index) else None
    if experiment is None:
        raise LifecycleError("no experiment has been started")
    api = settings.api
    click.echo(json.dumps(report(store.client, experiment, api.searches_stream, api.events_stream), indent=2))


@experiment_group.command("stop")
@click.pass_obj
def stop(settings: Settings) -> None:
    """Stop interleaving (the report stays available with `status`)."""
    experiment = _store(settings).stop()
    click.echo(f"experiment {experiment.name} stopped")
