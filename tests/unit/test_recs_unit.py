"""The fused rail's parts on small synthetic histories: sequence tables, factors, candidate merging,
the learned blend and the held-out split (no engine needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsearch.events.model import Event
from shopsearch.recommend.experiment import (
    histories_from_events,
    hold_out_last,
    holdout_experiment,
    rankings,
    score_users,
)
from shopsearch.recommend.factors import FactorParams
from shopsearch.recommend.fusion import FEATURES, FusionParams, blend, fit_weights, fuse, reason
from shopsearch.recommend.offline import MatrixSources, RecsModel
from shopsearch.recommend.sequences import SequenceParams, directed_counts, position_weights, tables, top_per_row
from shopsearch.users.vectors import sequence

T0 = datetime(2026, 1, 1, tzinfo=UTC)
IDS = [f"P{i}" for i in range(12)]


def _encoded(*histories: list[int]) -> list[np.ndarray]:
    return [np.array(h) for h in histories]


def test_directed_counts_decay_with_distance_and_stay_inside_a_history() -> None:
    counts = directed_counts(_encoded([0, 1, 2], [2, 0]), 3, SequenceParams(window=2, decay=0.5)).toarray()
    assert counts[0, 1] == 1.0 and counts[1, 2] == 1.0
    assert counts[0, 2] == 0.5  # two steps apart
    assert counts[2, 0] == 1.0  # the second history
    assert counts[1, 0] == 0.0 and counts[2, 1] == 0.0  # nothing runs backwards or across histories


def test_next_after_is_directed_and_together_is_not() -> None:
    histories = _encoded(*([[0, 1]] * 5), [2, 3])
    next_after, together = tables(histories, 4, SequenceParams(window=1, a=0.0, b=0.0, backward=1.0))
    assert next_after[0, 1] == 5.0 and next_after[1, 0] == 0.0
    assert together[0, 1] == together[1, 0] == 5.0
    assert next_after[2, 3] == 1.0 and next_after[0, 3] == 0.0


def test_top_per_row_keeps_the_best_and_breaks_ties_by_column() -> None:
    import scipy.sparse as sp

    matrix = sp.csr_matrix(np.array([[0, 3, 1, 3], [2, 0, 0, 0]], dtype=float))
    kept = top_per_row(matrix, 2).toarray()
    assert kept.tolist() == [[0, 3, 0, 3], [2, 0, 0, 0]]


def test_position_weights_count_the_newest_most() -> None:
    assert position_weights(3, 0.5).tolist() == [0.25, 0.5, 1.0]


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 100)), max_size=30))
def test_a_sequence_holds_each_product_once_in_time_order(touched: list[tuple[str, int]]) -> None:
    ordered = sequence([(key, T0 + timedelta(minutes=m)) for key, m in touched])
    keys = [key for key, _ in ordered]
    assert len(keys) == len(set(keys)) == len({key for key, _ in touched})
    assert [ts for _, ts in ordered] == sorted(ts for _, ts in ordered)
    for key, ts in ordered:  # each at its latest time
        assert ts == T0 + timedelta(minutes=max(m for k, m in touched if k == key))


def test_histories_from_events_keep_carts_and_purchases_in_time_order() -> None:
    def event(user: str, kind: str, product: str, minute: int) -> Event:
        return Event(user_id=user, type=kind, product_id=product, ts=T0 + timedelta(minutes=minute))

    events = [
        event("u", "purchase", "B", 2),
        event("u", "view", "X", 3),
        event("u", "cart", "A", 1),
        event("u", "purchase", "A", 5),
        event("v", "click", "C", 1),
    ]
    assert histories_from_events(events) == {"u": ["B", "A"]}


def test_hold_out_last_hides_only_long_enough_histories() -> None:
    held = hold_out_last({"a": ["1", "2", "3"], "b": ["1", "2"]}, min_length=3)
    assert held.users == ["a"] and held.targets == {"a": "3"}
    assert held.train == {"a": ["1", "2"], "b": ["1", "2"]}


def _model(histories: list[list[str]]) -> RecsModel:
    return RecsModel.fit(histories, IDS, SequenceParams(window=3), FactorParams(factors=4, iterations=5))


# Three "tastes": P0 -> P1 -> P2 is a chain many shoppers follow; P3..P5 are bought together in any order.
HISTORIES = [["P0", "P1", "P2"]] * 12 + [["P3", "P4", "P5"], ["P5", "P3", "P4"], ["P4", "P5", "P3"]] * 4 + [["P9"]] * 30


def test_fuse_merges_every_source_without_duplicates_or_excluded_items() -> None:
    model = _model(HISTORIES)
    texts = np.eye(len(IDS), 4, dtype=np.float32)
    fused = fuse(MatrixSources(model, texts), ["P0"], texts[7].astype(np.float64), {"P0"}, FusionParams(popular_pool=3))
    assert len(fused.keys) == len(set(fused.keys)) and "P0" not in fused.keys
    assert {"P1", "P2"} <= set(fused.keys)  # next after P0
    assert "P9" in fused.keys  # popular
    assert fused.features.shape == (len(fused.keys), len(FEATURES))
    assert fused.features.min() >= 0.0 and fused.features.max() <= 1.0
    nxt = fused.features[:, FEATURES.index("next")]
    assert fused.keys[int(np.argmax(nxt))] == "P1" and fused.because["P1"] == "P0"


def test_the_newest_item_steers_the_sequence_sources() -> None:
    model = _model(HISTORIES)
    fused = fuse(MatrixSources(model, None), ["P3", "P0"], None, {"P3", "P0"}, FusionParams(position_decay=0.1))
    weights = {"next": 1.0}
    top = rankings([type("S", (), {"keys": fused.keys, "features": fused.features})()], weights, k=1)[0]
    assert top == ["P1"]
    assert reason(fused.features[fused.keys.index("P1")], {"next": 1.0, "popular": 0.1}) == "next"


def test_fit_weights_finds_the_feature_that_predicts_the_target() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(60):
        features = rng.random((20, len(FEATURES)))
        target = int(rng.integers(20))
        features[target, FEATURES.index("together")] = 1.5  # only "together" knows the answer
        groups.append((features, target))
    weights, quality = fit_weights(groups, start={name: 1.0 for name in FEATURES})
    assert quality["hit_rate"] == 1.0
    assert weights["together"] > max(v for k, v in weights.items() if k != "together")
    assert blend(groups[0][0], weights).argmax() == groups[0][1]


def test_fused_beats_popular_on_held_out_sequences() -> None:
    """A planted world: each shopper follows one of four chains; the held-out next item is learnable."""
    rng = np.random.default_rng(3)
    chains = [[f"P{c * 3 + i}" for i in range(3)] for c in range(4)]
    ids = [f"P{i}" for i in range(12)]
    histories = {}
    for u in range(200):
        chain = chains[int(rng.integers(4))]
        noise = [ids[int(i)] for i in rng.choice(12, 2, replace=False) if ids[int(i)] not in chain]
        histories[f"u{u}"] = [*noise, *chain]
    found = holdout_experiment(
        histories,
        ids,
        None,
        SequenceParams(window=3),
        FactorParams(factors=4, iterations=5),
        FusionParams(popular_pool=5),
        users=200,
    )
    assert found.fitted_on == found.reported_on == 100
    assert found.rows["fused"]["hit@10"] >= found.rows["popular"]["hit@10"]
    assert found.rows["fused"]["ndcg@10"] > found.rows["popular"]["ndcg@10"]
    assert found.rows["next"]["hit@10"] == pytest.approx(1.0)
    for row in found.rows.values():
        assert row["hit@10 low"] <= row["hit@10"] <= row["hit@10 high"]
        assert 0.0 < row["coverage"] <= 1.0 and 0.0 <= row["popularity_bias"] <= 1.0


def test_score_users_marks_a_target_outside_the_candidates() -> None:
    model = _model(HISTORIES)
    scored = score_users(
        MatrixSources(model, None),
        ["u"],
        {"u": ["P0"]},
        {"u": "P11"},
        lambda u: None,
        FusionParams(popular_pool=1),
        "test",
    )
    assert scored[0].target == -1
