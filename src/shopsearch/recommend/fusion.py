"""The fused for-you rail: candidates from several sources, one learned linear blend, a reason per item.

Sources of candidates for a shopper whose recent items are r_1..r_m (oldest first, position weight
w_k = g^(m-k), so the newest counts 1):
  next after   sum_k w_k · N[r_k, c]    (sequence table, `sequences.py`)
  together     sum_k w_k · T[r_k, c]
  factors      f_u · f_c with f_u = sum_k w_k · f_{r_k}   (ALS item factors, `factors.py`)
  profile      cos(p_u, v_c): p_u the shopper vector (text), the seed's s = cos(u, v)
  popular      log1p(n_c) / log1p(n_max)
Each feature is scaled to [0, 1] over the shopper's candidates, and score = w · features, with w
learned from the events themselves (`fit_weights`). The same `fuse` runs offline (on matrices, for
training and evaluation) and online (on what OpenSearch returns), through the `Sources` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from shopsearch.recommend.sequences import position_weights

FEATURES = ("next", "together", "factors", "profile", "popular")
DEFAULT_WEIGHTS = {"next": 1.0, "together": 1.0, "factors": 1.0, "profile": 0.25, "popular": 0.1}


@dataclass(frozen=True)
class FusionParams:
    recent: int = 20  # newest items of the shopper that seed the sequence sources (0.8^20 ~ 0.01)
    position_decay: float = 0.8  # g: weight of each older recent item
    # Pool sizes: halving them from 100/100/50/20 kept held-out hit@10 (0.1427 against 0.1430 on
    # 3,000 amazon-games shoppers) and halved the candidates, so the request time.
    sequence_pool: int = 50  # best next-after / together candidates kept
    factor_pool: int = 50  # k-NN candidates by item factors
    profile_pool: int = 30  # k-NN candidates by the shopper vector (text)
    popular_pool: int = 10
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass
class Described:
    """What the blend needs of each candidate; absent keys mean unknown (a zero feature)."""

    factors: dict[str, np.ndarray]
    profile: dict[str, float]  # the profile feature: cos(p_u, v_c), p_u the shopper vector
    counts: dict[str, float]


Rows = dict[str, tuple[dict[str, float], dict[str, float], "np.ndarray | None"]]


class Shopper(NamedTuple):
    """A shopper as the candidate pools see them: the factor (from their items' ALS factors) and the
    shopper vector (text), either missing for a new shopper."""

    factor: np.ndarray | None
    vector: np.ndarray | None


class Sources(Protocol):
    """Where the candidates and their data come from: matrices offline, OpenSearch online. The three
    calls are the three steps that depend on each other (online, one round trip each)."""

    def seeds(
        self, recent: Sequence[str], vector: np.ndarray | None, params: FusionParams, exclude: set[str]
    ) -> tuple[Rows, list[str]]:
        """For each known recent item: (next-after scores, together scores, item factor or None);
        and the profile pool (k-NN by the shopper vector)."""

    def expand(self, shopper: Shopper, known: Sequence[str], params: FusionParams, exclude: set[str]) -> list[str]:
        """The factor pool (k-NN by the shopper's factor); may describe `known` meanwhile."""

    def popular(self, k: int) -> list[str]: ...

    def max_count(self) -> float: ...

    def describe(self, keys: Sequence[str], vector: np.ndarray | None) -> Described: ...


@dataclass
class Fused:
    keys: list[str]
    features: np.ndarray  # candidates x FEATURES, scaled
    because: dict[str, str]  # candidate -> the recent item that brought it most (sequence sources)


def _accumulate(rows: Sequence[tuple[str, float, dict[str, float]]]) -> tuple[dict[str, float], dict[str, str]]:
    """Position-weighted sum of neighbour rows, and each candidate's strongest contributor."""
    total: dict[str, float] = {}
    best: dict[str, tuple[float, str]] = {}
    for source, weight, row in rows:
        for key, value in row.items():
            contribution = weight * value
            total[key] = total.get(key, 0.0) + contribution
            if contribution > best.get(key, (-1.0, ""))[0]:
                best[key] = (contribution, source)
    return total, {key: source for key, (_, source) in best.items()}


def _top(scores: dict[str, float], k: int, exclude: set[str]) -> list[str]:
    kept = [(v, key) for key, v in scores.items() if key not in exclude]
    kept.sort(key=lambda item: (-item[0], item[1]))
    return [key for _, key in kept[:k]]


def _scaled(values: np.ndarray) -> np.ndarray:
    """Into [0, 1] by the candidates' max (non-negative features) or min-max (signed ones)."""
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if high - low <= 1e-12:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def fuse(
    sources: Sources, recent: Sequence[str], vector: np.ndarray | None, exclude: set[str], params: FusionParams
) -> Fused:
    """Candidates of one shopper and their scaled features (no scoring yet: see `blend`)."""
    recent = list(recent)[-params.recent :]
    weights = position_weights(len(recent), params.position_decay)
    rows, profile_pool = sources.seeds(recent, vector, params, exclude)
    known = [(key, w) for key, w in zip(recent, weights) if key in rows]
    next_scores, next_from = _accumulate([(k, w, rows[k][0]) for k, w in known])
    together_scores, together_from = _accumulate([(k, w, rows[k][1]) for k, w in known])
    factored = [(w, rows[k][2]) for k, w in known if rows[k][2] is not None]
    user_factor = np.sum([w * f for w, f in factored], axis=0) if factored else None
    seen = list(
        dict.fromkeys(
            [
                *_top(next_scores, params.sequence_pool, exclude),
                *_top(together_scores, params.sequence_pool, exclude),
                *profile_pool,
                *[k for k in sources.popular(params.popular_pool) if k not in exclude],
            ]
        )
    )
    keys = list(dict.fromkeys([*seen, *sources.expand(Shopper(user_factor, vector), seen, params, exclude)]))
    described = sources.describe(keys, vector)
    columns = {
        "next": np.array([next_scores.get(k, 0.0) for k in keys]),
        "together": np.array([together_scores.get(k, 0.0) for k in keys]),
        "factors": _dots(user_factor, [described.factors.get(k) for k in keys]),
        "profile": np.array([described.profile.get(k, 0.0) for k in keys]),
        "popular": np.log1p([described.counts.get(k, 0.0) for k in keys]) / np.log1p(max(sources.max_count(), 1.0)),
    }
    scaled = {name: (_scaled(v) if name in ("next", "together", "factors") else v) for name, v in columns.items()}
    features = np.column_stack([scaled[name] for name in FEATURES]) if keys else np.zeros((0, len(FEATURES)))
    return Fused(keys, features, {**together_from, **next_from})


def _dots(vector: np.ndarray | None, rows: list[np.ndarray | None]) -> np.ndarray:
    if vector is None:
        return np.zeros(len(rows))
    return np.array([float(np.dot(vector, row)) if row is not None else 0.0 for row in rows])


def _vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(name, 0.0) for name in FEATURES])


def blend(features: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    blended: np.ndarray = features @ _vector(weights)
    return blended


def reason(features: np.ndarray, weights: dict[str, float]) -> str:
    """The feature that added most to this candidate's score."""
    return FEATURES[int(np.argmax(features * _vector(weights)))]


# --- learning the weights -----------------------------------------------------------------------


def hits_at(groups: Sequence[tuple[np.ndarray, int]], weights: dict[str, float], k: int = 10) -> np.ndarray:
    """Per shopper: 1/log2(rank + 2) when the held-out item is in the top k, else 0 (NDCG@k with one
    relevant item); a shopper whose item is not among the candidates scores 0."""
    gains = np.zeros(len(groups))
    w = _vector(weights)
    for i, (features, target) in enumerate(groups):
        if target < 0:
            continue
        scores = features @ w
        rank = int(np.sum(scores > scores[target]))  # ties in the target's favour
        if rank < k:
            gains[i] = 1.0 / np.log2(rank + 2)
    return gains


def fit_weights(
    groups: Sequence[tuple[np.ndarray, int]],
    start: dict[str, float] | None = None,
    k: int = 10,
    grid: Sequence[float] = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0),
    passes: int = 3,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Coordinate ascent on hit-rate@k (NDCG@k breaks ties), one weight at a time over a grid.

    `groups` are (features of a shopper's candidates, index of the held-out item or -1)."""
    weights = dict(start or DEFAULT_WEIGHTS)

    def quality(w: dict[str, float]) -> tuple[float, float]:
        gains = hits_at(groups, w, k)
        return float(np.mean(gains > 0)), float(np.mean(gains))

    best = quality(weights)
    history = [best]
    for _ in range(passes):
        improved = False
        for name in FEATURES:
            for value in grid:
                trial = {**weights, name: value}
                if not any(trial.values()):
                    continue
                score = quality(trial)
                if score > best:
                    weights, best, improved = trial, score, True
        history.append(best)
        if not improved:
            break
    return weights, {"hit_rate": best[0], "ndcg": best[1], "passes": history}
