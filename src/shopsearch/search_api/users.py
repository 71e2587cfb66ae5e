"""Shoppers: PUT|GET /users/<id>/vector (the shopper vector), GET /users, DELETE /users/<id>.

/users/<id>/profile is the vector's path in 0.1 ("profile" now means only a relevance profile): it
answers as before, marked deprecated, for one release."""

from __future__ import annotations

from typing import Any

from shopsearch.search_api import access
from shopsearch.search_api.schemas import (
    Error,
    Forgotten,
    ShopperVector,
    UserPath,
    Users,
    VectorBody,
    VectorSet,
)
from shopsearch.search_api.services import services

bp = access.blueprint("users", __name__, "users")


@bp.put("/users/<user_id>/vector", responses={200: VectorSet, 413: Error})
@bp.put("/users/<user_id>/profile", responses={200: VectorSet, 413: Error}, deprecated=True)
def set_vector(path: UserPath, body: VectorBody) -> dict[str, Any]:
    """Set the shopper vector: p_u = the normalised, weighted mean of the listed products' vectors."""
    weights = body.weights()
    vector = services().users.set_from_items(path.user_id, weights)
    return {"user_id": path.user_id, "items": len(weights), "has_vector": vector is not None}


@bp.get("/users/<user_id>/vector", responses={200: ShopperVector, 404: Error})
@bp.get("/users/<user_id>/profile", responses={200: ShopperVector, 404: Error}, deprecated=True)
def get_vector(path: UserPath) -> dict[str, Any] | tuple[dict[str, str], int]:
    """What the shopper vector was built from (without the vector itself)."""
    found = services().users.get(path.user_id)
    if found is None:
        return {"error": f"no shopper vector for user {path.user_id!r}"}, 404
    return {k: v for k, v in found.items() if k not in ("vector", "acc")}


@bp.get("/users", responses={200: Users})
def list_users() -> dict[str, list[str]]:
    """Up to 12 users that have a shopper vector (for the demo page's user switcher)."""
    return {"users": services().users.first(12)}


@bp.delete("/users/<user_id>", responses={200: Forgotten})
def forget_user(path: UserPath) -> dict[str, Any]:
    """Forget a user: shopper vector and events deleted, then checked gone."""
    return services().events.forget(path.user_id)
