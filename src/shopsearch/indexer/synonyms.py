"""Search-time synonyms: a Solr-format file (``index.synonyms``) feeding the mapping's ``shop_synonyms``
``synonym_graph`` filter, which only the search analyzers use, so the indexed terms never change.

A new index gets the file's rules when it is created. An edit reaches the served index without a
reindex: OpenSearch 2.19 has no search-analyzer reload (that is the ISM plugin's), and analysis
settings change only on a closed index, so the served index is cloned (segments are hard-linked:
seconds, nothing re-encoded or re-analysed) with the new rules, and the alias moves to the clone in
one atomic call. Searches never stop; writes to the served index are refused while the clone is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from shopsearch.config import Settings
from shopsearch.errors import ConfigError, LifecycleError
from shopsearch.indexer import lifecycle

FILTER = "shop_synonyms"


def load_synonyms(path: Path) -> list[str]:
    """The file's rules: `a, b, c` (all equivalent) or `a, b => c` (one way); `#` comments. No file, none."""
    if not path.is_file():
        return []
    rules = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        rule = line.split("#", 1)[0].strip()
        if not rule:
            continue
        sides = [[term.strip() for term in side.split(",")] for side in rule.split("=>")]
        if len(sides) > 2 or not all(all(side) for side in sides) or (len(sides) == 1 and len(sides[0]) < 2):
            raise ConfigError(f"{path}:{number}: expected `a, b, ...` or `a, b => c`, got {line.strip()!r}")
        rules.append(rule)
    return rules


def filled(index_settings: dict[str, Any], rules: list[str]) -> dict[str, Any]:
    """Create-index settings with the rules in the synonyms filter (a mapping without one is left alone)."""
    synonym_filter = index_settings.get("analysis", {}).get("filter", {}).get(FILTER)
    if synonym_filter is not None:
        synonym_filter["synonyms"] = rules
    return index_settings


def apply(client: OpenSearch, settings: Settings) -> dict[str, Any]:
    """Serve the file's current rules: clone the served index with them and move the alias to the clone."""
    alias, rules = settings.index.alias, load_synonyms(settings.index.synonyms)
    serving = lifecycle.alias_targets(client, alias)
    if len(serving) != 1:
        raise LifecycleError(f"alias {alias!r} serves {len(serving)} indices; build the index first")
    if lifecycle.alias_targets(client, lifecycle.loading_alias(alias)):
        raise LifecycleError(f"a reindex of {alias!r} is loading; apply the synonyms after it (it reads the file too)")
    source = serving[0]
    current = client.indices.get_settings(index=source)[source]["settings"]["index"]
    if FILTER not in current.get("analysis", {}).get("filter", {}):
        raise LifecycleError(f"{source} was built before search-time synonyms (mapping version 3): reindex once")
    target = lifecycle.new_index_name(alias)
    replicas = {key: current[key] for key in ("number_of_replicas", "auto_expand_replicas") if key in current}
    client.indices.put_settings(index=source, body={"index.blocks.write": True})  # a clone needs a still source
    try:
        client.indices.clone(
            index=source,
            target=target,
            body={
                "settings": {"index.blocks.write": None, f"index.analysis.filter.{FILTER}.synonyms": rules, **replicas}
            },
        )
        client.cluster.health(index=target, wait_for_status="yellow", request_timeout=120)
        lifecycle.swap_alias(client, alias, target)
    finally:  # the source stays writable: it is the index a rollback returns to
        client.indices.put_settings(index=source, body={"index.blocks.write": None})
    pruned = lifecycle.prune(client, alias, settings.index.keep)
    return {"index": target, "replaced": source, "synonyms": len(rules), "pruned": pruned}
