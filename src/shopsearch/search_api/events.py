"""POST /events: what shoppers did (views, clicks, carts, purchases), stored durably; it moves their vectors."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import request
from pydantic import ValidationError

from shopsearch.events.model import Event
from shopsearch.search_api import access
from shopsearch.search_api.schemas import Error, EventsAccepted
from shopsearch.search_api.services import services

bp = access.blueprint("events", __name__, "events")


@bp.post("/events", responses={200: EventsAccepted, 413: Error})
def post_events() -> tuple[dict[str, Any], int]:
    """One event or a batch (up to 1,000): each is validated; bad ones are listed with their reason,
    the rest are stored durably and update the shoppers' vectors."""
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
