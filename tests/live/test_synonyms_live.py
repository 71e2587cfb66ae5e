"""Search-time synonyms on the live node: an edited file served by `index synonyms` without a reindex."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopsearch.indexer import lifecycle, synonyms
from tests.live.test_search_api_live import ids, search

pytestmark = pytest.mark.engine


def test_a_synonym_added_to_the_file_takes_effect_without_a_reindex(shop, client, tmp_path: Path) -> None:
    http, alias = shop["http"], shop["settings"].index.alias
    assert ids(search(http, q="torch", profile="bm25")) == []
    assert ids(search(http, q="砍骨", profile="bm25")) == []
    assert ids(search(http, q="sneakers", profile="bm25")) == []
    file = tmp_path / "synonyms.txt"
    file.write_text("# for the test\ntorch, headlamp\n菜刀, 砍骨\nsneakers => running shoes\n", encoding="utf-8")
    settings = shop["settings"].model_copy(
        update={"index": shop["settings"].index.model_copy(update={"synonyms": file})}
    )
    served = lifecycle.alias_targets(client, alias)
    count = client.count(index=alias)["count"]
    report = synonyms.apply(client, settings)
    assert report["replaced"] == served[0] and report["synonyms"] == 3
    assert lifecycle.alias_targets(client, alias) == [report["index"]]
    assert client.count(index=alias)["count"] == count
    assert ids(search(http, q="torch", profile="bm25")) == ["T2"]
    assert ids(search(http, q="砍骨", profile="bm25")) == ["Z2"]
    assert {i[0] for i in ids(search(http, q="sneakers", profile="bm25"))} == {"R"}  # one way, to a phrase
    file.write_text("", encoding="utf-8")  # and back: the next apply serves no rules
    synonyms.apply(client, settings)
    assert ids(search(http, q="torch", profile="bm25")) == []
