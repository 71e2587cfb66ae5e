"""Where objects are built: settings in; clients, the encoder, the searcher and the stores out.

The search API (``search_api.app.create_app``), the commands and the benchmarks build what they use
here, so a store's index name or an encoder's options are read from the settings in one place.
Callers that already hold a client or a loaded encoder (tests, a benchmark timing two runtimes)
pass it in. This module sits above the packages it wires and below the API and the commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from shopsearch.client import api_client, create_client
from shopsearch.config import Settings
from shopsearch.encoder import TextEncoder, load_encoder
from shopsearch.errors import ConfigError, ReindexError
from shopsearch.events.searches import SearchLog
from shopsearch.events.store import EventStore
from shopsearch.experiments.store import ExperimentStore
from shopsearch.indexer.mapping import IndexMapping, load_mapping
from shopsearch.indexer.service import Indexer
from shopsearch.recommend.rails import Recommender
from shopsearch.recommend.store import RecsStore
from shopsearch.relevance.profile import ProfileSet
from shopsearch.relevance.rules import RuleSet
from shopsearch.relevance.searcher import Searcher
from shopsearch.users.ingest import EventIngest
from shopsearch.users.store import ShopperVectorStore
from shopsearch.users.vectors import Behaviour


def client(settings: Settings) -> OpenSearch:
    """A client for offline work (commands, lab, benchmarks): the configured timeouts and retries."""
    return create_client(settings.opensearch)


def encoder(settings: Settings) -> TextEncoder:
    """The encoder `model:` describes, in the runtime it names (torch loads only for runtime torch)."""
    return load_encoder(settings.model)


def profiles(settings: Settings) -> ProfileSet:
    """The ranking profiles in api.profiles_dir (re-read when a file changes)."""
    return ProfileSet(settings.api.profiles_dir, settings.api.default_profile)


def behaviour(settings: Settings) -> Behaviour:
    """How events weigh and decay into shopper vectors: the default relevance profile's `behaviour:`."""
    return profiles(settings).get(None).spec.behaviour


def searcher(settings: Settings, client: OpenSearch | None = None, encoder: TextEncoder | None = None) -> Searcher:
    """The searcher the settings describe; the API and offline evaluation both build it here."""

    def load_model(meta: dict[str, Any]) -> TextEncoder:
        if not meta.get("model_path"):
            raise ConfigError("the index does not record its model's path (built before shopsearch recorded it)")
        update = {"path": Path(meta["model_path"]), "runtime": meta.get("model_runtime", "torch")}
        return load_encoder(settings.model.model_copy(update=update))

    return Searcher(
        client or create_client(settings.opensearch),
        encoder or load_encoder(settings.model),
        profiles(settings),
        settings.index.alias,
        mapping(settings),
        settings.api.users_index,
        settings.api.query_cache_size,
        settings.api.model_check_s,
        load_model,
        rules(settings),
    )


def indexer(settings: Settings, client: OpenSearch | None = None, encoder: TextEncoder | None = None) -> Indexer:
    """The indexer for index.alias. The mapping file is checked first, so a bad one fails before the model loads."""
    products = mapping(settings)
    return Indexer(
        settings,
        client=client or create_client(settings.opensearch),
        encoder=encoder or load_encoder(settings.model),
        mapping=products,
    )


def rules(settings: Settings) -> RuleSet:
    """The query rules in api.rules_dir (re-read when a file changes)."""
    return RuleSet(settings.api.rules_dir)


def mapping(settings: Settings) -> IndexMapping:
    """The products mapping file index.mapping names, validated."""
    return load_mapping(settings.index.mapping)


def event_store(settings: Settings, client: OpenSearch) -> EventStore:
    return EventStore(client, settings.api.events_stream, settings.api.events_template)


def search_log(settings: Settings, client: OpenSearch) -> SearchLog:
    return SearchLog(client, settings.api.searches_stream, settings.api.searches_template)


def experiments(settings: Settings, client: OpenSearch) -> ExperimentStore:
    return ExperimentStore(client, settings.api.experiments_index)


def recs_store(settings: Settings, client: OpenSearch) -> RecsStore:
    return RecsStore(client, settings.api.recs_alias, settings.api.recs_mapping)


def shoppers(settings: Settings, client: OpenSearch, copy_field: str, dimension: int) -> ShopperVectorStore:
    """The shoppers' vectors, averaged from the item vectors in `copy_field` of the products alias."""
    return ShopperVectorStore(
        client, settings.api.users_index, settings.api.users_mapping, settings.index.alias, copy_field, dimension
    )


def ingest(settings: Settings, client: OpenSearch | None = None) -> EventIngest:
    """Events and shoppers' vectors without loading the model: the dimension comes from the served index."""
    client = client or create_client(settings.opensearch)
    alias = settings.index.alias
    served = client.indices.get_mapping(index=alias, ignore=404)
    if "error" in served or not served:
        raise ReindexError(f"alias {alias!r} does not exist; run `shopsearch index build` first")
    dimension = next(iter(served.values()))["mappings"]["_meta"]["dimension"]
    products = mapping(settings)
    if not products.vector_copy_field:
        raise ConfigError(f"{products.path}: shoppers' vectors need a vector_copy_field to read item vectors")
    return EventIngest(event_store(settings, client), shoppers(settings, client, products.vector_copy_field, dimension))


@dataclass
class Services:
    """What the search API serves from, built once per app by ``build_services``."""

    settings: Settings
    client: OpenSearch
    searcher: Searcher
    users: ShopperVectorStore
    events: EventIngest
    recommender: Recommender
    searches: SearchLog
    experiments: ExperimentStore


def build_services(
    settings: Settings, client: OpenSearch | None = None, encoder: TextEncoder | None = None
) -> Services:
    """The API's objects. Searches retry on the engine within api.search_timeout; writes (events, the
    search log) do not retry, so a slow engine answers 503 rather than holding a worker."""
    writer = client or api_client(settings, retries=False)
    found = searcher(settings, client or api_client(settings), encoder)
    users = shoppers(settings, found.client, found.copy_field, found.encoder.dimension)
    recommender = Recommender(
        found.client,
        settings.index.alias,
        found.vector_field,
        found.copy_field,
        users,
        settings.api.cf_index,
        recs_store(settings, found.client),
    )
    return Services(
        settings,
        found.client,
        found,
        users,
        EventIngest(event_store(settings, writer), users),
        recommender,
        search_log(settings, writer),
        experiments(settings, found.client),
    )
