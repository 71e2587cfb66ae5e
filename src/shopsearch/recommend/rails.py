"""The rails a shop page shows, each item with the reason it is there."""

from __future__ import annotations

from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from shopsearch.client import get_document, get_documents
from shopsearch.errors import UnknownItems
from shopsearch.hits import ITEM_FIELDS, rail_item
from shopsearch.plugins.base import Candidates, Context
from shopsearch.queries import neighbours as R
from shopsearch.queries.products import filters, hide
from shopsearch.recommend.fusion import blend, fuse, reason
from shopsearch.recommend.store import EngineSources, RecsStore, fusion_params
from shopsearch.relevance.profile import RelevanceProfile
from shopsearch.relevance.scoring import cosine, mmr
from shopsearch.relevance.variants import group_of
from shopsearch.users.store import ShopperVectorStore, recent_ids
from shopsearch.vector_codec import unpack


class Recommender:
    def __init__(
        self,
        client: OpenSearch,
        alias: str,
        vector_field: str,
        copy_field: str,
        users: ShopperVectorStore,
        cf_index: str,
        recs: RecsStore,
    ) -> None:
        self.client, self.alias, self.users, self.cf_index, self.recs = client, alias, users, cf_index, recs
        self.vector_field, self.copy_field = vector_field, copy_field

    def for_you(self, user_id: str, size: int, category: str | None, profile: RelevanceProfile) -> list[dict[str, Any]]:
        """The fused rail when a model is trained (`shopsearch recs train`) and the shopper has a
        history; else k-NN on the shopper vector blended with business value (also for a category);
        else popular."""
        found = self.users.get(user_id)
        if not found or not found.get("vector"):
            return self.popular(size, category, profile)
        meta = self.recs.meta() if category is None else None
        if meta is not None and recent_ids(found):
            return self.fused(found, meta, size, profile)
        vector = np.asarray(found["vector"], dtype=np.float64)
        return self.for_vector(vector, found.get("purchased") or [], size, category, profile)

    def fused(
        self, found: dict[str, Any], meta: dict[str, Any], size: int, profile: RelevanceProfile
    ) -> list[dict[str, Any]]:
        """Candidates from the sequence tables, the item factors, the shopper vector and popular,
        ranked by the learned blend; diversity as the relevance profile says."""
        params = fusion_params(meta)
        recent = recent_ids(found)
        sources = EngineSources(self.client, self.recs.alias, self.alias, self.vector_field, meta)
        vector = np.asarray(found["vector"], dtype=np.float64)
        fused = fuse(sources, recent, vector, {*recent, *(found.get("purchased") or [])}, params)
        if not fused.keys:
            return self.for_vector(vector, found.get("purchased") or [], size, None, profile)
        score = blend(fused.features, params.weights)
        diverse = profile.spec.diversity > 0
        # Twice what is shown, in case some were deleted since training (three times for MMR to choose).
        best = list(np.lexsort((np.arange(len(score)), -score))[: size * (3 if diverse else 2)])
        because = {fused.because[fused.keys[i]] for i in best[:size] if fused.keys[i] in fused.because}
        fields = [*ITEM_FIELDS, self.copy_field] if diverse else ITEM_FIELDS
        products = sources.products([*(fused.keys[i] for i in best), *because], fields)
        best = [i for i in best if fused.keys[i] in products]
        texts = np.array([unpack(products[fused.keys[i]].pop(self.copy_field)) for i in best]) if diverse else None
        best_score = score[best]
        picked = (
            mmr(best_score, texts, profile.spec.diversity, size) if texts is not None else list(range(len(best)))[:size]
        )
        items = []
        for p in picked:
            key = fused.keys[best[p]]
            why = _why(reason(fused.features[best[p]], params.weights), fused.because.get(key), products)
            items.append(rail_item({"_id": key, "_source": products[key]}, float(best_score[p]), why))
        return items

    def for_vector(
        self, vector: np.ndarray, purchased: list[str], size: int, category: str | None, profile: RelevanceProfile
    ) -> list[dict[str, Any]]:
        """The for-you rail of any shopper vector (also used offline, on held-out purchases)."""
        hits = self._knn(vector, size * 3, [*filters(category=category), *hide(purchased)])
        if not hits:
            return self.popular(size, category, profile)
        candidates = _candidates(hits, self.copy_field)
        score = cosine(candidates.vectors, vector)
        business = profile.signal("business")
        values = business.values(candidates, Context(None, vector)) if business is not None else None
        if business is not None and values is not None:  # None: the signal does not apply (as in blend)
            score = score + business.weight * values
        picked = mmr(score, candidates.vectors, profile.spec.diversity, size)
        return [rail_item(hits[i], float(score[i]), "profile match") for i in picked]

    def popular(self, size: int, category: str | None, profile: RelevanceProfile) -> list[dict[str, Any]]:
        """Best by the business term (sales, price) in the category: the cold-start rail."""
        business = profile.signal("business")
        body = R.popular(filters(category=category), business.engine_script() if business else None, size)
        hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
        reason = f"popular in {category}" if category else "popular"
        return [rail_item(h, h["_score"], reason) for h in hits]

    def similar(self, product_id: str, size: int, diversity: float = 0.0) -> list[dict[str, Any]]:
        """Nearest products by item vector; the item itself and its variants (same group_id) left out."""
        item = self._product(product_id)
        vector = unpack(item["_source"][self.copy_field]).astype(np.float64)
        hits = self._knn(vector, size * 2 + 10, R.not_this_family(product_id, group_of(item["_source"])))
        if not hits:
            return []
        candidates = _candidates(hits, self.copy_field)
        score = cosine(candidates.vectors, vector)
        picked = mmr(score, candidates.vectors, diversity, size)
        return [rail_item(hits[i], float(score[i]), f"similar to {item['_source'].get('title')}") for i in picked]

    def bought_together(self, product_id: str, size: int) -> list[dict[str, Any]]:
        """Co-purchased products from `shopsearch cf build`; topped up with similar ones when data is thin."""
        item = self._product(product_id)
        title = item["_source"].get("title")
        neighbours = self._neighbours(product_id)[:size]
        items = []
        if neighbours:
            docs = get_documents(self.client, self.alias, [n["id"] for n in neighbours], _source=ITEM_FIELDS)
            items = [
                rail_item(d, n["score"], f"bought with {title}") for d, n in zip(docs, neighbours) if d.get("found")
            ]
        if len(items) < size:
            seen = {product_id, *(i["id"] for i in items)}
            items += [s for s in self.similar(product_id, size) if s["id"] not in seen][: size - len(items)]
        return items

    def _neighbours(self, product_id: str) -> list[dict[str, Any]]:
        if not self.client.indices.exists(index=self.cf_index):
            return []
        found = self.client.get(index=self.cf_index, id=product_id, ignore=404)
        return found["_source"]["neighbours"] if found.get("found") else []

    def _product(self, product_id: str) -> dict[str, Any]:
        found = get_document(self.client, self.alias, product_id, _source=[*ITEM_FIELDS, self.copy_field])
        if found is None:
            raise UnknownItems([product_id])
        return found

    def _knn(self, vector: np.ndarray, k: int, clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = R.nearest(vector.tolist(), k, self.vector_field, clauses, [*ITEM_FIELDS, self.copy_field])
        found: list[dict[str, Any]] = self.client.search(index=self.alias, body=body)["hits"]["hits"]
        return found


def _candidates(hits: list[dict[str, Any]], copy_field: str) -> Candidates:
    vectors = np.array([unpack(h["_source"].pop(copy_field)) for h in hits], dtype=np.float64)
    n = len(hits)
    return Candidates(
        [h["_id"] for h in hits],
        [h["_source"] for h in hits],
        vectors.reshape(n, -1),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n),
    )


def _why(feature: str, because: str | None, products: dict[str, dict[str, Any]]) -> str:
    title = ((products.get(because) if because is not None else None) or {}).get("title") or because
    return {
        "next": f"bought next after {title}",
        "together": f"bought with {title}",
        "factors": "shoppers with your history bought it",
        "profile": "profile match",
        "popular": "popular",
    }[feature]
