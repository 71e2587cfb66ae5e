"""The trained recommendation model in OpenSearch, and the online `fusion.Sources` that read it.

`recs train` writes a new index (one document per product bought in training: neighbours, ALS
factor as a `knn_vector`, count) and swaps the alias atomically, so the rails never answer from a
half-written model; the blend weights and training facts ride in the index's `_meta`. Online, a
shopper's request costs three round trips after their shopper vector: the recent items' neighbours
with the pool by the shopper vector (msearch), then the factor pool with the description of every
other candidate (msearch), then the fields of the products shown (mget).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from opensearchpy import OpenSearch, helpers

from shopsearch.client import refusal
from shopsearch.errors import SearchUnavailable
from shopsearch.indexer.lifecycle import alias_targets, new_index_name, prune, swap_alias
from shopsearch.indexer.mapping import load_mapping
from shopsearch.queries import neighbours as R
from shopsearch.queries.products import cosine_of, cosine_scored, doc_values_only
from shopsearch.recommend.fusion import Described, FusionParams, Rows, Shopper
from shopsearch.recommend.offline import RecsModel
from shopsearch.vector_codec import pack, unpack

MODEL_FIELDS = ["id", "count", "factor_b64"]
TEXT_FIELD = "text"  # the model's copy of each product's text vector, for the shopper-vector cosine
META_TTL_SECONDS = 30.0  # how long a worker trusts the model facts it read before looking again
KEEP = 1  # older model indices kept beside the served one


class RecsStore:
    def __init__(self, client: OpenSearch, alias: str, mapping_file: Path) -> None:
        self.client, self.alias = client, alias
        self.mapping = load_mapping(mapping_file, required=("id", "count", "neighbours_b64"))
        self._meta: tuple[float, dict[str, Any] | None] = (0.0, None)

    def write(self, model: RecsModel, texts: np.ndarray, meta: dict[str, Any]) -> str:
        """A new index with the model (and the text vectors, rows aligned with model.ids), checked,
        then swapped in behind the alias; returns its name."""
        index = new_index_name(self.alias)
        body = self.mapping.index_body(int(model.factors.shape[1]), {**meta, "kind": "recs"})
        body["mappings"]["properties"][TEXT_FIELD]["dimension"] = int(texts.shape[1])  # the file says "auto"
        self.client.indices.create(index=index, body=body)
        try:
            helpers.bulk(self.client, self._documents(model, texts, index), chunk_size=500, max_retries=3)
            self.client.indices.refresh(index=index)
            # Written once, read often: one segment means one HNSW graph per k-NN search.
            self.client.indices.forcemerge(index=index, max_num_segments=1, request_timeout=600)
            expected = int(np.count_nonzero(model.counts))
            stored = self.client.count(index=index)["count"]
            if stored != expected:
                raise RuntimeError(f"{index} holds {stored} items, expected {expected}")
        except Exception:
            self.client.indices.delete(index=index, ignore_unavailable=True)
            raise
        swap_alias(self.client, self.alias, index)
        prune(self.client, self.alias, KEEP)
        self._meta = (0.0, None)
        return index

    def _documents(self, model: RecsModel, texts: np.ndarray, index: str) -> Iterator[dict[str, Any]]:
        for i in map(int, np.flatnonzero(model.counts)):
            factor = model.factors[i]
            neighbours = {"next": model.row(model.next_after, i), "together": model.row(model.together, i)}
            doc: dict[str, Any] = {
                "id": model.ids[i],
                "count": float(model.counts[i]),
                "factor_b64": pack(factor),
                "neighbours_b64": base64.b64encode(orjson.dumps(neighbours)).decode("ascii"),
            }
            if factor.any():  # a zero vector has no direction to search by
                doc["factor"] = factor
            if texts[i].any():
                doc[TEXT_FIELD] = texts[i]
            yield {"_index": index, "_id": model.ids[i], "_source": doc}

    def meta(self) -> dict[str, Any] | None:
        """The served model's _meta (weights, params, popular), None when no model is trained."""
        read_at, meta = self._meta
        if time.monotonic() - read_at < META_TTL_SECONDS:
            return meta
        targets = alias_targets(self.client, self.alias)
        meta = None
        if targets:
            mapping = self.client.indices.get_mapping(index=targets[0])
            meta = next(iter(mapping.values()))["mappings"].get("_meta")
        self._meta = (time.monotonic(), meta)
        return meta


def fusion_params(meta: dict[str, Any]) -> FusionParams:
    return FusionParams(**meta["fusion"])


class EngineSources:
    """`fusion.Sources` over the served model and the products index, for one request.

    Everything about a candidate is read from doc values (id, count, factor) or computed in the
    engine (the profile feature, the shopper vector's cosine, by the knn_score script over the
    model's copy of the text vector), so no candidate costs a stored-field load; only the products
    shown are fetched (`products`)."""

    def __init__(
        self, client: OpenSearch, recs_alias: str, products_alias: str, vector_field: str, meta: dict[str, Any]
    ) -> None:
        self.client, self.recs, self.products_alias, self.vector_field = (
            client,
            recs_alias,
            products_alias,
            vector_field,
        )
        self.meta = meta
        self.factors: dict[str, np.ndarray] = {}
        self.counts: dict[str, float] = {}
        self.cosines: dict[str, float] = {}
        self.asked: set[str] = set()  # candidates already looked up in the model

    def seeds(
        self, recent: Sequence[str], vector: np.ndarray | None, params: FusionParams, exclude: set[str]
    ) -> tuple[Rows, list[str]]:
        searches: dict[str, tuple[str, dict[str, Any]]] = {}
        if recent:
            body = doc_values_only(R.by_ids(list(recent)), [*MODEL_FIELDS, "neighbours_b64"])
            searches["recent"] = (self.recs, body)
        if vector is not None and params.profile_pool:
            knn = R.pool(vector.tolist(), params.profile_pool, self.vector_field, exclude)
            searches["profile"] = (self.products_alias, doc_values_only(knn, ["id"]))
        found = self._msearch(searches)
        rows: Rows = {}
        for hit in found.get("recent", []):
            key = self._models([hit], scored=False)[0]
            neighbours = orjson.loads(base64.b64decode(_padded(hit["fields"]["neighbours_b64"][0])))
            factor = self.factors[key]
            rows[key] = (neighbours["next"], neighbours["together"], factor if factor.any() else None)
        pool = []
        for hit in found.get("profile", []):
            pool.append(hit["fields"]["id"][0])
            self.cosines[pool[-1]] = cosine_of(hit["_score"])
        return rows, pool

    def expand(self, shopper: Shopper, known: Sequence[str], params: FusionParams, exclude: set[str]) -> list[str]:
        factor, vector = shopper
        searches = self._descriptions(known, vector)
        if factor is not None and params.factor_pool:
            knn = R.pool(factor.tolist(), params.factor_pool, "factor", exclude)
            searches["factor"] = (self.recs, doc_values_only(_profile_scored(knn, vector), MODEL_FIELDS))
        found = self._msearch(searches)
        self._models(found.get("model", []), scored=vector is not None)
        return self._models(found.get("factor", []), scored=vector is not None)

    def describe(self, keys: Sequence[str], vector: np.ndarray | None) -> Described:
        found = self._msearch(self._descriptions(keys, vector))
        self._models(found.get("model", []), scored=vector is not None)
        return Described(self.factors, self.cosines, self.counts)

    def popular(self, k: int) -> list[str]:
        return list(self.meta.get("popular", []))[:k]

    def max_count(self) -> float:
        return float(self.meta.get("max_count", 1.0))

    def products(self, keys: Sequence[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        """The fields of the products to show (a handful: stored fields are loaded only here);
        a product deleted since training is simply not found."""
        if not keys:
            return {}
        # A search, not an mget: mget's per-document realtime gets took 8 ms for 20 products, this 2.
        hits = self.client.search(index=self.products_alias, body=R.by_ids(list(keys), fields))
        return {hit["_id"]: hit["_source"] for hit in hits["hits"]["hits"]}

    def _descriptions(self, keys: Sequence[str], vector: np.ndarray | None) -> dict[str, tuple[str, dict[str, Any]]]:
        """The model look-up of candidates not asked yet (never-bought products have no document there:
        their shopper-vector cosine came with the profile pool, and they have no factor)."""
        need = [k for k in keys if k not in self.asked]
        self.asked.update(need)
        if not need:
            return {}
        return {"model": (self.recs, doc_values_only(_profile_scored(R.by_ids(need), vector), MODEL_FIELDS))}

    def _models(self, hits: list[dict[str, Any]], scored: bool) -> list[str]:
        keys = []
        for hit in hits:
            fields = hit["fields"]
            key = fields["id"][0]
            self.asked.add(key)
            self.factors[key] = unpack(_padded(fields["factor_b64"][0])).astype(np.float64)
            self.counts[key] = float(fields["count"][0])
            if scored:
                self.cosines[key] = cosine_of(hit["_score"])
            keys.append(key)
        return keys

    def _msearch(self, searches: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        if not searches:
            return {}
        lines: list[dict[str, Any]] = []
        for index, body in searches.values():
            lines += [{"index": index}, body]
        responses = self.client.msearch(body=lines)["responses"]
        for response in responses:
            if "error" in response:
                raise SearchUnavailable(f"recommendation search failed: {refusal(response['error'])}")
        return {name: response["hits"]["hits"] for name, response in zip(searches, responses)}


def _profile_scored(body: dict[str, Any], vector: np.ndarray | None) -> dict[str, Any]:
    """The body's hits scored by the profile feature: cos(shopper vector, the model's copy of their text vector)."""
    return cosine_scored(body, vector.tolist() if vector is not None else None, TEXT_FIELD)


def _padded(text: str) -> str:
    """Doc values give base64 without its padding."""
    return text + "=" * (-len(text) % 4)


def catalog_vectors(client: OpenSearch, alias: str, copy_field: str) -> tuple[list[str], np.ndarray]:
    """Every product id of the served catalog with its text vector (for training and offline pools)."""
    ids, rows = [], []
    for hit in helpers.scan(client, index=alias, query=R.every_vector(copy_field), size=2000):
        ids.append(hit["_id"])
        rows.append(unpack(hit["_source"][copy_field]))
    order = np.argsort(ids, kind="stable")
    return [ids[i] for i in order], (np.array(rows, dtype=np.float32)[order] if rows else np.zeros((0, 0)))
