"""Read a catalog file (JSONL, CSV, Parquet) as a stream of raw rows; an unreadable row is a row too."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopsearch.errors import CatalogError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class RawRow:
    """A row as read: ``record`` when it parsed, else ``error`` and the ``raw`` text."""

    source: str
    row: int  # 1-based line number (JSONL, CSV) or row index + 1 (Parquet)
    record: dict[str, Any] | None = None
    error: str | None = None
    raw: str | None = None


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt is not None:
        if fmt not in set(FORMATS.values()):
            raise CatalogError(f"--format must be one of jsonl, csv, parquet; got {fmt!r}")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise CatalogError(f"{path}: cannot tell the format from {path.suffix!r}; pass --format") from None


def read_catalog(path: Path, fmt: str | None = None) -> Iterator[RawRow]:
    """Check the file now, then stream every row in order (memory stays flat on any size)."""
    path = Path(path)
    kind = detect_format(path, fmt)
    if not path.is_file():
        raise CatalogError(f"catalog {path} does not exist")
    return {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[kind](path)


def _read_jsonl(path: Path) -> Iterator[RawRow]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield RawRow(
                    str(path),
                    number,
                    error=f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                    raw=raw.decode("utf-8", "backslashreplace").rstrip("\n"),
                )
                continue
            except json.JSONDecodeError as exc:
                yield RawRow(
                    str(path),
                    number,
                    error=f"invalid JSON: {exc.msg} at column {exc.colno}",
                    raw=raw.decode("utf-8").rstrip("\n"),
                )
                continue
            if isinstance(record, dict):
                yield RawRow(str(path), number, record=record)
            else:
                yield RawRow(
                    str(path),
                    number,
                    error=f"a row must be a JSON object, got {type(record).__name__}",
                    raw=raw.decode("utf-8").rstrip("\n"),
                )


def _read_csv(path: Path) -> Iterator[RawRow]:
    # surrogateescape keeps a bad byte from stopping the file; the row holding it is rejected.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            number = reader.line_num
            bad = [key for key, value in record.items() if isinstance(value, str) and _has_surrogates(value)]
            if None in record:
                yield RawRow(str(path), number, error="more cells than header columns", raw=_csv_text(record))
            elif bad:
                yield RawRow(str(path), number, error=f"{bad[0]}: not valid UTF-8", raw=_csv_text(record))
            else:
                yield RawRow(str(path), number, record=dict(record))


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _csv_text(record: dict[Any, Any]) -> str:
    text = json.dumps({str(k): v for k, v in record.items()}, ensure_ascii=False)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _read_parquet(path: Path) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            number += 1
            yield RawRow(str(path), number, record=record)
