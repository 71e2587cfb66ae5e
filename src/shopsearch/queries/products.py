"""The bodies of the search path: a relevance profile and a request in, OpenSearch request bodies out."""

from __future__ import annotations

from typing import Any, Protocol

from opensearchpy import A, Q, Search
from opensearchpy.helpers.query import Query

from shopsearch.hits import ITEM_FIELDS, RESULT_FIELDS, SUGGESTION_FIELDS

Body = dict[str, Any]  # a request body, as the client sends it
Clause = dict[str, Any]  # a query clause, as the client sends it

SORTS: dict[str, list[dict[str, Any]]] = {
    "price_asc": [{"price": "asc"}, {"id": "asc"}],
    "price_desc": [{"price": "desc"}, {"id": "asc"}],
    "sales": [{"sales": "desc"}, {"id": "asc"}],
    "newest": [{"created_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    "rating": [{"rating": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
}
PRICE_BUCKETS: list[tuple[float | None, float | None]] = [
    (None, 25),
    (25, 50),
    (50, 100),
    (100, 250),
    (250, 500),
    (500, None),
]
TEXT_MATCH = "text"  # the named clause that tells a k-NN hit it is also a BM25 match


class CandidateSizes(Protocol):
    @property
    def bm25(self) -> int: ...
    @property
    def knn(self) -> int: ...
    @property
    def ef_search(self) -> int | None: ...


class ProfileSpec(Protocol):
    @property
    def fields(self) -> dict[str, float]: ...
    @property
    def fuzzy(self) -> float: ...
    @property
    def candidates(self) -> CandidateSizes: ...


class Profile(Protocol):
    """What the bodies read of a relevance profile (relevance.profile.RelevanceProfile is one)."""

    @property
    def spec(self) -> ProfileSpec: ...
    @property
    def needs_vectors(self) -> bool: ...


def filters(
    *,
    category: str | None = None,
    brand: str | None = None,
    price_min: float | None = None,
    price_max: float | None = None,
    in_stock: bool | None = None,
) -> list[Clause]:
    """Non-scoring filter clauses; a category matches itself and everything below it."""
    clauses: list[Query] = []
    if category:
        clauses.append(Q("term", category_levels=category))
    if brand:
        clauses.append(Q("term", brand=brand))
    if price_min is not None or price_max is not None:
        bounds = {"gte": price_min, "lte": price_max}
        clauses.append(Q("range", price={k: v for k, v in bounds.items() if v is not None}))
    if in_stock is not None:
        clauses.append(Q("term", in_stock=in_stock))
    return [_dict(clause) for clause in clauses]


def hide(ids: list[str]) -> list[Clause]:
    """The filter clause that keeps these products out of a search (none when there are none)."""
    return [_dict(~Q("ids", values=ids))] if ids else []


def everything(clauses: list[Clause]) -> Query:
    """Every product that passes the filters."""
    query: Query = Q("bool", filter=clauses) if clauses else Q("match_all")
    return query


def text_query(q: str, profile: Profile) -> Clause:
    """multi_match over the profile's fields and boosts; the user's text is never parsed as syntax.
    With a `fuzzy` boost, a typo-tolerant copy also matches ("cieling fan"), scored below exact words."""
    return _dict(_text(q, profile))


def _text(q: str, profile: Profile) -> Query:
    fields = [f"{name}^{boost:g}" for name, boost in profile.spec.fields.items()]
    exact: Query = Q("multi_match", query=q, fields=fields, type="best_fields")
    if not profile.spec.fuzzy:
        return exact
    typo = Q(
        "multi_match",
        query=q,
        fields=fields,
        type="best_fields",
        fuzziness="AUTO",
        prefix_length=1,
        boost=profile.spec.fuzzy,
    )
    either: Query = Q("bool", should=[exact, typo])
    return either


def _marked_text(q: str, profile: Profile) -> Query:
    """The query's text as a zero-boost named clause: it tells a hit that matches it (`matched_queries`)
    without changing any score."""
    marked: Query = Q("bool", should=[_text(q, profile)], _name=TEXT_MATCH, boost=0)
    return marked


def knn_query(vector: list[float], k: int, field: str, clauses: list[Clause], ef_search: int | None = None) -> Clause:
    """Approximate k-NN with the filters applied inside the search (lucene efficient filtering)."""
    knn: dict[str, Any] = {"vector": vector, "k": k}
    if ef_search:
        knn["method_parameters"] = {"ef_search": ef_search}
    if clauses:
        knn["filter"] = _dict(Q("bool", filter=clauses))
    return {"knn": {field: knn}}


def cosine_of(score: float) -> float:
    """The cosine behind a score: lucene's cosinesimil k-NN and the knn_score script both give (1 + cos) / 2."""
    return 2.0 * score - 1.0


def doc_values_only(body: Body, fields: list[str]) -> Body:
    """Read these fields from doc values and load no stored field (not even _id): for hundreds of
    candidates, loading stored fields cost 4x the whole search (12 ms against 3 for 250 products)."""
    return {**body, "_source": False, "stored_fields": "_none_", "docvalue_fields": fields}


def cosine_scored(body: Body, vector: list[float] | None, vector_field: str) -> Body:
    """The same hits, each scored inside the engine by its `vector_field`'s cosine with the vector
    (the k-NN `knn_score` script, a plain dict; see `cosine_of`); no vector leaves the body as it is."""
    if vector is None:
        return body
    script = {
        "source": "knn_score",
        "lang": "knn",
        "params": {"field": vector_field, "query_value": vector, "space_type": "cosinesimil"},
    }
    return {**body, "query": {"script_score": {"query": body["query"], "script": script}}}


def facets(search: Search) -> Search:
    """Adds brand, category (every level) and price-range counts, computed inside OpenSearch, to the search."""
    ranges = [{k: v for k, v in (("from", low), ("to", high)) if v is not None} for low, high in PRICE_BUCKETS]
    search.aggs.bucket("brand", A("terms", field="brand", size=30))
    search.aggs.bucket("category", A("terms", field="category_levels", size=100))
    search.aggs.bucket("price", A("range", field="price", ranges=ranges))
    return search


def _candidate_fields(profile: Profile, vector_copy_field: str) -> list[str]:
    """Vectors travel only when a signal of the profile needs them: they are most of the bytes."""
    return [*ITEM_FIELDS, vector_copy_field] if profile.needs_vectors else ITEM_FIELDS


def bm25_search(q: str, profile: Profile, clauses: list[Clause], vector_copy_field: str) -> Body:
    """The BM25 candidates, with the total and facets of every BM25 match."""
    search = (
        Search()
        .query(Q("bool", must=[_text(q, profile)], filter=clauses))
        .extra(size=profile.spec.candidates.bm25, track_total_hits=True)
        .source(_candidate_fields(profile, vector_copy_field))
    )
    return _dict(facets(search))


def knn_search(
    vector: list[float],
    q: str,
    profile: Profile,
    clauses: list[Clause],
    vector_field: str,
    vector_copy_field: str,
) -> Body:
    """The k-NN candidates. A zero-boost named text clause marks those that are BM25 matches too
    (scores unchanged), so the searcher can count the rest into the facets without another query."""
    k = profile.spec.candidates.knn
    query: dict[str, Any] = {
        "bool": {"must": [knn_query(vector, k, vector_field, clauses, profile.spec.candidates.ef_search)]}
    }
    if q:
        query["bool"]["should"] = [_dict(_marked_text(q, profile))]
    return _holding(Search().extra(size=k).source(_candidate_fields(profile, vector_copy_field)), query)


def beyond_search(q: str, profile: Profile, clauses: list[Clause], start: int, size: int) -> Body:
    """BM25 matches in BM25 order from `start` (the clauses keep the re-ranked candidates out)."""
    search = (
        Search()
        .query(Q("bool", must=[_text(q, profile)], filter=clauses))
        .extra(track_total_hits=False)
        .source(ITEM_FIELDS)
    )
    return _dict(search[start : start + size])


def did_you_mean(q: str) -> Body:
    """OpenSearch's phrase suggester over the titles and brands: the query with its words corrected, if any."""
    generator = {"field": "suggest", "suggest_mode": "always"}
    phrase = {"field": "suggest", "size": 1, "max_errors": 2, "direct_generator": [generator]}
    return _dict(Search().extra(size=0).suggest("fix", q, phrase=phrase))


def pinned_search(ids: list[str], q: str, profile: Profile, clauses: list[Clause]) -> Body:
    """Products pinned by a rule, if they pass the filters; the named text clause marks those matching the query."""
    query = Q("bool", filter=[Q("ids", values=ids), *clauses], should=[_marked_text(q, profile)])
    return _dict(Search().query(query).extra(size=len(ids)).source(RESULT_FIELDS))


def match_query(
    q: str, vector: list[float] | None, profile: Profile, clauses: list[Clause], vector_field: str
) -> Clause:
    """Everything a search matches: BM25 hits or the query's k nearest; all products when there is no query."""
    should: list[Clause] = []
    if q and profile.spec.candidates.bm25:
        should.append(text_query(q, profile))
    if vector is not None and profile.spec.candidates.knn:
        should.append(
            knn_query(vector, profile.spec.candidates.knn, vector_field, clauses, profile.spec.candidates.ef_search)
        )
    if not should:
        return _dict(everything(clauses))
    return {"bool": {"should": should, "minimum_should_match": 1, "filter": clauses}}  # may hold k-NN


def sorted_search(match: Clause, sort: str, start: int, size: int) -> Body:
    """A page of the match set in a field order (price, sales, newest, rating)."""
    search = Search().sort(*SORTS[sort]).source(RESULT_FIELDS).extra(track_total_hits=True)
    return _holding(facets(search[start : start + size]), match)


def browse_search(match: Clause | Query, script: dict[str, Any] | None, start: int, size: int) -> Body:
    """No query text: the match set ordered by the business score, computed inside OpenSearch. (With no
    text there is no query vector, so `match` holds no k-NN clause.)"""
    query = Q("script_score", query=Q(match), script=script) if script else Q(match)
    search = Search().query(query).source(RESULT_FIELDS).extra(track_total_hits=True)
    return _dict(facets(search[start : start + size]))


def suggest_search(prefix: str, size: int) -> Body:
    """Search-as-you-type over titles and brands: every word a prefix or (from 3 letters) one typo off."""
    fields = ["suggest", "suggest._2gram", "suggest._3gram"]
    as_you_type = Q("multi_match", query=prefix, type="bool_prefix", fields=fields, fuzziness="AUTO")
    # bool_prefix never fuzzes the word being typed; a fuzzy match catches "skilet" -> "skillet".
    typo = Q("match", suggest={"query": prefix, "fuzziness": "AUTO", "operator": "and"})
    search = (
        Search()
        .query(Q("bool", should=[as_you_type, typo], minimum_should_match=1))
        .extra(size=size)
        .source(SUGGESTION_FIELDS)
    )
    search.aggs.bucket("brand", A("terms", field="brand", size=3))
    search.aggs.bucket("category", A("terms", field="category", size=3))
    return _dict(search)


def profile_lookup(user_id: str, vector_field: str) -> Body:
    """A shopper's vector, from the users index (in the search's msearch)."""
    return _dict(Search().query(Q("ids", values=[user_id])).extra(size=1).source([vector_field]))


def _dict(built: Query | Search) -> dict[str, Any]:
    body: dict[str, Any] = built.to_dict()
    return body


def _holding(search: Search, query: Clause) -> Body:
    """A DSL-built body around a query the DSL cannot hold (one with a k-NN clause), put in as a dict."""
    return {**_dict(search), "query": query}
