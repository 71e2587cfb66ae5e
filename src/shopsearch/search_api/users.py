"""Users and their behaviour: POST /events, PUT|GET /users/<id>/profile, DELETE /users/<id>."""

from __future__ import annotations

from contextlib import suppress

from flask import request
from pydantic import ValidationError

from shopsearch.events.model import Event
from shopsearch.search_api import access
from shopsearch.search_api.schemas import (
    Error,
    EventsAccepted,
    Forgotten,
    ProfileBody,
    ProfileSet,
    StoredProfile,
    UserPath,
    Users,
)
from shopsearch.search_api.services import services

bp = access.blueprint("users", __name__, "users")


@bp.put("/users/<user_id>/profile", responses={200: ProfileSet, 413: Error})
def set_profile(path: UserPath, body: ProfileBody):
    """p_u = the normalised, weighted mean of the listed products' vectors."""
    weights = body.weights()
    vector = services().users.set_from_items(path.user_id, weights)
    return {"user_id": path.user_id, "items": len(weights), "has_vector": vector is not None}


@bp.get("/users/<user_id>/profile", responses={200: StoredProfile, 404: Error})
def get_profile(path: UserPath):
    """The stored profile (without the vector itself)."""
    found = services().users.get(path.user_id)
    if found is None:
        return {"error": f"no profile for user {path.user_id!r}"}, 404
    return {k: v for k, v in found.items() if k not in ("vector", "acc")}


@bp.get("/users", responses={200: Users})
def list_users():
    """Up to 12 users that have a profile (for the demo page's user switcher)."""
    return {"users": services().users.first(12)}


@bp.post("/events", responses={200: EventsAccepted, 413: Error})
def post_events():
    """One event or a batch (up to 1,000): each is validated; bad ones are listed with their reason,
    the rest are stored durably and update the users' profile vectors."""
    svc = services()
    payload = request.get_json(silent=True)
    if payload is None:
        return {"error": "the body must be JSON: an event object or a list of events", "parameter": "body"}, 400
    for item in payload if isinstance(payload, list) else [payload]:
        with suppress(ValidationError):  # an invalid event is rejected by ingest, with its reason
            access.act_for(Event.model_validate(item).user_id)  # the user id exactly as it would be stored
    try:
        result = svc.events.ingest(payload, svc.searcher.profiles.get(None).spec.behaviour)
    except ValueError as exc:  # the payload as a whole (not a list/object, too many events)
        return {"error": str(exc), "parameter": "body"}, 400
    return result, 200


@bp.delete("/users/<user_id>", responses={200: Forgotten})
def forget_user(path: UserPath):
    """Forget a user: profile and events deleted, then checked gone."""
    return services().events.forget(path.user_id)
