"""GET /search, GET /suggest and GET /products/<id>."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from shopsearch.relevance.searcher import SearchRequest
from shopsearch.search_api.errors import error_response
from shopsearch.search_api.schemas import Error, ProductPath, SearchResponse
from shopsearch.search_api.services import services

bp = APIBlueprint("search", __name__, abp_tags=[Tag(name="search")])


@bp.get("/search", responses={200: SearchResponse, 400: Error, 503: Error})
def search(query: SearchRequest):
    """Hybrid search: BM25 + query vector + the user's profile vector + business value, with facets."""
    svc = services()
    if query.profile is not None and query.profile not in svc.searcher.profiles.names():
        return error_response(400, f"unknown profile {query.profile!r}", parameter="profile",
                              profiles=svc.searcher.profiles.names())
    return svc.searcher.search(query)


@bp.get("/products/<product_id>", responses={404: Error, 503: Error})
def product(path: ProductPath):
    """One product as indexed (without its vector)."""
    svc = services()
    found = svc.client.get(index=svc.settings.index.alias, id=path.product_id, ignore=404,
                           _source_excludes=[svc.searcher.vector_field, svc.searcher.copy_field])
    if not found.get("found"):
        return error_response(404, f"no product {path.product_id!r}")
    return {"id": found["_id"], **found["_source"]}


class SuggestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=100)
    size: int = Field(default=6, ge=1, le=20)


@bp.get("/suggest", responses={400: Error, 503: Error})
def suggest(query: SuggestQuery):
    """Autocomplete for the search box: products by title/brand prefix (typo-tolerant), brands, categories."""
    return services().searcher.suggest(query.q, query.size)
