"""Accept events: validate each, check the product exists, store durably, then update shopper vectors."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from opensearchpy.exceptions import OpenSearchException

from shopsearch.events.model import Event, parse_batch
from shopsearch.events.store import DUPLICATE, EventStore
from shopsearch.indexer.writer import batched
from shopsearch.users.store import ShopperVectorStore
from shopsearch.users.vectors import Behaviour

log = logging.getLogger(__name__)
REBUILD_CHUNK = 500


def by_user(events: Iterable[Event]) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.user_id].append(event)
    return dict(grouped)


class EventIngest:
    def __init__(self, store: EventStore, users: ShopperVectorStore) -> None:
        self.store, self.users = store, users

    def ingest(self, payload: Any, behaviour: Behaviour) -> dict[str, Any]:
        """Store what is valid; answer which events were accepted and why the others were not."""
        valid, rejected = parse_batch(payload)
        vectors = self.users.known_vectors(e.product_id for _, e in valid)
        known = []
        for index, event in valid:
            if event.product_id in vectors:
                known.append((index, event))
            else:
                rejected.append(
                    {
                        "index": index,
                        "field": "product_id",
                        "reason": f"product_id: unknown product {event.product_id!r}",
                    }
                )
        outcomes = self.store.append([event for _, event in known])
        stored, duplicates = [], []
        for (index, event), problem in zip(known, outcomes):
            if problem is None:
                stored.append((index, event))
            elif problem == DUPLICATE:  # stored by an earlier try: acknowledged again, counted once
                duplicates.append((index, event))
            else:
                rejected.append({"index": index, "field": "event", "reason": problem})
        # A duplicate goes to the shopper vector too: the earlier try may have stored it and died before folding it
        # in; the shopper vector remembers the event ids it holds, so nothing is folded twice.
        updated = self._update_vectors([event for _, event in stored + duplicates], vectors, behaviour)
        duplicate_indices = [index for index, _ in duplicates]
        return {
            "accepted": len(stored) + len(duplicate_indices),
            "accepted_indices": sorted([i for i, _ in stored] + duplicate_indices),
            "duplicates": duplicate_indices,
            "rejected": sorted(rejected, key=lambda r: r["index"]),
            "profiles_updated": updated,
        }

    def _update_vectors(self, events: list[Event], vectors: dict[str, np.ndarray], behaviour: Behaviour) -> bool:
        """Stored events are safe; a shopper vector that fails to update now is repaired by `shoppers rebuild`. Events
        of a user forgotten while this batch was in flight are deleted again: the forget wins."""
        try:
            late = self.users.apply_events(by_user(events), vectors, behaviour)
            for user_id, forgotten_at in late.items():
                self.store.delete(user_id, until=forgotten_at)
        except OpenSearchException as exc:
            log.error("events stored but shopper vectors not updated (run `shopsearch shoppers rebuild`): %s", exc)
            return False
        return True

    def rebuild_all(self, behaviour: Behaviour) -> int:
        """Recompute every shopper vector from the stored events, REBUILD_CHUNK users at a time (memory and
        bulk requests stay bounded however many users there are)."""
        return sum(
            self.users.rebuild(list(chunk), self.usable_events, behaviour)
            for chunk in batched(self.store.users(), REBUILD_CHUNK)
        )

    def prune(self, retention_days: int, behaviour: Behaviour) -> dict[str, int]:
        """Delete events older than the retention, then recompute the shopper vectors of the users who had any from
        what is left (a shopper vector keeps no trace of a deleted event); a user with nothing left loses the shopper vector."""
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        touched = list(self.store.users(until=cutoff))
        report = {"deleted_events": self.store.delete(until=cutoff), "profiles_rebuilt": 0, "profiles_deleted": 0}
        for chunk in batched(touched, REBUILD_CHUNK):
            versions = self.users.versions(list(chunk))  # before the events: a batch meanwhile keeps its shopper vector
            events, _ = self.usable_events(list(chunk))
            left = [user for user in chunk if events.get(user)]
            report["profiles_rebuilt"] += self.users.rebuild(left, self.usable_events, behaviour)
            report["profiles_deleted"] += sum(
                self.users.delete(user, versions[user]) for user in chunk if user not in left and user in versions
            )
        return report

    def usable_events(self, user_ids: list[str]) -> tuple[dict[str, list[Event]], dict[str, np.ndarray]]:
        """These users' stored events on products still in the catalog, and those products' vectors."""
        grouped = by_user(self.store.scan(user_ids=user_ids))
        vectors = self.users.known_vectors({e.product_id for events in grouped.values() for e in events})
        return {u: [e for e in events if e.product_id in vectors] for u, events in grouped.items()}, vectors

    def forget(self, user_id: str) -> dict[str, Any]:
        """Tombstone the shopper vector, delete their events, then check that nothing is left. The tombstone
        comes first, so a batch in flight either lands before the delete or is turned away by the tombstone."""
        profile_deleted = self.users.forget(user_id)
        deleted_events = self.store.delete(user_id)
        remaining = self.store.count(user_id) + (1 if self.users.get(user_id) else 0)
        return {
            "user_id": user_id,
            "deleted_events": deleted_events,
            "profile_deleted": profile_deleted,
            "verified_gone": remaining == 0,
        }
