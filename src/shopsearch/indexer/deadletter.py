"""The dead-letter file: every rejected row or document, as read, with the reason. Nothing is dropped."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any


class DeadLetter:
    """Append-only JSONL of rejects; the file is created on the first reject only. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._handle: IO[str] | None = None
        self._lock = threading.Lock()

    def reject(
        self,
        *,
        source: str,
        row: int | None,
        reason: str,
        fields: dict[str, str] | None = None,
        record: Any = None,
        raw: str | None = None,
        doc_id: str | None = None,
    ) -> None:
        entry = {
            "source": source,
            "row": row,
            "id": doc_id,
            "reason": reason,
            "fields": fields or {},
            "record": record,
            "raw": raw,
        }
        line = json.dumps({k: v for k, v in entry.items() if v not in (None, {})}, ensure_ascii=False, default=str)
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # backslashreplace: a stray surrogate from a bad CSV byte is written, not fatal.
                self._handle = self.path.open("a", encoding="utf-8", errors="backslashreplace")
            self._handle.write(line + "\n")
            self._handle.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def __enter__(self) -> DeadLetter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
