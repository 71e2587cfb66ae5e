"""The indexer's operations, each safe against a live shop: build, reindex, upsert, delete, rollback."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import OpenSearchException

from shopsearch.config import Settings
from shopsearch.encoder import TextEncoder
from shopsearch.errors import ReindexError
from shopsearch.indexer import lifecycle, synonyms
from shopsearch.indexer.catalog import RawRow, read_catalog
from shopsearch.indexer.deadletter import DeadLetter
from shopsearch.indexer.mapping import IndexMapping, load_mapping
from shopsearch.indexer.vector_cache import VectorCache
from shopsearch.indexer.writer import CatalogWriter, WriteReport

log = logging.getLogger(__name__)


@dataclass
class ReindexReport:
    index: str
    write: WriteReport
    dead_letter: Path | None
    replaced: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    merging: str | None = None  # the engine's task merging the new index's segments, if one was started


class Indexer:
    """Owns the client, encoder, mapping and vector cache for one alias."""

    def __init__(
        self, settings: Settings, *, client: OpenSearch, encoder: TextEncoder, mapping: IndexMapping | None = None
    ) -> None:
        self.settings, self.alias = settings, settings.index.alias
        self.mapping = mapping or load_mapping(settings.index.mapping)  # wiring.indexer hands it over checked
        self.client, self.encoder = client, encoder
        self.mapping.check_dimension(self.encoder.dimension)
        self.cache = VectorCache(settings.index.vector_cache, self.encoder.space_id, self.encoder.dimension)

    def reindex(
        self,
        catalog: Path | None,
        rows: Iterable[RawRow] | None = None,
        fmt: str | None = None,
        keep_failed: bool = False,
        require_new: bool = False,
    ) -> ReindexReport:
        """Load a new index, check it, then move the alias; on any failure the old index keeps serving."""
        if require_new and lifecycle.alias_targets(self.client, self.alias):
            raise ReindexError(f"alias {self.alias!r} exists already; use `shopsearch index reindex`")
        source = str(catalog) if catalog else "stream"
        rows = rows if rows is not None else read_catalog(Path(str(catalog)), fmt)
        name = lifecycle.new_index_name(self.alias)
        self._create_index(name, source)
        with self._dead_letter(source) as dead:
            try:
                report = self._writer(dead).write(rows, name)
                self._finish_load(name, report)
                replaced = lifecycle.swap_alias(self.client, self.alias, name, lifecycle.loading_alias(self.alias))
            except BaseException:
                self._discard(name, keep_failed)
                raise
        pruned = lifecycle.prune(self.client, self.alias, self.settings.index.keep)
        return ReindexReport(name, report, dead.path if dead.count else None, replaced, pruned, self._merge(name))

    def _merge(self, name: str) -> str | None:
        """Start merging the new index's segments, in the engine and after it serves: a bulk load leaves
        several, and a k-NN search walks each one's graph (benchmarks/segments.py: Home Depot, 3 segments to
        1, the k-NN candidates' p50 from 7 ms to 3 ms in the engine). Returns the engine's task id."""
        if self.settings.index.merge_segments is None:
            return None
        try:  # the new index already serves: a refused merge costs speed, never the reindex
            started = self.client.indices.forcemerge(
                index=name, max_num_segments=self.settings.index.merge_segments, wait_for_completion=False
            )
        except OpenSearchException as exc:
            log.warning("%s serves unmerged: the engine refused the merge (%s)", name, exc)
            return None
        task: str | None = started.get("task")
        return task

    def upsert(self, catalog: Path, fmt: str | None = None) -> tuple[WriteReport, Path | None]:
        """Write rows into the index the alias serves (same validation and dead-letter rules)."""
        self._require_alias()
        self._refuse_while_loading("upsert")
        with self._dead_letter(str(catalog)) as dead:
            report = self._writer(dead).write(read_catalog(catalog, fmt), self.alias)
        self.client.indices.refresh(index=self.alias)
        return report, dead.path if dead.count else None

    def delete(self, ids: list[str]) -> dict[str, list[str]]:
        """Delete products by id from the served index; report which ids were not there."""
        self._require_alias()
        self._refuse_while_loading("delete")
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": doc_id} for doc_id in ids)
        outcome: dict[str, list[str]] = {"deleted": [], "not_found": []}
        for ok, item in helpers.streaming_bulk(self.client, actions, raise_on_error=False, max_retries=5):
            result = item["delete"]
            outcome["deleted" if ok else "not_found"].append(result["_id"])
        self.client.indices.refresh(index=self.alias)
        return outcome

    def rollback(self) -> tuple[str, str]:
        return lifecycle.rollback(self.client, self.alias)

    def close(self) -> None:
        self.cache.close()

    def _writer(self, dead: DeadLetter) -> CatalogWriter:
        return CatalogWriter(self.client, self.encoder, self.cache, self.settings.index, self.mapping, dead)

    def _dead_letter(self, source: str) -> DeadLetter:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return DeadLetter(self.settings.index.dead_letter_dir / f"{Path(source).stem}-{stamp}.jsonl")

    def _create_index(self, name: str, source: str) -> None:
        meta = {
            "model_id": self.encoder.model_id,
            "dimension": self.encoder.dimension,
            "source": source,
            "model_path": str(self.encoder.model_dir.resolve()),
            "model_runtime": self.encoder.runtime,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "text_fields": self.settings.index.text_fields,
        }
        body = {
            **self.mapping.index_body(self.encoder.dimension, meta),
            "aliases": {lifecycle.loading_alias(self.alias): {}},
        }
        synonyms.filled(body["settings"], synonyms.load_synonyms(self.settings.index.synonyms))
        # Load fast: no refreshes, no replicas; _finish_load restores both before the alias moves.
        body["settings"].setdefault("index", {}).update(
            {"refresh_interval": "-1", "number_of_replicas": 0, "auto_expand_replicas": "false"}
        )
        self.client.indices.create(index=name, body=body)

    def _finish_load(self, name: str, report: WriteReport) -> None:
        """Reject a load with too many rejects or a wrong doc count; restore refresh and replicas."""
        ratio = report.rejected / report.read if report.read else 1.0
        if not report.read or ratio > self.settings.index.max_rejected_ratio:
            raise ReindexError(
                f"{report.rejected} of {report.read} rows rejected (limit"
                f" {self.settings.index.max_rejected_ratio:.0%}); the alias was not moved"
            )
        file_index = self.mapping.spec.settings.get("index", {})
        self.client.indices.put_settings(
            index=name,
            body={
                "index": {"refresh_interval": file_index.get("refresh_interval", "1s"), **self._replicas(file_index)}
            },
        )
        self.client.indices.refresh(index=name)
        count = self.client.count(index=name)["count"]
        if count != report.expected_docs:
            raise ReindexError(f"{name} holds {count} documents but {report.expected_docs} were accepted")
        self.client.cluster.health(index=name, wait_for_status="yellow", request_timeout=60)

    def _replicas(self, file_index: dict[str, Any]) -> dict[str, Any]:
        """index.replicas when configured, else the mapping file's (auto_expand_replicas 0-1: a copy on another
        node as soon as there is one, so losing a node loses nothing)."""
        if self.settings.index.replicas is not None:
            return {"number_of_replicas": self.settings.index.replicas, "auto_expand_replicas": "false"}
        if "number_of_replicas" in file_index:
            return {"number_of_replicas": file_index["number_of_replicas"], "auto_expand_replicas": "false"}
        return {"auto_expand_replicas": file_index.get("auto_expand_replicas", "0-1")}

    def _discard(self, name: str, keep_failed: bool) -> None:
        if name in lifecycle.alias_targets(self.client, self.alias):  # the swap went through: it serves now
            log.warning("reindex interrupted after the alias moved to %s; keeping it", name)
            return
        if keep_failed:
            log.warning("reindex failed; kept %s for inspection (--keep-failed)", name)
            self.client.indices.delete_alias(index=name, name=lifecycle.loading_alias(self.alias), ignore=404)
            return
        log.warning("reindex failed; deleting the half-built %s, the alias is unchanged", name)
        try:
            self.client.indices.delete(index=name, ignore_unavailable=True)
        except OpenSearchException as exc:  # the cluster may be what failed; never mask the first error
            log.error("could not delete %s: %s", name, exc)

    def _refuse_while_loading(self, what: str) -> None:
        """A write to the served index during a reindex would vanish at the alias swap: refuse it, saying why."""
        loading = lifecycle.alias_targets(self.client, lifecycle.loading_alias(self.alias))
        if loading:
            raise ReindexError(
                f"a reindex is loading {loading[0]}; {what} after it finishes (its rows would be lost"
                f" at the alias swap), or delete {loading[0]} if that reindex died"
            )

    def _require_alias(self) -> None:
        if not lifecycle.alias_targets(self.client, self.alias):
            raise ReindexError(f"alias {self.alias!r} does not exist; run `shopsearch index build` first")
