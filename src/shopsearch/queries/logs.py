"""The bodies that read the events stream and the search log: rebuilds, deletions, analytics, experiments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opensearchpy import A, Q, Search
from opensearchpy.helpers.query import Query

from shopsearch.queries.products import Body


def selection(user_id: str | None = None, until: datetime | None = None) -> Query:
    """The events of one user (or of everyone) up to `until` (or all)."""
    clauses: list[Query] = []
    if user_id is not None:
        clauses.append(Q("term", user_id=user_id))
    if until is not None:
        clauses.append(Q("range", **{"@timestamp": {"lte": until.isoformat()}}))
    return _all_of(clauses)


def selected(user_id: str | None = None, until: datetime | None = None) -> Body:
    """A body (for delete-by-query or count) of the events `selection` describes."""
    return _dict(Search().query(selection(user_id, until)))


def events_of(user_ids: list[str] | None = None, types: tuple[str, ...] | None = None) -> Body:
    """Every event of these users (all when None), of these types (all when None): a scan's body."""
    clauses: list[Query] = []
    if user_ids is not None:
        clauses.append(Q("terms", user_id=user_ids))
    if types:
        clauses.append(Q("terms", type=list(types)))
    return _dict(Search().query(_all_of(clauses)))


def user_page(until: datetime | None, after: dict[str, Any] | None, size: int = 1000) -> Body:
    """One page of the user ids with events (up to `until`), in id order: a composite aggregation from `after`."""
    users = A(
        "composite", size=size, sources=[{"user": A("terms", field="user_id")}], **({"after": after} if after else {})
    )
    search = Search().query(selection(None, until)).extra(size=0)
    search.aggs.bucket("users", users)
    return _dict(search)


def popular_queries(since: str, size: int) -> Body:
    """The most searched queries of the search log since `since` (a time unit: 7d) that found something."""
    found = Q("bool", filter=[_since(since), Q("range", results={"gt": 0})])
    search = Search().query(found).extra(size=0)
    search.aggs.bucket("queries", A("terms", field="query", size=size))
    return _dict(search)


def logged_searches(since: str, queries: int) -> Body:
    """Analytics from the search log: per query, its searches and the empty ones; per first position shown,
    how many hits the pages showed."""
    search = Search().query(_since(since)).extra(size=0)
    search.aggs.bucket("queries", A("terms", field="query", size=queries)).bucket(
        "empty", A("filter", filter=Q("term", results=0))
    )
    search.aggs.bucket("pages", A("terms", field="first", size=100)).bucket(
        "shown", A("terms", script="doc['shown'].size()", size=101)
    )
    return _dict(search)


def clicks_and_carts(since: str, queries: int, positions: int) -> Body:
    """Analytics from the events: the clicks and carts per query and per position."""
    acted = Q("bool", filter=[_since(since), Q("terms", type=["click", "cart"])])
    search = Search().query(acted).extra(size=0)
    search.aggs.bucket("queries", A("terms", field="query", size=queries)).bucket("type", A("terms", field="type"))
    search.aggs.bucket("positions", A("terms", field="position", size=positions)).bucket(
        "type", A("terms", field="type")
    )
    return _dict(search)


def arm_searches(started_at: datetime, experiment: str) -> Body:
    """The searches an experiment interleaved since it started (a scan's body)."""
    arm = Q("term", arm=experiment)
    return _dict(Search().query(Q("bool", filter=[_from(started_at), arm])))


def query_clicks(started_at: datetime) -> Body:
    """The clicks since a time that say which query they came from (a scan's body)."""
    clicks = [_from(started_at), Q("term", type="click"), Q("exists", field="query")]
    return _dict(Search().query(Q("bool", filter=clicks)))


def _all_of(clauses: list[Query]) -> Query:
    query: Query = Q("bool", filter=clauses) if clauses else Q("match_all")
    return query


def _since(span: str) -> Query:
    return _from_time(f"now-{span}")


def _from(started_at: datetime) -> Query:
    return _from_time(started_at.isoformat())


def _from_time(start: str) -> Query:
    query: Query = Q("range", **{"@timestamp": {"gte": start}})
    return query


def _dict(search: Search) -> Body:
    body: Body = search.to_dict()
    return body
