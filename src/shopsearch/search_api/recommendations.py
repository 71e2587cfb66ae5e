"""GET /recommend/for-you, /recommend/similar/<id>, /recommend/bought-together/<id>."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shopsearch.errors import UnknownItems
from shopsearch.ids import DocId
from shopsearch.search_api import access
from shopsearch.search_api.schemas import Error, ProductPath, Rail
from shopsearch.search_api.services import services

bp = access.blueprint("recommend", __name__, "recommendations", url_prefix="/recommend")


class RailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int = Field(default=10, ge=1, le=50)


class ForYouQuery(RailQuery):
    user_id: DocId
    category: str | None = Field(default=None, max_length=512)
    profile: str | None = Field(default=None, max_length=128)


@bp.get("/for-you", responses={200: Rail})
def for_you(query: ForYouQuery) -> dict[str, Any] | tuple[dict[str, str], int]:
    """From the shopper vector, minus what they bought; popular in the category for a new user."""
    access.act_for(query.user_id)
    svc = services()
    if query.profile is not None and query.profile not in svc.searcher.profiles.names():
        return {"error": f"unknown profile {query.profile!r}", "parameter": "profile"}, 400
    profile = svc.searcher.profiles.get(query.profile)
    return {"items": svc.recommender.for_you(query.user_id, query.size, query.category, profile)}


@bp.get("/similar/<product_id>", responses={200: Rail, 404: Error})
def similar(path: ProductPath, query: RailQuery) -> dict[str, Any] | tuple[dict[str, str], int]:
    """Nearest products by item vector; the product itself and its variants are left out."""
    svc = services()
    diversity = svc.searcher.profiles.get(None).spec.diversity
    try:
        return {"items": svc.recommender.similar(path.product_id, query.size, diversity)}
    except UnknownItems:
        return {"error": f"no product {path.product_id!r}"}, 404


@bp.get("/bought-together/<product_id>", responses={200: Rail, 404: Error})
def bought_together(path: ProductPath, query: RailQuery) -> dict[str, Any] | tuple[dict[str, str], int]:
    """Products carted or bought with this one (collaborative filtering); similar ones fill in."""
    try:
        return {"items": services().recommender.bought_together(path.product_id, query.size)}
    except UnknownItems:
        return {"error": f"no product {path.product_id!r}"}, 404
