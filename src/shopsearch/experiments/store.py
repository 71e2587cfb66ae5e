"""The experiment that is running (one at a time), in a small OpenSearch index so that every API worker
sees a start or stop within seconds, and its report from the search log and the click events."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch, helpers
from pydantic import BaseModel, Field

from shopsearch.errors import LifecycleError
from shopsearch.experiments.interleave import Outcome, credit
from shopsearch.queries.logs import arm_searches, query_clicks

CURRENT = "current"  # the document id of the latest experiment
CLICK_WINDOW = timedelta(minutes=30)  # a click counts for the search its shopper made this long before it


class Experiment(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    a: str = Field(description="Relevance profile of arm a.")
    b: str = Field(description="Relevance profile of arm b.")
    started_at: datetime
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class ExperimentStore:
    def __init__(self, client: OpenSearch, index: str, cache_s: float = 5.0) -> None:
        self.client, self.index, self.cache_s = client, index, cache_s
        self._cached: tuple[float, Experiment | None] = (-float("inf"), None)

    def latest(self) -> Experiment | None:
        found = self.client.get(index=self.index, id=CURRENT, ignore=404)
        return Experiment.model_validate(found["_source"]) if found.get("found") else None

    def running(self) -> Experiment | None:
        """The running experiment, read at most every `cache_s` seconds (the search path asks on every search)."""
        at, experiment = self._cached
        if time.monotonic() - at >= self.cache_s:
            latest = self.latest() if self.client.indices.exists(index=self.index) else None
            experiment = latest if latest and latest.running else None
            self._cached = (time.monotonic(), experiment)
        return experiment

    def start(self, name: str, a: str, b: str) -> Experiment:
        current = self.latest() if self.client.indices.exists(index=self.index) else None
        if current and current.running:
            raise LifecycleError(f"experiment {current.name!r} is running; stop it first")
        experiment = Experiment(name=name, a=a, b=b, started_at=datetime.now(UTC))
        self._save(experiment)
        return experiment

    def stop(self) -> Experiment:
        current = self.latest() if self.client.indices.exists(index=self.index) else None
        if not current or not current.running:
            raise LifecycleError("no experiment is running")
        stopped = current.model_copy(update={"stopped_at": datetime.now(UTC)})
        self._save(stopped)
        return stopped

    def _save(self, experiment: Experiment) -> None:
        self.client.index(index=self.index, id=CURRENT, body=experiment.model_dump(mode="json"), refresh=True)
        self._cached = (-float("inf"), None)


def report(client: OpenSearch, experiment: Experiment, searches: str, events: str) -> dict[str, Any]:
    """Each interleaved search of the experiment credited from its shopper's clicks, and the verdict. A click
    counts for the latest search before it (same shopper and query, within 30 minutes) that showed the
    product, so a search repeated by paging or the back button is not credited twice. (The search log and the
    events both store queries as normalize_query folds them, so they compare as they are.)"""
    shown_by: dict[tuple[str, str], list[tuple[datetime, int, dict[str, str]]]] = defaultdict(list)
    for number, hit in enumerate(_scan(client, searches, arm_searches(experiment.started_at, experiment.name))):
        line = hit["_source"]
        teams = dict(zip(line.get("shown", []), line.get("teams", [])))
        shown_by[(line.get("user_id") or "", line["query"])].append((_when(line), number, teams))
    clicked: dict[int, set[str]] = defaultdict(set)
    for hit in _scan(client, events, query_clicks(experiment.started_at)):
        event = hit["_source"]
        at = _when(event)
        earlier = [
            (t, n)
            for t, n, teams in shown_by.get((event["user_id"], event["query"]), [])
            if t <= at <= t + CLICK_WINDOW and event["product_id"] in teams
        ]
        if earlier:
            clicked[max(earlier)[1]].add(event["product_id"])
    impressions = [(n, teams) for lines in shown_by.values() for _, n, teams in lines]
    wins = {"a": 0, "b": 0}
    for number, teams in impressions:
        if team := credit(teams, clicked.get(number, set())):
            wins[team] += 1
    outcome = Outcome(len(impressions), wins["a"], wins["b"])
    winner = outcome.winner()
    return {
        "experiment": experiment.name,
        "a": experiment.a,
        "b": experiment.b,
        "running": experiment.running,
        "impressions": len(impressions),
        "wins_a": wins["a"],
        "wins_b": wins["b"],
        "ties": len(impressions) - wins["a"] - wins["b"],
        "share_a": round(outcome.share_a, 4),
        "p_value": outcome.p_value,
        "winner": {"a": experiment.a, "b": experiment.b}.get(winner or ""),
    }


def _scan(client: OpenSearch, index: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The hits of every document of `index` that the body's query matches (none if there is no index)."""
    if not client.indices.exists(index=index):
        return
    client.indices.refresh(index=index)
    yield from helpers.scan(client, index=index, query=body, size=2000)


def _when(source: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(source["@timestamp"])
