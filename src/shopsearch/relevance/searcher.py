"""The search path shared by the API and offline evaluation: request -> queries -> OpenSearch -> blend -> page.

One ``msearch`` round trip fetches the BM25 candidates, the k-NN candidates (both with their item
vectors), the total and facets of the match set, and the shopper vector; the personal and
business terms are then scored over the candidates with numpy.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal, NamedTuple, cast, overload

import numpy as np
from opensearchpy import OpenSearch
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shopsearch import hits as H
from shopsearch.client import refusal
from shopsearch.encoder import TextEncoder
from shopsearch.errors import ConfigError, SearchUnavailable, VectorSpaceMismatch
from shopsearch.ids import DocId
from shopsearch.indexer.lifecycle import serving_models
from shopsearch.indexer.mapping import IndexMapping
from shopsearch.plugins.base import Candidates, Context
from shopsearch.queries import products as Q
from shopsearch.relevance import facets, rules, variants
from shopsearch.relevance.profile import ProfileSet, RelevanceProfile
from shopsearch.relevance.scoring import mmr
from shopsearch.text import normalize_query
from shopsearch.vector_codec import unpack

log = logging.getLogger(__name__)
MAX_WINDOW = 10_000
# Lucene refuses a query of more than 1,024 clauses; a term can cost several (fields, fuzzy variants,
# CJK characters each a term), so q is capped well below: no shopper types 33 distinct words.
MAX_QUERY_TERMS = 32
# Each character from U+3040 up (kana, CJK of every plane, Hangul, emoji) is a term of its own to the
# tokenizer; below that, runs of letters and digits are.
_TERM = re.compile(r"[^\s\u0000-\u303f]|[^\W_\u3040-\U0010ffff]+")


class SearchRequest(BaseModel):
    """The parameters of one search, validated (the API reports a bad one by name)."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=512, description="Query text; empty with filters browses.")
    user_id: DocId | None = None
    profile: str | None = Field(default=None, max_length=128, description="Relevance profile name.")
    category: str | None = Field(default=None, max_length=512, description="Category path prefix.")
    brand: str | None = Field(default=None, max_length=256)
    price_min: float | None = Field(default=None, ge=0)
    price_max: float | None = Field(default=None, ge=0)
    in_stock: bool | None = None
    sort: Literal["relevance", "price_asc", "price_desc", "sales", "newest", "rating"] = "relevance"
    page: int = Field(default=1, ge=1)
    size: int = Field(default=10, ge=1, le=100)
    explain: bool = False
    rules: bool = Field(default=True, description="false: leave out the query rules (as offline evaluation does).")
    collapse: bool = Field(default=True, description="false: each variant of a product family as its own result.")

    @field_validator("q")
    @classmethod
    def _few_terms(cls, value: str) -> str:
        terms = len(set(_TERM.findall(value.lower())))
        if terms > MAX_QUERY_TERMS:
            raise ValueError(
                f"at most {MAX_QUERY_TERMS} distinct words (a CJK character or emoji counts as one), got {terms}"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SearchRequest:
        if self.page * self.size > MAX_WINDOW:
            raise ValueError(f"page: page * size must stay within the first {MAX_WINDOW} results")
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError("price_min: must not exceed price_max")
        return self

    def filter_clauses(self) -> list[dict[str, Any]]:
        return Q.filters(
            category=self.category,
            brand=self.brand,
            price_min=self.price_min,
            price_max=self.price_max,
            in_stock=self.in_stock,
        )


class Plan(NamedTuple):
    """A search as every step reads it: the request, its profile, the normalised query and its vector."""

    request: SearchRequest
    profile: RelevanceProfile
    q: str
    vector: np.ndarray | None


class Searcher:
    """Runs searches for one products alias with one encoder and a set of relevance profiles."""

    def __init__(
        self,
        client: OpenSearch,
        encoder: TextEncoder,
        profiles: ProfileSet,
        alias: str,
        mapping: IndexMapping,
        users_index: str,
        query_cache_size: int = 4096,
        check_every: float = 30.0,
        load_model: Callable[[dict[str, Any]], TextEncoder] | None = None,
        rule_set: rules.RuleSet | None = None,
    ) -> None:
        if not mapping.vector_copy_field:
            raise ConfigError(f"{mapping.path}: the searcher needs a vector_copy_field to read item vectors")
        self.client, self.encoder, self.profiles = client, encoder, profiles
        self.alias, self.users_index, self.rules = alias, users_index, rule_set
        self.vector_field, self.copy_field = mapping.vector_field, mapping.vector_copy_field
        self.query_vector = lru_cache(maxsize=query_cache_size)(self._encode_query)
        self.check_every, self.load_model = check_every, load_model  # load_model: from an index's _meta
        self._space_checked_at = -math.inf
        self._mismatch: VectorSpaceMismatch | None = None  # the refusal of the last check, repeated until the next
        self._checking = threading.Lock()  # gthread workers (api.threads): one request loads a new model

    def _encode_query(self, normalized: str) -> np.ndarray:
        return cast(np.ndarray, self.encoder.encode_queries([normalized])[0])

    def _vector_for(self, q: str, profile: RelevanceProfile) -> np.ndarray | None:
        if not (q and profile.spec.candidates.knn):
            return None
        self.check_vector_space()
        return self.query_vector(q)

    def check_vector_space(self) -> None:
        """Never compare query vectors with item vectors of another model. After `index reindex --model DIR`
        the index's _meta names the new model: load it from the path recorded there and switch (the API
        follows a reindex without a restart), or refuse with the reason. Checked every `check_every` seconds."""
        with self._checking:
            now = time.monotonic()
            if now - self._space_checked_at < self.check_every:
                if self._mismatch is not None:  # refused a moment ago: say so again without loading anything
                    raise self._mismatch
                return
            others = {
                m: meta
                for m, meta in serving_models(self.client, self.alias).items()
                if _weights(m) != _weights(self.encoder.model_id)
            }
            self._space_checked_at, self._mismatch = now, None
            if others:
                try:
                    self._switch(others)
                except VectorSpaceMismatch as exc:
                    self._mismatch = exc
                    raise

    def _switch(self, served: dict[str, dict[str, Any]]) -> None:
        reason = "more than one model is served" if len(served) > 1 else "this process loads models only at start"
        if len(served) == 1 and self.load_model is not None:
            model_id, meta = next(iter(served.items()))
            try:
                encoder = self.load_model(meta)
            except Exception as exc:  # noqa: BLE001 (whatever a model directory does wrong, it is a 503 with the reason)
                reason = f"loading it from {meta.get('model_path')} failed: {type(exc).__name__}: {exc}"
            else:
                if encoder.dimension != self.encoder.dimension:  # shoppers' stored vectors have the old size
                    reason = (
                        f"it has {encoder.dimension} dimensions, not {self.encoder.dimension}: restart the API"
                        " after `shopsearch shoppers rebuild`"
                    )
                elif _weights(encoder.model_id) != _weights(model_id):
                    reason = f"{meta.get('model_path')} now holds {encoder.model_id}"
                else:
                    log.info("the index behind %r was built with %s: queries now use it", self.alias, model_id)
                    self.encoder = encoder
                    self.query_vector = lru_cache(maxsize=self.query_vector.cache_info().maxsize)(self._encode_query)
                    return
        raise VectorSpaceMismatch(
            f"the index behind {self.alias!r} holds vectors of {', '.join(sorted(served))} but queries are encoded"
            f" with {self.encoder.model_id} ({reason}): set model.path (SHOPSEARCH_MODEL_PATH) to that model, or"
            " reindex with this one"
        )

    def search(self, request: SearchRequest, correct: bool = True) -> dict[str, Any]:
        """One search; when nothing matches but the titles suggest a spelling ("cieling"), the search for
        that spelling, saying so (`corrected_to`)."""
        result = self._search(request)
        if correct and not result["total"] and result.get("suggestion") and "redirect" not in result:
            corrected = self.search(request.model_copy(update={"q": result["suggestion"]}), correct=False)
            return {
                **corrected,
                "query": request.q,
                "suggestion": result["suggestion"],
                "corrected_to": result["suggestion"],
            }
        return result

    def _search(self, request: SearchRequest) -> dict[str, Any]:
        profile = self.profiles.get(request.profile)  # KeyError: unknown profile
        q = normalize_query(request.q)
        vector = self._vector_for(q, profile)
        fired = self.rules.firing(q, request.category, request.brand) if self.rules and request.rules else []
        result = self._ordered(Plan(request, profile, q, vector), fired)
        if fired:
            result["rules"] = [rule.id for rule in fired]
            if target := rules.redirect(fired):
                result["redirect"] = target
        if request.explain:  # which model encoded the query (the index's, after a reindex with another)
            result["model"] = self.encoder.model_id if vector is not None else None
        return result

    def _ordered(self, plan: Plan, fired: list[rules.Rule]) -> dict[str, Any]:
        request, profile, q, vector = plan
        clauses = request.filter_clauses() + Q.hide(rules.hidden(fired))
        if q and request.sort == "relevance":
            return self._blended(plan, clauses, fired)
        # Browse and field sorts: OpenSearch orders and pages the whole match set.
        start = (request.page - 1) * request.size
        match = Q.match_query(q, _listed(vector), profile, clauses, self.vector_field)
        if not q:
            business = profile.signal("business")
            body = Q.browse_search(match, business.engine_script() if business else None, start, request.size)
            return self._ranked_by_engine(request, profile, body, "business", business.weight if business else 0)
        return self._ranked_by_engine(request, profile, Q.sorted_search(match, request.sort, start, request.size))

    def suggest(self, prefix: str, size: int) -> dict[str, Any]:
        """Autocomplete: matching products, and the brands and categories they fall in."""
        result = self.client.search(index=self.alias, body=Q.suggest_search(prefix, size))
        aggs = result.get("aggregations", {})
        return {
            "query": prefix,
            "products": [H.suggestion(h) for h in result["hits"]["hits"]],
            "brands": [b["key"] for b in aggs.get("brand", {}).get("buckets", [])],
            "categories": [b["key"] for b in aggs.get("category", {}).get("buckets", [])],
        }

    def candidates(self, request: SearchRequest, profile: RelevanceProfile | None = None) -> tuple[Candidates, Context]:
        """The candidates of a relevance-ordered search and the context they are scored in (for learning);
        `profile` (default: the request's) may be one that is not on disk."""
        profile = profile or self.profiles.get(request.profile)
        q = normalize_query(request.q)
        vector = self._vector_for(q, profile)
        candidates, context, _ = self._retrieve(Plan(request, profile, q, vector), request.filter_clauses())
        return candidates, context

    def features(self, request: SearchRequest) -> tuple[Candidates, dict[str, np.ndarray]]:
        """The candidates of a search and each signal's unweighted values (for learning the weights)."""
        candidates, context = self.candidates(request)
        return candidates, signal_values(self.profiles.get(request.profile), candidates, context)

    def _blended(self, plan: Plan, clauses: list[Q.Clause], fired: list[rules.Rule]) -> dict[str, Any]:
        request, profile, q, _ = plan
        candidates, context, (total, facet_counts) = self._retrieve(plan, clauses)
        scores, parts, order = _ranked(request, profile, candidates, context, fired)
        folded: dict[int, list[int]] = {}
        placed = rules.pins(fired, rules.hidden(fired))
        if request.collapse:  # a pinned variant stays a card of its own: the merchandiser chose it
            order, folded = variants.collapse(
                order,
                [variants.group_of(s) for s in candidates.sources],
                {i for i, doc_id in enumerate(candidates.ids) if doc_id in placed},
            )
        ranked, notes, outside, uncounted = self._merchandised(fired, placed, order, candidates, q, profile, clauses)
        start = (request.page - 1) * request.size
        page = ranked[start : start + request.size]
        if len(page) < request.size and profile.spec.candidates.bm25:  # the page reaches past the candidates
            seen = ranked + [candidates.ids[j] for members in folded.values() for j in members]
            beyond = self._beyond(seen, q, profile, clauses, max(start - len(ranked), 0), request.size - len(page))
            page, outside = page + list(beyond), {**outside, **beyond}
        at = {doc_id: i for i, doc_id in enumerate(candidates.ids)}
        hits = []
        for doc_id in page:
            i = at.get(doc_id)
            if i is None:  # pinned from outside the candidates, or past them: no blended score
                hits.append(H.hit(outside[doc_id], doc_id, None, {} if request.explain else None, notes.get(doc_id)))
                continue
            explain = {name: float(v[i]) for name, v in parts.items()} if request.explain else None
            hits.append(H.hit(candidates.sources[i], doc_id, scores[i], explain, notes.get(doc_id)))
            if i in folded:
                hits[-1]["variants"] = [H.variant(candidates.ids[j], candidates.sources[j]) for j in folded[i]]
        total -= sum(len(members) for members in folded.values())  # a family counts once, like its card
        result = _response(
            request, profile, total + uncounted, facet_counts, hits, personalized=context.user_vector is not None
        )
        if profile.spec.candidates.bm25 and not candidates.bm25_rank.any() and not request.filter_clauses():
            # no product has the query's words (and no filter of the shopper's is why)
            result["suggestion"] = self._did_you_mean(q)
        return result

    def _did_you_mean(self, q: str) -> str | None:
        found = self._msearch({"suggest": (self.alias, Q.did_you_mean(q))})["suggest"]
        options = found.get("suggest", {}).get("fix", [{}])[0].get("options", [])
        return options[0]["text"] if options else None

    def _merchandised(
        self,
        fired: list[rules.Rule],
        placed: dict[str, tuple[int, str]],
        order: list[int],
        candidates: Candidates,
        q: str,
        profile: RelevanceProfile,
        clauses: list[dict[str, Any]],
    ) -> tuple[list[str], dict[str, list[str]], dict[str, dict[str, Any]], int]:
        """The blended order after the bury and pin rules (`placed`: rules.pins): the ids, what the rules did
        to each (for explain), the pinned products from outside the candidates, and how many the total lacks."""
        order, buried = rules.bury(fired, order, candidates.ids, candidates.sources)
        notes = {candidates.ids[i]: [f"buried by rule {rule_id}"] for i, rule_id in buried.items()}
        outside, uncounted = self._pinned([d for d in placed if d not in candidates.ids], q, profile, clauses)
        placed = {d: where for d, where in placed.items() if d in outside or d in candidates.ids}
        notes.update({d: [f"pinned at {position + 1} by rule {rule_id}"] for d, (position, rule_id) in placed.items()})
        return rules.place([candidates.ids[i] for i in order], placed), notes, outside, uncounted

    def _beyond(
        self, seen: list[str], q: str, profile: RelevanceProfile, clauses: list[dict[str, Any]], skip: int, size: int
    ) -> dict[str, dict[str, Any]]:
        """The BM25 matches after the re-ranked ones, in BM25 order, as a page past them needs: `total`
        counts every match, so every page up to it is full."""
        body = Q.beyond_search(q, profile, clauses + Q.hide(seen), skip, size)
        hits = self._msearch({"beyond": (self.alias, body)})["beyond"]["hits"]["hits"]
        return {h["_id"]: h["_source"] for h in hits}

    def _pinned(
        self, ids: list[str], q: str, profile: RelevanceProfile, clauses: list[dict[str, Any]]
    ) -> tuple[dict[str, dict[str, Any]], int]:
        """Pinned products that are not candidates, if they pass the filters; and how many the total lacks
        (those that do not match the query's text)."""
        if not ids:
            return {}, 0
        found = self._msearch({"pinned": (self.alias, Q.pinned_search(ids, q, profile, clauses))})["pinned"]
        hits = found["hits"]["hits"]
        return (
            {h["_id"]: h["_source"] for h in hits},
            sum(Q.TEXT_MATCH not in h.get("matched_queries", []) for h in hits),
        )

    def _retrieve(self, plan: Plan, clauses: list[Q.Clause]) -> tuple[Candidates, Context, tuple[int, dict[str, Any]]]:
        """One msearch: the candidates, the context to score them in, and the total and facets."""
        request, profile, q, vector = plan
        searches = {}
        if profile.spec.candidates.bm25:
            searches["bm25"] = (self.alias, Q.bm25_search(q, profile, clauses, self.copy_field))
        if vector is not None:
            text = q if profile.spec.candidates.bm25 else ""
            searches["knn"] = (
                self.alias,
                Q.knn_search(_listed(vector), text, profile, clauses, self.vector_field, self.copy_field),
            )
        if request.user_id and profile.signal("personal"):
            searches["user"] = (self.users_index, Q.profile_lookup(request.user_id, "vector"))
        found = self._msearch(searches)
        bm25, knn = found.get("bm25", {}), found.get("knn", {})
        if not bm25.get("hits", {}).get("total", {}).get("value") and not request.filter_clauses():
            # no product has the query's words
            knn = _above_floor(knn, profile.spec.candidates.min_similarity)
        # Total and facets: every BM25 match (counted in the engine) plus the k-NN hits that are not one.
        knn_only = [
            h["_source"]
            for h in knn.get("hits", {}).get("hits", [])
            if Q.TEXT_MATCH not in h.get("matched_queries", [])
        ]
        total = bm25.get("hits", {}).get("total", {}).get("value", 0) + len(knn_only)
        facet_counts = facets.from_aggregations(bm25.get("aggregations", {}), knn_only)
        context = Context(vector, _user_vector(found.get("user")), profile.spec.normalization, profile.spec.rrf_k, q)
        return self._candidates(bm25, knn), context, (total, facet_counts)

    def _ranked_by_engine(
        self,
        request: SearchRequest,
        profile: RelevanceProfile,
        body: dict[str, Any],
        signal: str | None = None,
        weight: float = 0.0,
    ) -> dict[str, Any]:
        """Browse and field sorts: OpenSearch orders and pages; the score is the business term if any."""
        result = self._msearch({"page": (self.alias, body)})["page"]
        hits = []
        for h in result["hits"]["hits"]:
            score = weight * h["_score"] if signal and h.get("_score") is not None else None
            parts = {signal: score} if request.explain and signal and score is not None else None
            hits.append(H.hit(h["_source"], h["_id"], score, parts))
        facet_counts = facets.from_aggregations(result.get("aggregations", {}))
        return _response(request, profile, result["hits"]["total"]["value"], facet_counts, hits, personalized=False)

    def _msearch(self, searches: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
        """All searches in one round trip; a missing products alias is an outage, a missing user index is not."""
        lines: list[dict[str, Any]] = []
        for index, body in searches.values():
            lines += [{"index": index}, body]
        responses = self.client.msearch(body=lines)["responses"]
        found = {}
        for (name, (index, _)), response in zip(searches.items(), responses):
            if "error" in response:
                if index == self.users_index:
                    continue
                raise SearchUnavailable(f"search on {index!r} failed: {refusal(response['error'])}")
            found[name] = response
        return found

    def _candidates(self, bm25: dict[str, Any], knn: dict[str, Any]) -> Candidates:
        """The union of both hit lists, BM25 first, each document once, with its ranks in each list."""
        rows: dict[str, dict[str, Any]] = {}
        for source, result in (("bm25", bm25), ("knn", knn)):
            for rank, hit in enumerate(result.get("hits", {}).get("hits", []), start=1):
                row = rows.setdefault(
                    hit["_id"], {"source": hit["_source"], "bm25": 0.0, "bm25_rank": 0, "knn_rank": 0}
                )
                row[f"{source}_rank"] = rank
                if source == "bm25":
                    row["bm25"] = hit["_score"]
        ids = list(rows)
        packed = [rows[i]["source"].pop(self.copy_field, None) for i in ids]
        vectors = np.array([unpack(p) if p else np.zeros(self.encoder.dimension) for p in packed], dtype=np.float64)
        return Candidates(
            ids=ids,
            sources=[rows[i]["source"] for i in ids],
            vectors=vectors.reshape(len(ids), self.encoder.dimension),
            bm25=np.array([rows[i]["bm25"] for i in ids]),
            bm25_rank=np.array([rows[i]["bm25_rank"] for i in ids]),
            knn_rank=np.array([rows[i]["knn_rank"] for i in ids]),
        )


def _weights(model_id: str) -> str:
    """The content-hash part of a model id: the name part may differ between copies, the weights may not."""
    return model_id.rpartition("@")[2]


def _ranked(
    request: SearchRequest, profile: RelevanceProfile, candidates: Candidates, context: Context, fired: list[rules.Rule]
) -> tuple[np.ndarray, dict[str, np.ndarray], list[int]]:
    """The blended scores (with the rules' boosts), their parts, and the candidates' order by them."""
    scores, parts = blend(profile, candidates, context)
    if boosted := rules.boosts(fired, candidates.ids, candidates.sources):
        scores = scores + np.sum(list(boosted.values()), axis=0)
        parts.update(boosted)
    if request.explain:
        parts.update(contributions(profile, candidates, context))
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], candidates.ids[i]))
    if profile.reranker and context.query and candidates.ids:
        scores, order, parts["rerank"] = profile.reranker.rerank(scores, order, candidates, context.query)
    if profile.spec.diversity > 0:  # MMR over every candidate: collapse, rules and paging see the whole order
        return scores, parts, mmr(scores, candidates.vectors, profile.spec.diversity, len(scores))
    return scores, parts, order


def blend(
    profile: RelevanceProfile, candidates: Candidates, context: Context
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """score = Σ weight · value over the signals that apply; returns the scores and each weighted part."""
    parts: dict[str, np.ndarray] = {}
    for signal in profile.signals:
        values = signal.values(candidates, context) if candidates.ids else None
        if values is not None and signal.weight:
            parts[signal.name] = signal.weight * np.asarray(values, dtype=np.float64)
    scores = np.sum(list(parts.values()), axis=0) if parts else np.zeros(len(candidates.ids))
    return scores, parts


def signal_values(profile: RelevanceProfile, candidates: Candidates, context: Context) -> dict[str, np.ndarray]:
    """Each applicable signal's unweighted values over the candidates."""
    values = {s.name: s.values(candidates, context) for s in profile.signals} if candidates.ids else {}
    return {name: np.asarray(v, dtype=np.float64) for name, v in values.items() if v is not None}


def contributions(profile: RelevanceProfile, candidates: Candidates, context: Context) -> dict[str, np.ndarray]:
    """The named parts of the signals that can split their value (e.g. `ltr.coverage`), weighted like them."""
    found: dict[str, np.ndarray] = {}
    for signal in profile.signals:
        parts = signal.contributions(candidates, context) if signal.weight and candidates.ids else None
        found.update({f"{signal.name}.{name}": signal.weight * values for name, values in (parts or {}).items()})
    return found


def _above_floor(knn: dict[str, Any], floor: float | None) -> dict[str, Any]:
    """The k-NN response without the hits below the floor (cosine)."""
    if floor is None or not knn:
        return knn
    hits = [h for h in knn["hits"]["hits"] if Q.cosine_of(h["_score"]) >= floor]
    return {**knn, "hits": {**knn["hits"], "hits": hits}}


@overload
def _listed(vector: np.ndarray) -> list[float]: ...
@overload
def _listed(vector: None) -> None: ...
def _listed(vector: np.ndarray | None) -> list[float] | None:
    return None if vector is None else cast(list[float], vector.tolist())


def _user_vector(found: dict[str, Any] | None) -> np.ndarray | None:
    hits = (found or {}).get("hits", {}).get("hits", [])
    vector = hits[0]["_source"].get("vector") if hits else None
    return np.asarray(vector, dtype=np.float64) if vector else None


def _response(
    request: SearchRequest,
    profile: RelevanceProfile,
    total: int,
    facet_counts: dict[str, Any],
    hits: list[dict[str, Any]],
    personalized: bool,
) -> dict[str, Any]:
    return {
        "query": request.q,
        "profile": profile.name,
        "personalized": personalized,
        "total": total,
        "page": request.page,
        "size": request.size,
        "hits": hits,
        "facets": facet_counts,
    }
