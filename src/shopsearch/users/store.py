"""User profile vectors in OpenSearch: p_u = normalised weighted mean of the user's item vectors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from shopsearch.errors import UnknownItems
from shopsearch.indexer.mapping import load_mapping
from shopsearch.relevance.scoring import weighted_unit_mean
from shopsearch.vector_codec import unpack


class UserProfileStore:
    """Reads and writes the users index (created on first write from its mapping file)."""

    def __init__(self, client: OpenSearch, index: str, mapping_file: Path, products_alias: str,
                 item_vector_copy_field: str, dimension: int) -> None:
        self.client, self.index, self.dimension = client, index, dimension
        self.products_alias, self.item_vector_field = products_alias, item_vector_copy_field
        self.mapping = load_mapping(mapping_file, required=("id",))
        self.mapping.check_dimension(dimension)

    def item_vectors(self, ids: list[str]) -> np.ndarray:
        """The catalog vectors of these products, in order; unknown ids raise UnknownItems."""
        docs = self.client.mget(index=self.products_alias, body={"ids": ids}, _source=[self.item_vector_field])["docs"]
        missing = [d["_id"] for d in docs if not d.get("found")]
        if missing:
            raise UnknownItems(missing)
        return np.array([unpack(d["_source"][self.item_vector_field]) for d in docs], dtype=np.float64)

    def set_from_items(self, user_id: str, items: dict[str, float]) -> np.ndarray | None:
        """p_u from weighted products; store it (or clear it when the mean is empty) and return it."""
        vector = weighted_unit_mean(self.item_vectors(list(items)), np.array(list(items.values())))
        if vector is None:
            self.delete(user_id)
        else:
            self.put(user_id, vector, {"items": len(items)})
        return vector

    def put(self, user_id: str, vector: np.ndarray, counts: dict[str, int]) -> None:
        self._ensure_index()
        doc = {"id": user_id, "vector": vector, "event_counts": counts,
               "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
        self.client.index(index=self.index, id=user_id, body=doc, refresh="wait_for")

    def get(self, user_id: str) -> dict[str, Any] | None:
        found = self.client.get(index=self.index, id=user_id, ignore=404)
        return found.get("_source") if found.get("found") else None

    def delete(self, user_id: str) -> None:
        self.client.delete(index=self.index, id=user_id, ignore=404, refresh="wait_for")

    def _ensure_index(self) -> None:
        if not self.client.indices.exists(index=self.index):
            body = self.mapping.index_body(self.dimension, {"kind": "user-profiles"})
            self.client.indices.create(index=self.index, body=body, ignore=400)  # 400: created meanwhile
