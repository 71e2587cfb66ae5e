"""Result hygiene on the live node: nonsense finds nothing, a misspelling is corrected (did you mean)."""

from __future__ import annotations

import pytest

from tests.live.test_search_api_live import ids, search

pytestmark = pytest.mark.engine


def test_nonsense_finds_nothing_instead_of_the_nearest_vectors(shop) -> None:
    search(shop["http"], q="chef knife")
    log = shop["app"].extensions["shopsearch"].searches
    log.flush()
    log.client.indices.refresh(index=log.stream)
    result = search(shop["http"], q="asdfghjkl")
    assert result["hits"] == [] and result["total"] == 0
    assert result.get("suggestion") is None and "corrected_to" not in result
    assert result["popular"] and all(isinstance(q, str) and q != "asdfghjkl" for q in result["popular"])
    assert search(shop["http"], q="asdfghjkl", profile="semantic")["hits"]  # a profile without a floor keeps them


@pytest.mark.parametrize(("typo", "fixed", "first"), [("hedlamp", "headlamp", "T2"), ("skilett", "skillet", "C0")])
def test_a_misspelling_gets_a_suggestion_and_its_results(shop, typo: str, fixed: str, first: str) -> None:
    result = search(shop["http"], q=typo)
    assert result["suggestion"] == fixed and result["query"] == typo
    assert ids(result)[0] == first
