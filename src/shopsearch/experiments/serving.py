"""A search under a running experiment: both arms' rankings, team-draft interleaved for this shopper."""

from __future__ import annotations

from typing import Any

from shopsearch.experiments.interleave import team_draft
from shopsearch.experiments.store import Experiment
from shopsearch.relevance.searcher import Searcher, SearchRequest
from shopsearch.text import normalize_query

MAX_DEPTH = 100  # results interleaved at most: each arm searches this deep


def takes_part(request: SearchRequest) -> bool:
    """Searches the experiment compares: relevance-ordered text searches that name no profile themselves,
    on the first 100 results (deeper pages would cost two deep searches for little click evidence)."""
    return (
        bool(request.q.strip())
        and request.sort == "relevance"
        and request.profile is None
        and request.page * request.size <= MAX_DEPTH
    )


def interleaved(searcher: Searcher, request: SearchRequest, experiment: Experiment) -> tuple[dict[str, Any], list[str]]:
    """The page of the interleaved list (each hit says its `arm`), and the team of each hit shown."""
    depth = request.page * request.size
    runs = {
        team: searcher.search(request.model_copy(update={"profile": profile, "page": 1, "size": depth}))
        for team, profile in (("a", experiment.a), ("b", experiment.b))
    }
    hits = {hit["id"]: hit for run in (runs["b"], runs["a"]) for hit in run["hits"]}  # a's copy where both have it
    seed = f"{experiment.name}:{request.user_id or 'anonymous'}:{normalize_query(request.q)}"
    merged = team_draft([h["id"] for h in runs["a"]["hits"]], [h["id"] for h in runs["b"]["hits"]], depth, seed)
    page = merged[(request.page - 1) * request.size :]
    result = {
        **runs["a"],
        "page": request.page,
        "size": request.size,
        "experiment": experiment.name,
        "total": max(runs["a"]["total"], runs["b"]["total"]),
        "hits": [{**hits[doc_id], "arm": team} for doc_id, team in page],
    }
    return result, [team for _, team in page]
