"""Shopper vectors in OpenSearch: the vector p_u, the decayed sum behind it, event counts, purchases.

Two ways in: ``set_from_items`` (an explicit list of products) and ``apply_events`` (incremental,
one read-modify-write per user with optimistic concurrency). ``rebuild`` recomputes from events.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError, TransportError

from shopsearch.client import get_documents
from shopsearch.errors import UnknownItems
from shopsearch.events.model import Event
from shopsearch.indexer.mapping import load_mapping
from shopsearch.queries.shoppers import first_shoppers
from shopsearch.users.vectors import Behaviour, Touch, accumulate, direction, sequence, weighted_unit_mean
from shopsearch.vector_codec import pack, unpack

MAX_PURCHASED = 1000  # remembered purchases (for-you leaves them out)
MAX_FOLDED = 1000  # event ids a shopper vector remembers having folded in (a retry comes soon after the first try)
MAX_RECENT = 50  # newest carted or bought products, in time order: the sequence the fused rail reads
SEQUENCE_TYPES = ("cart", "purchase")
FORGOTTEN = "forgotten_at"
VECTOR_KEYS = {"vector", "ref_time", "event_counts"}  # a tombstone has none of them


class ShopperVectorStore:
    """Reads and writes the users index (created on first write from its mapping file)."""

    def __init__(
        self,
        client: OpenSearch,
        index: str,
        mapping_file: Path,
        products_alias: str,
        item_vector_copy_field: str,
        dimension: int,
    ) -> None:
        self.client, self.index, self.dimension = client, index, dimension
        self.products_alias, self.item_vector_field = products_alias, item_vector_copy_field
        self.mapping = load_mapping(mapping_file, required=("id",))
        self.mapping.check_dimension(dimension)

    def known_vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The catalog vectors of those products that exist (unknown ids are left out)."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        docs = get_documents(self.client, self.products_alias, unique, _source=[self.item_vector_field])
        return {
            d["_id"]: unpack(d["_source"][self.item_vector_field]).astype(np.float64) for d in docs if d.get("found")
        }

    def item_vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The catalog vectors of these products; unknown ids raise UnknownItems."""
        ids = list(dict.fromkeys(ids))
        found = self.known_vectors(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise UnknownItems(missing)
        return found

    def set_from_items(self, user_id: str, items: dict[str, float]) -> np.ndarray | None:
        """p_u from weighted products; store it (or clear it when the mean is empty) and return it. The rest of
        the shopper vector (decayed sum, counts, purchases) is kept, and events applied meanwhile are not lost."""
        vectors = self.item_vectors(items)
        vector = weighted_unit_mean(np.array([vectors[i] for i in items]), np.array(list(items.values())))
        if vector is None:
            self.delete(user_id)
            return None

        def explicit(current: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            doc = current[user_id]
            return {
                user_id: {**doc, "vector": vector, "event_counts": {**doc.get("event_counts", {}), "items": len(items)}}
            }

        self._update([user_id], explicit)
        return vector

    def apply_events(
        self, events_by_user: dict[str, list[Event]], vectors: dict[str, np.ndarray], behaviour: Behaviour
    ) -> dict[str, datetime]:
        """Fold new events into each shopper vector. Events from before a user was forgotten (a batch that was
        in flight during DELETE /users/<id>) are left out; returns those users and when they were forgotten,
        so the caller deletes what the batch stored."""
        late: dict[str, datetime] = {}

        def fold(current: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            docs = {}
            for user, doc in current.items():
                cutoff = _forgotten_at(doc)
                kept = [e for e in events_by_user[user] if cutoff is None or e.when() > cutoff]
                if cutoff is not None and len(kept) < len(events_by_user[user]):
                    late[user] = cutoff
                if kept:
                    docs[user] = _folded(doc, kept, vectors, behaviour)
            return docs

        self._update(list(events_by_user), fold)
        return late

    def rebuild(
        self,
        user_ids: list[str],
        events_of: Callable[[list[str]], tuple[dict[str, list[Event]], dict[str, np.ndarray]]],
        behaviour: Behaviour,
    ) -> int:
        """Recompute these shopper vectors from all of their events. Each round reads the shopper vectors' versions
        first and the events second, so an event stored meanwhile is either in the fold or makes the write
        conflict and the round repeat for that user: nothing applied concurrently is overwritten."""

        def from_events(current: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            events, vectors = events_of(list(current))
            return {
                u: _folded(_tombstone(current[u]), found, vectors, behaviour) for u, found in events.items() if found
            }

        self._update(user_ids, from_events)
        return len(user_ids)

    def first(self, count: int) -> list[str]:
        """The first `count` user ids that have a shopper vector, in id order (the demo page's shopper switcher)."""
        if not self.client.indices.exists(index=self.index):
            return []
        body = first_shoppers(count, FORGOTTEN)
        return [hit["_id"] for hit in self.client.search(index=self.index, body=body)["hits"]["hits"]]

    def get(self, user_id: str) -> dict[str, Any] | None:
        """The shopper vector (None for none, or a forgotten user's tombstone)."""
        found = self._read(user_id)
        return found[0] if found and VECTOR_KEYS & set(found[0]) else None

    def forget(self, user_id: str) -> bool:
        """Replace the shopper vector by a tombstone that keeps only when the user was forgotten (no personal data):
        a batch in flight meanwhile cannot bring the shopper vector back (apply_events leaves its events out)."""
        existed = self.get(user_id) is not None
        now = datetime.now(UTC).isoformat()
        self._update([user_id], lambda current: {user_id: {FORGOTTEN: now}})
        return existed

    def vector(self, user_id: str) -> np.ndarray | None:
        found = self.get(user_id)
        return np.asarray(found["vector"], dtype=np.float64) if found and found.get("vector") else None

    def delete(self, user_id: str, unless_changed_since: tuple[int, int] | None = None) -> bool:
        """Delete the shopper vector (only if its version is still the one given, when one is: 409s are left alone)."""
        if not self.client.indices.exists(index=self.index):
            return False
        version = (
            {}
            if unless_changed_since is None
            else {"if_seq_no": unless_changed_since[0], "if_primary_term": unless_changed_since[1]}
        )
        result = self.client.delete(index=self.index, id=user_id, ignore=[404, 409], refresh="true", **version)
        return bool(result.get("result") == "deleted")

    def versions(self, user_ids: list[str]) -> dict[str, tuple[int, int]]:
        """The current version (seq_no, primary term) of each of these shopper vectors that exists."""
        return {user: version for user, (_, version) in self._read_many(user_ids).items()}

    def _read(self, user_id: str) -> tuple[dict[str, Any], tuple[int, int]] | None:
        return self._read_many([user_id]).get(user_id)

    def _read_many(self, user_ids: list[str]) -> dict[str, tuple[dict[str, Any], tuple[int, int]]]:
        if not user_ids:
            return {}
        try:  # no existence check first: it was a round trip on every personalised request
            docs = self.client.mget(index=self.index, body={"ids": user_ids})["docs"]
        except NotFoundError:  # no shopper vector written yet
            return {}
        return {d["_id"]: (d["_source"], (d["_seq_no"], d["_primary_term"])) for d in docs if d.get("found")}

    def _update(
        self,
        user_ids: list[str],
        change: Callable[[dict[str, dict[str, Any]]], dict[str, dict[str, Any]]],
        attempts: int = 20,
    ) -> None:
        """Read-modify-write with optimistic concurrency, one read and one bulk write per round. `change` gets
        the pending users' current shopper vectors ({} for a new user) and returns the new ones. A shopper vector read is
        replaced only if unchanged since, a new one created only if still absent (concurrent first batches
        of one user would otherwise overwrite each other); the users that lost a race go round again."""
        pending = list(dict.fromkeys(user_ids))
        for attempt in range(attempts):
            if attempt:  # writers racing for one shopper vector: spread them out (jittered, growing to ~0.3 s)
                time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 5)))
            current = self._read_many(pending)
            docs = change({u: current[u][0] if u in current else {} for u in pending})
            pending = self._write_many(docs, {u: version for u, (_, version) in current.items()})
            if not pending:
                return
        raise ConflictError(409, "version_conflict", f"shopper vectors kept changing: {sorted(pending)[:5]}")

    def _write_many(self, docs: dict[str, dict[str, Any]], versions: dict[str, tuple[int, int]]) -> list[str]:
        """Bulk-write shopper vectors: `index` conditional on the version read, or `create` where there was none;
        return the users whose write lost a race. refresh=true: the very next search sees the new vectors."""
        if not docs:
            return []
        self._ensure_index()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        lines: list[dict[str, Any]] = []
        for user_id, doc in docs.items():
            meta: dict[str, Any] = {"_index": self.index, "_id": user_id}
            if user_id in versions:
                meta.update(if_seq_no=versions[user_id][0], if_primary_term=versions[user_id][1])
            lines += [{"index" if user_id in versions else "create": meta}, {**doc, "id": user_id, "updated_at": now}]
        items = [next(iter(item.values())) for item in self.client.bulk(body=lines, refresh="true")["items"]]
        failed = [i for i in items if i["status"] >= 300]
        conflicts = [f["_id"] for f in failed if f["status"] == 409]
        others = [f for f in failed if f["status"] != 409]
        if others:
            raise TransportError(others[0]["status"], "shopper vector write failed", others[0].get("error"))
        return conflicts

    def _ensure_index(self) -> None:
        if not self.client.indices.exists(index=self.index):
            body = self.mapping.index_body(self.dimension, {"kind": "user-profiles"})
            self.client.indices.create(index=self.index, body=body, ignore=400)  # 400: created meanwhile


def _folded(
    doc: dict[str, Any], events: list[Event], vectors: dict[str, np.ndarray], behaviour: Behaviour
) -> dict[str, Any]:
    """The shopper vector document after these events: sum, vector, counts and purchases updated. Events whose id the
    shopper vector already holds are left out (a retried batch), and the ids of those folded in are remembered."""
    held = doc.get("folded") or []
    seen = set(held)
    events = [e for e in events if e.event_id is None or e.event_id not in seen]
    if not events and doc:
        return doc
    touches = [Touch(e.when(), behaviour.weights[e.type], vectors[e.product_id]) for e in events]
    acc = unpack(doc["acc"]).astype(np.float64) if doc.get("acc") else None
    ref = datetime.fromisoformat(doc["ref_time"]) if doc.get("ref_time") else None
    acc, ref = accumulate(acc, ref, touches, behaviour.half_life_seconds)
    counts = Counter(doc.get("event_counts") or {})
    counts.update(e.type for e in events)
    bought = list(
        dict.fromkeys([*(doc.get("purchased") or []), *(e.product_id for e in events if e.type == "purchase")])
    )
    vector = direction(acc)
    return {
        "acc": pack(acc),
        "ref_time": ref.isoformat(),
        "vector": vector,
        "event_counts": dict(counts),
        "purchased": bought[-MAX_PURCHASED:],
        "recent": _recent(doc.get("recent") or [], events),
        "folded": [*held, *(e.event_id for e in events if e.event_id)][-MAX_FOLDED:],
        **_tombstone(doc),
    }


def _tombstone(doc: dict[str, Any]) -> dict[str, Any]:
    """What a shopper vector keeps of its user's having been forgotten (the watermark later events are held to)."""
    return {FORGOTTEN: doc[FORGOTTEN]} if FORGOTTEN in doc else {}


def _forgotten_at(doc: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(doc[FORGOTTEN]) if FORGOTTEN in doc else None


def _recent(kept: list[dict[str, str]], events: list[Event]) -> list[dict[str, str]]:
    """The newest carted or bought products in time order, each once (at its latest time)."""
    seen = [(item["id"], datetime.fromisoformat(item["ts"])) for item in kept]
    seen += [(e.product_id, e.ts) for e in events if e.type in SEQUENCE_TYPES and e.ts]
    return [{"id": key, "ts": ts.isoformat()} for key, ts in sequence(seen)[-MAX_RECENT:]]


def recent_ids(shopper: dict[str, Any]) -> list[str]:
    return [item["id"] for item in shopper.get("recent") or []]
