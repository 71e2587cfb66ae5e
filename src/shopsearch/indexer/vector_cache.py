"""Content-hash cache of vectors: a reindex of an unchanged catalog encodes nothing.

Keyed by (vector space, sha256 of the text): the space names the model weights, max length and
quantisation, so changing any of them misses the cache instead of serving stale vectors.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class VectorCache:
    """A small SQLite table of float32 vectors; safe to share between runs, one writer at a time."""

    def __init__(self, path: Path, space: str, dimension: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.space, self.dimension = space, dimension
        self._db = sqlite3.connect(path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (space TEXT, key BLOB, vector BLOB, PRIMARY KEY (space, key))"
        )

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):  # SQLite caps bound parameters per statement
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE space = ? AND key IN ({marks})", [self.space, *chunk]
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        rows = [(self.space, key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()
