"""Product families without the engine: one entry per group, members in order, kept members apart."""

from __future__ import annotations

from shopsearch.relevance.variants import collapse, group_of


def test_one_entry_per_family_led_by_its_best_placed_member() -> None:
    groups = ["g1", None, "g1", "g2", "g1", "g2"]
    assert collapse([0, 1, 2, 3, 4, 5], groups) == ([0, 1, 3], {0: [2, 4], 3: [5]})
    assert collapse([4, 1, 0, 2], groups) == ([4, 1], {4: [0, 2]})


def test_a_kept_member_stays_an_entry_of_its_own() -> None:
    groups = ["g1", "g1", "g1"]
    assert collapse([0, 1, 2], groups, keep={1}) == ([0, 1], {0: [2]})


def test_the_group_comes_from_the_catalogs_extra_columns() -> None:
    assert group_of({"attrs": {"group_id": 7}}) == "7" and group_of({"attrs": {}}) is None and group_of({}) is None
