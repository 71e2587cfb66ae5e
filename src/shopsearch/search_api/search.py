"""GET /search, GET /suggest and GET /products/<id>."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response
from pydantic import BaseModel, ConfigDict, Field

from shopsearch.client import get_document
from shopsearch.experiments.serving import interleaved, takes_part
from shopsearch.hits import PUBLIC_FIELDS, Product
from shopsearch.hits import product as product_page
from shopsearch.relevance.searcher import SearchRequest
from shopsearch.search_api import access
from shopsearch.search_api.errors import error_response
from shopsearch.search_api.schemas import Error, ProductPath, SearchResponse, Suggestions
from shopsearch.search_api.services import services

log = logging.getLogger(__name__)
bp = access.blueprint("search", __name__, "search")


@bp.get("/search", responses={200: SearchResponse})
def search(query: SearchRequest) -> dict[str, Any] | tuple[Response, int]:
    """Hybrid search: BM25 + query vector + the shopper vector + business value, with facets."""
    access.act_for(query.user_id)
    if not query.rules:  # a hidden product (a recall) must stay one role away from any shopper
        access.require("admin", "rules=false")
    svc = services()
    if query.profile is not None and query.profile not in svc.searcher.profiles.names():
        return error_response(
            400, f"unknown profile {query.profile!r}", parameter="profile", profiles=svc.searcher.profiles.names()
        )
    experiment = svc.experiments.running() if takes_part(query) else None
    if experiment and not {experiment.a, experiment.b} <= set(svc.searcher.profiles.names()):
        log.warning(
            "experiment %s: profile %s or %s is gone; searching without it", experiment.name, experiment.a, experiment.b
        )
        experiment = None
    if experiment is None:
        result, teams = svc.searcher.search(query), None
    else:
        result, teams = interleaved(svc.searcher, query, experiment)
    if not result["total"] and not result.get("suggestion") and not result.get("redirect"):
        result["popular"] = svc.searches.popular()  # nothing found and no spelling to offer: what others found
    if query.q.strip():
        svc.searches.record(
            query.user_id,
            query.q,
            (query.page - 1) * query.size + 1,
            result,
            experiment.name if experiment else None,
            teams,
        )
    return result


@bp.get("/products/<product_id>", responses={200: Product, 404: Error})
def product(path: ProductPath) -> dict[str, Any] | tuple[Response, int]:
    """One product's public fields (not the catalog's extra columns, the vector or the stock count)."""
    svc = services()
    found = get_document(svc.client, svc.settings.index.alias, path.product_id, _source_includes=PUBLIC_FIELDS)
    if found is None:
        return error_response(404, f"no product {path.product_id!r}")
    return product_page(found)


class SuggestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=100)
    size: int = Field(default=6, ge=1, le=20)


@bp.get("/suggest", responses={200: Suggestions})
def suggest(query: SuggestQuery) -> dict[str, Any]:
    """Autocomplete for the search box: products by title/brand prefix (typo-tolerant), brands, categories."""
    return services().searcher.suggest(query.q, query.size)
