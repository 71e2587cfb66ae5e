"""The synonyms file: Solr rules parsed, a bad line named by file and number, rules put into the filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopsearch.config import MAPPINGS_DIR
from shopsearch.errors import ConfigError
from shopsearch.indexer.mapping import load_mapping
from shopsearch.indexer.synonyms import FILTER, filled, load_synonyms


def test_rules_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text(
        "# comment\n\ntv, television  # inline\nsneakers => running shoes\n手机, 移动电话\n", encoding="utf-8"
    )
    assert load_synonyms(path) == ["tv, television", "sneakers => running shoes", "手机, 移动电话"]
    assert load_synonyms(tmp_path / "missing.txt") == []


@pytest.mark.parametrize("line", ["tv", "a => b => c", "a, , b", "=> b", "a =>"])
def test_a_bad_line_is_refused_with_its_number(tmp_path: Path, line: str) -> None:
    path = tmp_path / "s.txt"
    path.write_text(f"tv, television\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"s\.txt:2: expected"):
        load_synonyms(path)


def test_the_shipped_mapping_searches_every_text_field_through_the_synonyms() -> None:
    mapping = load_mapping(MAPPINGS_DIR / "products.json")
    body = mapping.index_body(384, {})
    settings = filled(body["settings"], ["tv, television"])
    assert settings["analysis"]["filter"][FILTER]["synonyms"] == ["tv, television"]
    text = json.dumps(body["mappings"])
    assert text.count('"search_analyzer": "en_search"') == 5 and text.count('"search_analyzer": "cjk_search"') == 5
    assert load_synonyms(MAPPINGS_DIR / "synonyms.txt") == []  # the shipped file only explains itself
