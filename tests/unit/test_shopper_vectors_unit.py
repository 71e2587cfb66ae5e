"""Pure parts of events and recommendations: decayed shopper-vector sums, event parsing, co-occurrence, MMR."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shopsearch.events.model import parse_batch
from shopsearch.recommend.cf import co_occurrence
from shopsearch.relevance.scoring import mmr
from shopsearch.users.vectors import Touch, accumulate, direction

DAY = 86400.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_half_life_halves_an_old_event() -> None:
    old = Touch(T0, 1.0, np.array([1.0, 0.0]))
    new = Touch(T0 + timedelta(days=30), 1.0, np.array([0.0, 1.0]))
    acc, ref = accumulate(None, None, [old, new], 30 * DAY)
    assert ref == new.ts and acc.tolist() == pytest.approx([0.5, 1.0])


touches = st.lists(
    st.tuples(
        st.integers(0, 1000), st.sampled_from([1.0, 2.0, 8.0]), st.lists(st.floats(-1, 1), min_size=3, max_size=3)
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60)
@given(touches, st.integers(1, 11))
def test_incremental_equals_one_pass_in_any_split(raw: list, split: int) -> None:
    """Events folded in two batches (in any time order) give the sum of one pass over all of them."""
    assume(split < len(raw))
    items = [Touch(T0 + timedelta(hours=h), w, np.array(v)) for h, w, v in raw]
    whole, _ = accumulate(None, None, items, 7 * DAY)
    first, ref = accumulate(None, None, items[:split], 7 * DAY)
    assert np.allclose(accumulate(first, ref, items[split:], 7 * DAY)[0], whole, atol=1e-9)


def test_direction_of_nothing_is_none() -> None:
    assert direction(np.zeros(3)) is None
    assert direction(np.array([3.0, 4.0])).tolist() == pytest.approx([0.6, 0.8])


def test_event_batches_are_checked_one_by_one() -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    valid, rejected = parse_batch(
        [
            {"user_id": "u", "type": "view", "product_id": "p"},
            {"user_id": "u", "type": "view", "product_id": "p", "ts": future},
            {"user_id": "", "type": "view", "product_id": "p"},
            {"user_id": "u", "type": "view", "product_id": "p", "colour": "red"},
            "not an object",
        ]
    )
    assert [i for i, _ in valid] == [0] and valid[0][1].ts is not None
    assert [(r["index"], r["field"]) for r in rejected] == [(1, "ts"), (2, "user_id"), (3, "colour"), (4, "event")]
    with pytest.raises(ValueError, match="1 to 1000"):
        parse_batch([])


def test_co_occurrence_scores_by_cosine_and_drops_rare_pairs() -> None:
    baskets = [{"a", "b"}, {"a", "b"}, {"a", "c"}, {"b", "c", "d"}]
    table = co_occurrence(baskets, min_count=2)
    assert table == {
        "a": [{"id": "b", "score": pytest.approx(2 / np.sqrt(3 * 3), abs=1e-6), "count": 2}],
        "b": [{"id": "a", "score": pytest.approx(2 / np.sqrt(3 * 3), abs=1e-6), "count": 2}],
    }


def test_mmr_trades_relevance_for_variety() -> None:
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    scores = np.array([1.0, 0.99, 0.5])
    assert mmr(scores, vectors, 0.0, 2) == [0, 1]
    assert mmr(scores, vectors, 0.5, 2) == [0, 2]
