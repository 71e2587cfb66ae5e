"""The events data stream: appended durably (a bulk `create` is acknowledged after the translog write),
read back for rebuilds and collaborative filtering, deleted per user on request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from opensearchpy import OpenSearch, helpers

from shopsearch.client import refusal
from shopsearch.events.model import Event
from shopsearch.queries import logs as queries


class EventStore:
    def __init__(self, client: OpenSearch, stream: str, template_file: Path) -> None:
        self.client, self.stream = client, stream
        self.template = read_template(template_file)
        self._ready = False

    def ensure(self) -> None:
        """Install the index template (once per process); the stream itself appears on first write."""
        if self._ready:
            return
        install_template(self.client, self.stream, self.template)
        self._ready = True

    def append(self, events: list[Event]) -> list[str | None]:
        """Write the events; return None per stored event, DUPLICATE for an event_id already stored, else
        the engine's reason. An event_id becomes the document id, so `create` refuses it a second time
        (within the stream's write index: the stream is not rolled over by shopsearch)."""
        if not events:
            return []
        self.ensure()
        lines: list[dict[str, Any]] = []
        for event in events:
            action = {
                "_index": self.stream,
                **({"_id": document_id(event.user_id, event.event_id)} if event.event_id else {}),
            }
            lines += [{"create": action}, event.document()]
        items = self.client.bulk(body=lines)["items"]
        return [_outcome(item["create"]) for item in items]

    def scan(self, user_ids: list[str] | None = None, types: tuple[str, ...] | None = None) -> Iterator[Event]:
        """Every stored event (of these users, of some types), as Event objects, in no particular order."""
        if not self.client.indices.exists(index=self.stream):
            return
        self.client.indices.refresh(index=self.stream)  # include what was written a moment ago
        query = queries.events_of(user_ids, types)
        for hit in helpers.scan(self.client, index=self.stream, query=query, size=2000):
            source = dict(hit["_source"])
            source["ts"] = source.pop("@timestamp")
            yield Event.model_validate(source)

    def users(self, until: datetime | None = None) -> Iterator[str]:
        """Every user id with stored events (up to `until`), in id order, paged by a composite aggregation."""
        if not self.client.indices.exists(index=self.stream):
            return
        self.client.indices.refresh(index=self.stream)
        after: dict[str, Any] | None = None
        while True:
            body = queries.user_page(until, after)
            agg = self.client.search(index=self.stream, body=body)["aggregations"]["users"]
            yield from (bucket["key"]["user"] for bucket in agg["buckets"])
            after = agg.get("after_key")
            if not agg["buckets"] or after is None:
                return

    def total(self) -> int:
        if not self.client.indices.exists(index=self.stream):
            return 0
        return int(self.client.count(index=self.stream)["count"])

    def count(self, user_id: str) -> int:
        if not self.client.indices.exists(index=self.stream):
            return 0
        self.client.indices.refresh(index=self.stream)
        return int(self.client.count(index=self.stream, body=queries.selected(user_id))["count"])

    def delete(self, user_id: str | None = None, until: datetime | None = None) -> int:
        """Delete the events of one user (or of everyone) up to `until` (or all); return how many went."""
        if not self.client.indices.exists(index=self.stream):
            return 0
        self.client.indices.refresh(index=self.stream)  # events just written must be seen to be deleted
        result = self.client.delete_by_query(
            index=self.stream,
            body=queries.selected(user_id, until),
            refresh=True,
            conflicts="proceed",
            request_timeout=600,
        )
        return int(result.get("deleted", 0))


def read_template(template_file: Path) -> dict[str, Any]:
    """The settings and mappings of a data stream's template file (mappings/events.json, searches.json)."""
    return cast(dict[str, Any], json.loads(Path(template_file).read_text(encoding="utf-8"))["template"])


def install_template(client: OpenSearch, stream: str, template: dict[str, Any]) -> None:
    """The index template that makes `stream` a data stream (created on its first write) with `template`."""
    body = {"index_patterns": [stream], "data_stream": {}, "template": template, "priority": 200}
    client.indices.put_index_template(name=stream, body=body)


def document_id(user_id: str, event_id: str) -> str:
    """An event_id is the sender's, per user: one user's ids can neither collide with nor probe another's."""
    return hashlib.sha256(f"{user_id}\0{event_id}".encode()).hexdigest()


DUPLICATE = "duplicate"


def _outcome(item: dict[str, Any]) -> str | None:
    if 200 <= item["status"] < 300:
        return None
    if item["status"] == 409:
        return DUPLICATE
    return f"not stored ({item.get('status')}): {refusal(item.get('error'))}"
