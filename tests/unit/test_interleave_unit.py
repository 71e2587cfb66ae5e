"""Team-draft interleaving and its verdict, without the engine."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shopsearch.experiments.interleave import Outcome, credit, team_draft

RANKINGS = st.lists(st.sampled_from("abcdefghijklmnop"), unique=True, max_size=12)


@given(RANKINGS, RANKINGS, st.integers(1, 30), st.text(max_size=8))
def test_each_product_once_in_each_teams_own_order_and_the_teams_take_turns(a, b, size, seed) -> None:
    merged = team_draft(a, b, size, seed)
    ids = [doc for doc, _ in merged]
    assert len(ids) == len(set(ids)) == min(size, len(set(a) | set(b)))
    for team, ranking in (("a", a), ("b", b)):
        picked = [doc for doc, t in merged if t == team]
        assert picked == [doc for doc in ranking if doc in picked]  # a team never skips ahead of its own list
    assert team_draft(a, b, size, seed) == merged  # sticky: the same shopper and query see the same list


@given(st.integers(0, 8), st.integers(0, 8), st.text(max_size=8))
def test_teams_alternate_while_both_have_products_to_give(n_a, n_b, seed) -> None:
    a, b = [f"a{i}" for i in range(n_a)], [f"b{i}" for i in range(n_b)]  # disjoint: every pick is new
    merged = team_draft(a, b, 20, seed)
    counts = {"a": 0, "b": 0}
    for _, team in merged[: 2 * min(n_a, n_b)]:
        counts[team] += 1
        assert abs(counts["a"] - counts["b"]) <= 1
    assert [doc for doc, _ in merged[2 * min(n_a, n_b) :]] == (a if n_a > n_b else b)[min(n_a, n_b) :]


def test_the_team_with_more_clicked_products_wins_the_impression() -> None:
    teams = {"x": "a", "y": "b", "z": "a"}
    assert credit(teams, {"x", "z", "y"}) == "a"
    assert credit(teams, {"y"}) == "b"
    assert credit(teams, {"x", "y"}) is None and credit(teams, set()) is None


def test_the_verdict_needs_a_significant_preference() -> None:
    assert Outcome(100, 40, 10).winner() == "a" and Outcome(100, 40, 10).p_value < 0.001
    assert Outcome(100, 12, 10).winner() is None
    assert Outcome(5, 0, 0).share_a == 0.5 and Outcome(5, 0, 0).p_value == 1.0
