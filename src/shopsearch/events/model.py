"""One shopper event, validated; a batch is validated event by event (a bad one never sinks the rest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shopsearch.errors import error_key
from shopsearch.ids import DocId
from shopsearch.text import normalize_query

EventType = Literal["view", "click", "cart", "purchase"]
MAX_BATCH = 1000
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little between a shop's servers and ours


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="The sender's id for this event: a retried batch stores it once.",
    )
    user_id: DocId
    type: EventType
    product_id: DocId
    ts: datetime | None = Field(default=None, description="When it happened (default: when received).")
    query: str | None = Field(default=None, max_length=512)
    position: int | None = Field(default=None, ge=0, le=10_000)
    session_id: str | None = Field(default=None, max_length=256)

    @field_validator("query")
    @classmethod
    def _folded(cls, value: str | None) -> str | None:
        """Lower case, spaces folded: as the search log keeps queries, so clicks and searches meet."""
        return normalize_query(value) if value is not None else None

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value is not None and value > datetime.now(UTC) + FUTURE_SLACK:
            raise ValueError("is in the future")
        return value

    def stamped(self, now: datetime) -> Event:
        return self if self.ts else self.model_copy(update={"ts": now})

    def when(self) -> datetime:
        """When it happened, for an event that must have been stamped (parse_batch stamps every event it
        accepts, and every stored event has its time): a missing ts here is a bug, not an old event."""
        if self.ts is None:
            raise ValueError(f"event of {self.user_id} on {self.product_id} has no ts: stamp it first (Event.stamped)")
        return self.ts

    def document(self) -> dict[str, Any]:
        doc = self.model_dump(exclude_none=True, mode="json", exclude={"ts"})
        doc["@timestamp"] = self.ts.isoformat() if self.ts else None
        return doc


def parse_batch(payload: Any) -> tuple[list[tuple[int, Event]], list[dict[str, Any]]]:
    """(index, event) for the valid ones and {index, reason} for the others; raises ValueError for a bad payload."""
    items = payload if isinstance(payload, list) else [payload]
    if not isinstance(payload, list | dict):
        raise ValueError("the body must be an event object or a list of events")
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} events, got {len(items)}")
    now = datetime.now(UTC)
    valid, rejected = [], []
    for index, item in enumerate(items):
        try:
            valid.append((index, Event.model_validate(item).stamped(now)))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = error_key(err) or "event"
            rejected.append({"index": index, "field": field, "reason": f"{field}: {err['msg']}"})
    return valid, rejected
