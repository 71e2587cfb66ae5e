"""PUT /users/<id>/profile: set a user's profile vector from products (the events issue maintains it live)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from shopsearch.search_api.schemas import Error, ProfileBody, UserPath
from shopsearch.search_api.services import services

bp = APIBlueprint("users", __name__, abp_tags=[Tag(name="users")])


@bp.put("/users/<user_id>/profile", responses={400: Error, 503: Error})
def set_profile(path: UserPath, body: ProfileBody):
    """p_u = the normalised, weighted mean of the listed products' vectors."""
    weights = body.weights()
    vector = services().users.set_from_items(path.user_id, weights)
    return {"user_id": path.user_id, "items": len(weights), "has_vector": vector is not None}


@bp.get("/users/<user_id>/profile", responses={404: Error})
def get_profile(path: UserPath):
    """The stored profile (without the vector itself)."""
    svc = services()
    found = svc.users.get(path.user_id) if svc.client.indices.exists(index=svc.users.index) else None
    if found is None:
        return {"error": f"no profile for user {path.user_id!r}"}, 404
    return {k: v for k, v in found.items() if k != "vector"}
