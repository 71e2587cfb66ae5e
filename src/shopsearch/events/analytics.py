"""Search analytics for a time window, from the search log and the events (aggregations in OpenSearch,
a few thousand buckets at most, then arithmetic here): top queries with their click and add-to-cart
rates, zero-result queries, queries with results but no click, and click and cart rates by position.

A click or cart counts for a query when the event carries that query (the shop page sends it), and
for a position when it carries the position the product was shown at (1 = the first result, as in the
click log that `learn --clicks` reads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from shopsearch.charts import pyplot
from shopsearch.queries import logs as queries

WINDOW = r"^[1-9][0-9]{0,4}[smhdw]$"  # an OpenSearch date-math span: 30m, 24h, 7d, 4w
QUERIES = 1000  # distinct queries read per window
POSITIONS = 20
TABLES = {  # the report's tables and the columns each prints
    "top_queries": ("query", "searches", "clicks", "clicks_per_search", "carts", "carts_per_search"),
    "zero_results": ("query", "searches"),
    "no_clicks": ("query", "searches"),
    "by_position": ("position", "impressions", "clicks", "ctr", "carts", "cart_rate"),
}


def report(client: OpenSearch, searches: str, events: str, since: str = "7d", top: int = 20) -> dict[str, Any]:
    """The tables of one window (`since`: an OpenSearch time unit, e.g. 24h, 7d)."""
    logged = _search(client, searches, queries.logged_searches(since, QUERIES))
    acted = _search(client, events, queries.clicks_and_carts(since, QUERIES, POSITIONS * 5))
    searched = {b["key"]: (b["doc_count"], b["empty"]["doc_count"]) for b in _buckets(logged, "queries")}
    actions = {b["key"]: _by_type(b) for b in _buckets(acted, "queries")}
    rows = [_rates(q, n, actions.get(q, {})) for q, (n, _) in searched.items()]
    return {
        "since": since,
        "searches": sum(n for n, _ in searched.values()),
        "top_queries": sorted(rows, key=lambda r: (-r["searches"], r["query"]))[:top],
        "zero_results": sorted(
            ({"query": q, "searches": empty} for q, (_, empty) in searched.items() if empty),
            key=lambda r: (-r["searches"], r["query"]),
        )[:top],
        "no_clicks": sorted(
            (r for r in rows if not r["clicks"] and searched[r["query"]][1] < r["searches"]),
            key=lambda r: (-r["searches"], r["query"]),
        )[:top],
        "by_position": _positions(logged, acted),
    }


def text_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Rows as aligned text (the first column left, numbers right); `(none)` for no rows."""
    if not rows:
        return "  (none)"
    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join(
        "  " + "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(line, widths)))
        for line in lines
    )


def _positions(logged: dict[str, Any], acted: dict[str, Any]) -> list[dict[str, Any]]:
    """Impressions at each position (a search showing n hits from `first` shows first..first+n-1), clicks
    and carts there, and their rates."""
    impressions = dict.fromkeys(range(1, POSITIONS + 1), 0)
    for page in _buckets(logged, "pages"):
        for shown in page["shown"]["buckets"]:
            for position in range(int(page["key"]), min(int(page["key"]) + int(shown["key"]), POSITIONS + 1)):
                impressions[position] += shown["doc_count"]
    actions = {int(b["key"]): _by_type(b) for b in _buckets(acted, "positions")}
    return [
        {"position": p, "impressions": n, **_counts(actions.get(p, {}), n, "ctr", "cart_rate")}
        for p, n in impressions.items()
        if n
    ]


def _rates(query: str, searches: int, actions: dict[str, int]) -> dict[str, Any]:
    return {"query": query, "searches": searches, **_counts(actions, searches, "clicks_per_search", "carts_per_search")}


def _counts(actions: dict[str, int], base: int, click_rate: str, cart_rate: str) -> dict[str, Any]:
    """Clicks and carts, and each divided by `base` (searches of a query, or impressions at a position)."""
    clicks, carts = actions.get("click", 0), actions.get("cart", 0)
    return {
        "clicks": clicks,
        click_rate: round(clicks / base, 4) if base else 0.0,
        "carts": carts,
        cart_rate: round(carts / base, 4) if base else 0.0,
    }


def _by_type(bucket: dict[str, Any]) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in bucket["type"]["buckets"]}


def _search(client: OpenSearch, index: str, body: dict[str, Any]) -> dict[str, Any]:
    if not client.indices.exists(index=index):
        return {}
    client.indices.refresh(index=index)
    aggregations: dict[str, Any] = client.search(index=index, body=body)["aggregations"]
    return aggregations


def _buckets(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    buckets: list[dict[str, Any]] = result.get(name, {}).get("buckets", [])
    return buckets


def charts(tables: dict[str, Any], out: Path) -> list[Path]:
    """positions.png (click and add-to-cart rate by position) and queries.png (top queries: searches, clicks)."""
    plt = pyplot()
    out.mkdir(parents=True, exist_ok=True)
    rows = tables["by_position"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar([r["position"] for r in rows], [r["ctr"] for r in rows], label="click rate")
    ax.plot([r["position"] for r in rows], [r["cart_rate"] for r in rows], "o-", color="C1", label="add-to-cart rate")
    ax.set(xlabel="position", ylabel="per impression", title=f"By position, last {tables['since']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "positions.png", dpi=120)
    top = tables["top_queries"][:15][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(top) + 1.2))
    ax.barh([r["query"] for r in top], [r["searches"] for r in top], label="searches")
    ax.barh([r["query"] for r in top], [r["clicks"] for r in top], label="clicks")
    ax.set(xlabel="count", title=f"Top queries, last {tables['since']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "queries.png", dpi=120)
    plt.close("all")
    return [out / "positions.png", out / "queries.png"]
