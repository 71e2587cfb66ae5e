"""The search log: one small document per search served (query, result count, the ids shown, the
experiment arm), in its own data stream beside the events, for analytics and experiments.

Searches are logged from a buffer that a background thread writes once a second in one bulk
request, so a search never waits for its log line. What the buffer holds when a worker dies (at
most a second of searches) is lost: it is telemetry the API never acknowledged to anyone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import OpenSearchException

from shopsearch.events.store import install_template, read_template
from shopsearch.queries.logs import popular_queries
from shopsearch.text import normalize_query

log = logging.getLogger(__name__)
MAX_BUFFER = 50_000  # lines held while the engine is away; past it, lines are dropped
CHUNK = 2_000  # lines per bulk request
POPULAR_TTL_S = 30.0


class SearchLog:
    def __init__(self, client: OpenSearch, stream: str, template_file: Path, every_s: float = 1.0) -> None:
        self.client, self.stream, self.every_s = client, stream, every_s
        self.template = read_template(template_file)
        self._buffer: deque[dict[str, Any]] = deque(maxlen=MAX_BUFFER)
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._ready = False
        self._popular: tuple[float, list[str]] = (-float("inf"), [])

    def record(
        self,
        user_id: str | None,
        query: str,
        first: int,
        result: dict[str, Any],
        arm: str | None = None,
        teams: list[str] | None = None,
    ) -> None:
        """Buffer one search served: `first` is the position of the first hit shown (1 on the first page); under
        an experiment, `arm` is its name and `teams` the arm that placed each hit shown."""
        line = {
            "@timestamp": datetime.now(UTC).isoformat(),
            "user_id": user_id,
            "query": normalize_query(query),
            "profile": result.get("profile"),
            "results": result.get("total", 0),
            "first": first,
            "shown": [hit["id"] for hit in result.get("hits", [])],
            "arm": arm,
            "teams": teams,
        }
        self._buffer.append({k: v for k, v in line.items() if v is not None})  # a deque append: thread-safe
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_forever, name="search-log", daemon=True)
                    self._writer.start()

    def flush(self) -> int:
        """Write what is buffered now, in chunks, never holding up a search; returns how many lines were
        written. A chunk the engine did not take goes back to the buffer for the next try."""
        written = 0
        while lines := self._take(CHUNK):
            try:
                written += self.write(lines)
            except OpenSearchException as exc:
                log.warning("search log: %d lines not written yet (%s)", len(self._buffer) + len(lines), exc)
                self._buffer.extendleft(reversed(lines))
                break
        return written

    def _take(self, count: int) -> list[dict[str, Any]]:
        """Up to `count` lines off the buffer (another flush may be taking lines at the same time)."""
        lines: list[dict[str, Any]] = []
        while len(lines) < count:
            try:
                lines.append(self._buffer.popleft())
            except IndexError:
                break
        return lines

    def write(self, lines: list[dict[str, Any]]) -> int:
        """Store log lines now, in one bulk request (the demo loads simulated ones this way)."""
        if not lines:
            return 0
        self._ensure()
        body = [part for line in lines for part in ({"create": {"_index": self.stream}}, line)]
        result = self.client.bulk(body=body)
        refused = sum("error" in item["create"] for item in result["items"]) if result.get("errors") else 0
        if refused:
            log.warning("search log: the engine refused %d of %d lines", refused, len(lines))
        return len(lines) - refused

    def popular(self, size: int = 5, since: str = "7d") -> list[str]:
        """The most searched queries that found something lately: what to offer after a search that found
        nothing and has no spelling to suggest (read at most every 30 s while there are some)."""
        at, queries = self._popular
        if queries and time.monotonic() - at < POPULAR_TTL_S:
            return queries
        if not self.client.indices.exists(index=self.stream):
            return []
        body = popular_queries(since, size)
        buckets = self.client.search(index=self.stream, body=body)["aggregations"]["queries"]["buckets"]
        self._popular = (time.monotonic(), [bucket["key"] for bucket in buckets])
        return self._popular[1]

    def total(self) -> int:
        if not self.client.indices.exists(index=self.stream):
            return 0
        self.client.indices.refresh(index=self.stream)
        return int(self.client.count(index=self.stream)["count"])

    def _ensure(self) -> None:
        if not self._ready:
            install_template(self.client, self.stream, self.template)
            self._ready = True

    def _write_forever(self) -> None:
        while True:
            time.sleep(self.every_s)
            self.flush()
