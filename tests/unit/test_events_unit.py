"""The event model without the engine."""

from __future__ import annotations

from shopsearch.events.model import Event


def test_event_queries_are_kept_as_the_search_log_keeps_them() -> None:
    event = Event.model_validate({"user_id": "u1", "type": "click", "product_id": "P1", "query": "  Chef   Knife "})
    assert event.query == "chef knife"
