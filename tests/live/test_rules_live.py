"""Query rules through GET /search on the live node (the small shop of conftest): each action changes
the results as specified, shows in explain, and a rules file takes effect without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.live.test_search_api_live import ids, search

pytestmark = pytest.mark.engine


@pytest.fixture
def rule(shop) -> Iterator:
    """Write one rule into the shop's rules directory (removed afterwards); returns the writer."""
    written: list[Path] = []

    def write(rule_id: str, when: dict, then: dict) -> None:
        path = Path(shop["rules"]) / f"test-{rule_id}.yaml"
        path.write_text(yaml.safe_dump({"rules": [{"id": rule_id, "when": when, "then": then}]}), encoding="utf-8")
        written.append(path)

    yield write
    for path in written:
        path.unlink()


def test_a_pin_puts_the_product_at_its_position(shop, rule) -> None:
    before = ids(search(shop["http"], q="knife", size=5))
    rule("boning-first", {"contains": ["knife"]}, {"pin": [{"id": "K5", "position": 1}]})
    result = search(shop["http"], q="kitchen knife", size=5, explain="true")
    assert ids(result)[0] == "K5" and before[0] != "K5"
    assert result["hits"][0]["rules"] == ["pinned at 1 by rule boning-first"]
    assert result["rules"] == ["boning-first"]
    assert ids(search(shop["http"], q="kitchen knife", size=5, rules="false"))[0] != "K5"


def test_a_pinned_product_outside_the_candidates_is_fetched_and_counted(shop, rule) -> None:
    plain = search(shop["http"], q="knife", profile="bm25", size=10)
    assert "T2" not in ids(plain)  # a headlamp: no BM25 match for "knife"
    rule("lamp-second", {"exact": ["knife"]}, {"pin": [{"id": "T2", "position": 2}]})
    pinned = search(shop["http"], q="knife", profile="bm25", size=10)
    assert ids(pinned)[1] == "T2" and pinned["hits"][1]["title"] == "Black Diamond headlamp"
    assert pinned["total"] == plain["total"] + 1
    filtered = search(shop["http"], q="knife", profile="bm25", category="Home > Kitchen")
    assert "T2" not in ids(filtered)  # a pin never breaks the shopper's own filters


def test_a_hidden_product_is_gone_from_every_order_and_the_total(shop, rule) -> None:
    plain = search(shop["http"], q="chef knife", size=20)
    assert "K0" in ids(plain)
    rule("no-shun", {"contains": ["chef knife"]}, {"hide": ["K0"]})
    for params in ({}, {"sort": "price_asc"}):
        hidden = search(shop["http"], q="chef knife", size=20, **params)
        assert "K0" not in ids(hidden)
        assert hidden["total"] == plain["total"] - 1


def test_a_boost_lifts_a_brand_and_shows_in_explain(shop, rule) -> None:
    assert ids(search(shop["http"], q="knife", size=1)) != ["K3"]
    rule("global-up", {"contains": ["knife"]}, {"boost": [{"where": {"brand": "Global"}, "by": 5.0}]})
    result = search(shop["http"], q="knife", size=6, explain="true")
    top = result["hits"][0]
    assert top["id"] == "K3" and top["explain"]["rule.global-up"] == 5.0
    assert sum(top["explain"].values()) == pytest.approx(top["score"], abs=1e-5)
    assert all(h["explain"]["rule.global-up"] == 0 for h in result["hits"][1:])


def test_a_bury_moves_matches_behind_everything_else(shop, rule) -> None:
    rule("shun-last", {"contains": ["knife"]}, {"bury": [{"brand": "Shun"}]})
    result = search(shop["http"], q="chef knife", size=100, explain="true")
    assert ids(result)[-1] == "K0" and result["hits"][-1]["rules"] == ["buried by rule shun-last"]


def test_a_redirect_is_returned_with_the_results(shop, rule) -> None:
    rule("to-gifts", {"exact": ["gift card"]}, {"redirect": "/pages/gift-cards"})
    assert search(shop["http"], q="Gift  Card")["redirect"] == "/pages/gift-cards"
    assert "redirect" not in search(shop["http"], q="gift card holder")
    assert "redirect" not in search(shop["http"], q="gift card", rules="false")
