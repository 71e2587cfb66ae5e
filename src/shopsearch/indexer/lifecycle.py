"""Concrete indices behind the read alias: create, swap atomically, prune, roll back, report.

Index names are ``<alias>-<UTC timestamp>``, so name order is age order. The API only ever reads
the alias; one ``update_aliases`` call removes the old target and adds the new one atomically.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from shopsearch.errors import LifecycleError


def new_index_name(alias: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S-%f")
    return f"{alias}-{stamp}"


def loading_alias(alias: str) -> str:
    """Marks the index a reindex is loading: writes to the served index meanwhile would be lost at the swap."""
    return f"{alias}.loading"


def managed_indices(client: OpenSearch, alias: str) -> list[str]:
    """Our concrete indices for this alias, oldest first."""
    found = client.indices.get(index=f"{alias}-*", expand_wildcards="open,closed", ignore_unavailable=True)
    return sorted(name for name in found if name[len(alias) + 1 :][:1].isdigit())


def alias_targets(client: OpenSearch, alias: str) -> list[str]:
    try:
        return sorted(client.indices.get_alias(name=alias))
    except NotFoundError:
        return []


def swap_alias(client: OpenSearch, alias: str, new_index: str, release: str | None = None) -> list[str]:
    """Point the alias at new_index only, in one atomic call (which also takes the `release` alias, e.g. a
    loading marker, off new_index); return the indices it left."""
    old = alias_targets(client, alias)
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in old if name != new_index]
    actions.append({"add": {"index": new_index, "alias": alias}})
    if release is not None:
        actions.append({"remove": {"index": new_index, "alias": release}})
    client.indices.update_aliases(body={"actions": actions})
    return [name for name in old if name != new_index]


def prune(client: OpenSearch, alias: str, keep: int) -> list[str]:
    """Delete all but the alias target and the ``keep`` newest others; return what was deleted."""
    serving = set(alias_targets(client, alias))
    others = [name for name in managed_indices(client, alias) if name not in serving]
    doomed = others[: max(len(others) - keep, 0)]
    for name in doomed:
        client.indices.delete(index=name)
    return doomed


def rollback(client: OpenSearch, alias: str) -> tuple[str, str]:
    """Move the alias to the newest index older than the one it serves; return (from, to)."""
    current = alias_targets(client, alias)
    if len(current) != 1:
        raise LifecycleError(f"alias {alias!r} points at {current or 'nothing'}; rollback needs exactly one index")
    older = [name for name in managed_indices(client, alias) if name < current[0]]
    if not older:
        raise LifecycleError(f"no older index of {alias!r} is kept to roll back to")
    swap_alias(client, alias, older[-1])
    return current[0], older[-1]


def serving_models(client: OpenSearch, alias: str) -> dict[str, dict[str, Any]]:
    """The model ids recorded in the _meta of the indices the alias serves, each with its _meta (where the
    model was loaded from); empty: no alias, no record."""
    try:
        mappings = client.indices.get_mapping(index=alias)
    except NotFoundError:
        return {}
    metas = [m["mappings"].get("_meta", {}) for m in mappings.values()]
    return {meta["model_id"]: meta for meta in metas if meta.get("model_id")}


def describe(client: OpenSearch, alias: str) -> dict[str, Any]:
    """Aliases, indices, doc counts, model and mapping version, for `index status`."""
    names = managed_indices(client, alias)
    serving = set(alias_targets(client, alias))
    indices = []
    if names:
        counts = {row["index"]: row for row in client.cat.indices(index=",".join(names), format="json")}
        mappings = client.indices.get_mapping(index=",".join(names))
        for name in names:
            meta = mappings[name]["mappings"].get("_meta", {})
            indices.append(
                {
                    "index": name,
                    "serving": name in serving,
                    "docs": int(counts[name]["docs.count"] or 0),
                    "size": counts[name]["store.size"],
                    "health": counts[name]["health"],
                    "model": meta.get("model_id"),
                    "dimension": meta.get("dimension"),
                    "mapping_version": meta.get("mapping_version"),
                    "source": meta.get("source"),
                    "created_at": meta.get("created_at"),
                }
            )
    return {"alias": alias, "serving": sorted(serving), "indices": indices}
