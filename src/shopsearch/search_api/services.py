"""The per-app objects (client, encoder, searcher, user store), built once in create_app and kept on the app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from opensearchpy import OpenSearch

from shopsearch.config import Settings
from shopsearch.events.searches import SearchLog
from shopsearch.experiments.store import ExperimentStore
from shopsearch.recommend.rails import Recommender
from shopsearch.relevance.searcher import Searcher
from shopsearch.search_api.metrics import Metrics
from shopsearch.users.ingest import EventIngest
from shopsearch.users.store import UserProfileStore

EXTENSION = "shopsearch"


@dataclass
class Services:
    settings: Settings
    client: OpenSearch
    searcher: Searcher
    users: UserProfileStore
    events: EventIngest
    recommender: Recommender
    metrics: Metrics
    searches: SearchLog
    experiments: ExperimentStore


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    return current_app.extensions[EXTENSION]
