"""The bodies of the recommendation rails: nearest products, popular, and the trained model's look-ups."""

from __future__ import annotations

from typing import Any

from opensearchpy import Q, Search

from shopsearch.hits import GROUP_FIELD
from shopsearch.queries.products import Body, Clause, browse_search, everything, hide, knn_query


def nearest(vector: list[float], k: int, field: str, clauses: list[Clause], fields: list[str]) -> Body:
    """The k products nearest to a vector among those that pass the clauses (a k-NN body: a plain dict)."""
    return {"size": k, "_source": fields, "query": knn_query(vector, k, field, clauses)}


def not_this_family(product_id: str, group: str | None) -> list[Clause]:
    """The filter clause that keeps a product and the other variants of its family (group_id) out."""
    family = [Q("term", **{GROUP_FIELD: group})] if group else []
    return [Q("bool", must_not=[Q("ids", values=[product_id]), *family]).to_dict()]


def popular(clauses: list[Clause], script: dict[str, Any] | None, size: int) -> Body:
    """The best products by the business score (none: in index order) among those that pass the clauses."""
    return browse_search(everything(clauses), script, 0, size)


def by_ids(ids: list[str], fields: list[str] | None = None) -> Body:
    """These documents (with these _source fields) as a search: unlike mget, it needs no realtime get per id."""
    search = Search().query(Q("ids", values=ids)).extra(size=len(ids))
    body: Body = (search.source(fields) if fields is not None else search).to_dict()
    return body


def pool(vector: list[float], k: int, field: str, exclude: set[str]) -> Body:
    """The k nearest by `field`, these ids left out (a k-NN body: a plain dict)."""
    return {"size": k, "query": knn_query(vector, k, field, hide(sorted(exclude)))}


def every_product() -> Body:
    """Every product, its whole source (a scan's body)."""
    body: Body = Search().query("match_all").to_dict()
    return body


def every_vector(copy_field: str) -> Body:
    """Every product's stored vector (a scan's body)."""
    body: Body = Search().source([copy_field]).to_dict()
    return body
