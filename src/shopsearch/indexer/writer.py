"""Rows in, documents with vectors out: validate, encode (with the cache), bulk-write.

Encoding runs in the calling thread and bulk writing in `bulk_threads` others, each fed by a short
queue, so neither waits for the other; torch and the HTTP client both release the GIL. The engine
indexes one bulk request of a shard on one thread: a single writer kept one core busy however many
the node had (benchmarks/write_path.py). A product always goes to the same writer, so when a catalog
lists an id twice the last row still wins.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np
from opensearchpy import OpenSearch, helpers
from tqdm import tqdm

from shopsearch.client import refusal
from shopsearch.config import IndexSettings
from shopsearch.encoder import TextEncoder
from shopsearch.indexer.catalog import RawRow
from shopsearch.indexer.deadletter import DeadLetter
from shopsearch.indexer.mapping import IndexMapping
from shopsearch.indexer.product import Product, RowError, parse_product
from shopsearch.indexer.vector_cache import VectorCache, text_key
from shopsearch.vector_codec import pack

log = logging.getLogger(__name__)
_DONE = None  # end-of-stream marker on the queue
_Actions = list[tuple[RawRow, dict[str, Any]]]  # one writer's share of a batch: the rows and their bulk actions


@dataclass
class WriteReport:
    """What happened to every row; rejected = invalid rows + documents the engine refused."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    encoded: int = 0
    cached: int = 0
    written: int = 0
    seconds: float = 0.0
    unique_ids: set[str] = field(default_factory=set, repr=False)
    failed_ids: set[str] = field(default_factory=set, repr=False)

    @property
    def expected_docs(self) -> int:
        """Distinct ids whose last write succeeded: what the index must hold after a full load."""
        return len(self.unique_ids - self.failed_ids)

    @property
    def docs_per_s(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        names = ("read", "accepted", "rejected", "duplicates", "encoded", "cached", "written")
        return {
            **{n: getattr(self, n) for n in names},
            "seconds": round(self.seconds, 2),
            "docs_per_s": round(self.docs_per_s, 1),
        }


def batched(items: Iterable[Any], size: int) -> Iterator[tuple[Any, ...]]:
    """itertools.batched, which Python 3.11 lacks."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def product_text(product: Product, fields: list[str], separator: str) -> str:
    """The text that is encoded: the configured fields, in order, skipping empty ones."""
    return text_from_source(product.document(), fields, separator)


def text_from_source(source: dict[str, Any], fields: list[str], separator: str) -> str:
    """The same text from an indexed document's _source (for re-encoding without the catalog file)."""
    values: dict[str, Any] = {name: source.get(name) for name in fields}
    if values.get("tags") is not None:
        values["tags"] = " ".join(values["tags"])
    return separator.join(str(values[name]) for name in fields if values[name])


def _by_writer(actions: _Actions, writers: int) -> list[_Actions]:
    """Split a batch among the writers by a stable hash of the id (one product, one writer, in order)."""
    parts: list[_Actions] = [[] for _ in range(writers)]
    for item in actions:
        parts[zlib.crc32(item[1]["_id"].encode()) % writers].append(item)
    return parts


class CatalogWriter:
    """Writes a stream of raw rows into one index (or alias); see ``write``."""

    def __init__(
        self,
        client: OpenSearch,
        encoder: TextEncoder,
        cache: VectorCache,
        settings: IndexSettings,
        mapping: IndexMapping,
        dead_letter: DeadLetter,
    ) -> None:
        self.client, self.encoder, self.cache = client, encoder, cache
        self.settings, self.mapping, self.dead = settings, mapping, dead_letter

    def write(self, rows: Iterable[RawRow], index: str, progress: bool | None = None) -> WriteReport:
        """Validate, encode and bulk-write every row; rejects go to the dead-letter file."""
        report, started = WriteReport(), time.monotonic()
        queues: list[queue.Queue[_Actions | None]] = [queue.Queue(maxsize=4) for _ in range(self.settings.bulk_threads)]
        failure: list[BaseException] = []
        bar = tqdm(desc=f"indexing into {index}", unit="doc", disable=None if progress is None else not progress)
        lock = threading.Lock()
        writers = [
            threading.Thread(target=self._bulk_worker, args=(pending, report, failure, bar, lock), daemon=True)
            for pending in queues
        ]
        for writer in writers:
            writer.start()
        try:
            for batch in batched(self._validated(rows, report), self.settings.encode_batch):
                if failure:
                    break
                for pending, part in zip(queues, _by_writer(self._with_vectors(batch, index, report), len(queues))):
                    if part:
                        pending.put(part)
        finally:
            for pending, writer in zip(queues, writers):
                pending.put(_DONE)
                writer.join()
            bar.close()
            report.seconds = time.monotonic() - started
        if failure:
            raise failure[0]
        return report

    def _validated(self, rows: Iterable[RawRow], report: WriteReport) -> Iterator[tuple[RawRow, Product]]:
        for raw in rows:
            report.read += 1
            if raw.error is not None:
                self._reject(report, raw, raw.error)
                continue
            try:
                product = parse_product(raw.record or {})
            except RowError as exc:
                self._reject(report, raw, str(exc), exc.fields)
                continue
            report.duplicates += product.id in report.unique_ids  # last one wins in the index
            report.unique_ids.add(product.id)
            report.accepted += 1
            yield raw, product

    def _reject(self, report: WriteReport, raw: RawRow, reason: str, fields: dict[str, str] | None = None) -> None:
        report.rejected += 1
        self.dead.reject(source=raw.source, row=raw.row, reason=reason, fields=fields, record=raw.record, raw=raw.raw)

    def _with_vectors(
        self, batch: tuple[tuple[RawRow, Product], ...], index: str, report: WriteReport
    ) -> list[tuple[RawRow, dict[str, Any]]]:
        """Look every text up in the cache, encode only the misses, and build bulk actions."""
        docs = [product.document() for _, product in batch]  # once per product: text and source share it
        texts = [text_from_source(doc, self.settings.text_fields, self.settings.text_separator) for doc in docs]
        keys = [text_key(text) for text in texts]
        vectors = self.cache.get_many(keys)
        missing = {key: text for key, text in zip(keys, texts) if key not in vectors}
        if missing:
            fresh = dict(zip(missing, self.encoder.encode_documents(list(missing.values()))))
            self.cache.put_many(fresh)
            vectors.update(fresh)
        report.encoded += len(missing)
        report.cached += len(batch) - len(missing)
        return [
            (raw, {"_index": index, "_id": product.id, "_source": self._source(doc, vectors[key])})
            for (raw, product), doc, key in zip(batch, docs, keys)
        ]

    def _source(self, doc: dict[str, Any], vector: np.ndarray) -> dict[str, Any]:
        source = {**doc, self.mapping.vector_field: vector}
        if self.mapping.vector_copy_field:
            source[self.mapping.vector_copy_field] = pack(vector)
        return source

    def _bulk_worker(
        self,
        pending: queue.Queue[_Actions | None],
        report: WriteReport,
        failure: list[BaseException],
        bar: tqdm[Any],
        lock: threading.Lock,
    ) -> None:
        """Stream actions to OpenSearch; a refused document is dead-lettered, a lost cluster stops the run."""
        origins: dict[str, RawRow] = {}

        def actions() -> Iterator[dict[str, Any]]:
            while (batch := pending.get()) is not _DONE:
                for raw, action in batch:
                    origins[action["_id"]] = raw
                    yield action

        try:
            results = helpers.streaming_bulk(
                self.client,
                actions(),
                chunk_size=self.settings.bulk_docs,
                max_chunk_bytes=self.settings.bulk_bytes,
                raise_on_error=False,
                max_retries=5,
                initial_backoff=1,
                max_backoff=30,
            )
            for ok, item in results:
                with lock:
                    self._record(ok, item["index"], origins, report)
                bar.update(1)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)
            while pending.get() is not _DONE:  # let the producer finish without blocking
                pass

    def _record(self, ok: bool, item: dict[str, Any], origins: dict[str, RawRow], report: WriteReport) -> None:
        doc_id = item["_id"]
        raw = origins.pop(doc_id, None)
        if ok:
            report.written += 1
            report.failed_ids.discard(doc_id)
            return
        report.failed_ids.add(doc_id)
        report.rejected += 1
        reason = f"OpenSearch refused the document ({item.get('status')}): {refusal(item.get('error'))}"
        self.dead.reject(
            source=raw.source if raw else "bulk",
            row=raw.row if raw else None,
            reason=reason,
            record=raw.record if raw else None,
            doc_id=doc_id,
        )
