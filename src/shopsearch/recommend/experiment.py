"""Offline experiments on purchase histories: hold out each shopper's last item, rank, measure.

Every rail is the fused candidate set ranked by one feature alone (popular, next after, together,
factors, profile) or by the learned blend (fused), so all of them see the same candidates and the
comparison is about ranking. Reported per rail: hit-rate@10 and NDCG@10 with 95% bootstrap
intervals over shoppers, catalog coverage (share of products recommended to anyone) and
popularity bias (mean popularity percentile of what is recommended: 0.5 is like a random product).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from tqdm import tqdm

from shopsearch.events.model import Event
from shopsearch.lab.plots import bootstrap_interval
from shopsearch.recommend.factors import FactorParams
from shopsearch.recommend.fusion import FEATURES, FusionParams, Sources, blend, fit_weights, fuse
from shopsearch.recommend.offline import MatrixSources, RecsModel
from shopsearch.recommend.sequences import SequenceParams
from shopsearch.users.store import SEQUENCE_TYPES
from shopsearch.users.vectors import sequence

RAILS = ("popular", "profile", "next", "together", "factors", "fused")
MIN_LENGTH = 3  # a history needs two items to learn from and one to hide


def histories_from_events(events: Iterable[Event]) -> dict[str, list[str]]:
    """Each shopper's carted and bought products in time order (as the users index keeps them online)."""
    touched: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for event in events:
        if event.type in SEQUENCE_TYPES and event.ts is not None:
            touched[event.user_id].append((event.product_id, event.ts))
    return {user: [key for key, _ in sequence(items)] for user, items in touched.items()}


@dataclass
class Holdout:
    users: list[str]
    train: dict[str, list[str]]  # every shopper's history, the held-out ones without their last item
    targets: dict[str, str]  # shopper -> held-out last item


def hold_out_last(histories: dict[str, list[str]], min_length: int = MIN_LENGTH) -> Holdout:
    """Hide the last item of every history of at least `min_length` items."""
    train, targets = {}, {}
    for user, items in histories.items():
        if len(items) >= min_length:
            train[user], targets[user] = items[:-1], items[-1]
        else:
            train[user] = items
    return Holdout(sorted(targets), train, targets)


def sample(users: Sequence[str], size: int, seed: int = 7) -> list[str]:
    users = sorted(users)
    return users if len(users) <= size else sorted(random.Random(seed).sample(users, size))


@dataclass
class Scored:
    """One shopper's candidates and features, and where the target is among them (-1: not there)."""

    user: str
    keys: list[str]
    features: np.ndarray
    target: int


def score_users(
    sources: Sources,
    users: Sequence[str],
    histories: dict[str, list[str]],
    targets: dict[str, str],
    vectors: Callable[[str], np.ndarray | None],
    params: FusionParams,
    desc: str,
) -> list[Scored]:
    found = []
    for user in tqdm(users, desc=desc, unit="shopper", disable=None):
        history = histories.get(user, [])
        fused = fuse(sources, history, vectors(user), set(history), params)
        target = targets[user]
        found.append(Scored(user, fused.keys, fused.features, fused.keys.index(target) if target in fused.keys else -1))
    return found


def rail_weights(rail: str, fused: dict[str, float]) -> dict[str, float]:
    return fused if rail == "fused" else {rail: 1.0}


def rankings(scored: Sequence[Scored], weights: dict[str, float], k: int = 10) -> list[list[str]]:
    ranked = []
    for item in scored:
        scores = blend(item.features, weights)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        ranked.append([item.keys[i] for i in order])
    return ranked


def per_shopper_gains(
    scored: Sequence[Scored], targets: dict[str, str], weights: dict[str, float], k: int = 10
) -> tuple[np.ndarray, list[list[str]]]:
    """NDCG@k with one relevant item (1/log2(rank + 2), 0 when missed) per shopper, and the lists."""
    lists = rankings(scored, weights, k)
    return np.array([_gain(ranked, targets[s.user]) for ranked, s in zip(lists, scored)]), lists


def report(
    scored: Sequence[Scored],
    targets: dict[str, str],
    fused: dict[str, float],
    counts: dict[str, float],
    catalog_size: int,
    k: int = 10,
) -> tuple[dict[str, dict[str, float]], dict[str, np.ndarray]]:
    """The metrics of every rail (see the module docstring), and the per-shopper NDCG behind them."""
    percentile = _percentiles(counts, catalog_size)
    rows, gains_of = {}, {}
    for rail in RAILS:
        gains, lists = per_shopper_gains(scored, targets, rail_weights(rail, fused), k)
        recommended = [key for ranked in lists for key in ranked]
        rows[rail] = {
            **_mean_and_interval("hit@10", (gains > 0).astype(float)),
            **_mean_and_interval("ndcg@10", gains),
            "coverage": len(set(recommended)) / max(catalog_size, 1),
            "popularity_bias": float(np.mean([percentile.get(key, 0.0) for key in recommended]))
            if recommended
            else 0.0,
        }
        gains_of[rail] = gains
    return rows, gains_of


def _gain(ranked: list[str], target: str) -> float:
    return 1.0 / np.log2(ranked.index(target) + 2) if target in ranked else 0.0


def _mean_and_interval(name: str, values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return {name: 0.0, f"{name} low": 0.0, f"{name} high": 0.0}
    low, high = bootstrap_interval(values)
    return {name: float(values.mean()), f"{name} low": low, f"{name} high": high}


def _percentiles(counts: dict[str, float], catalog_size: int) -> dict[str, float]:
    """Each product's popularity percentile in the catalog (never-bought products sit at the bottom)."""
    ordered = sorted(counts.items(), key=lambda item: item[1])
    unseen = catalog_size - len(ordered)
    return {key: (unseen + rank + 1) / max(catalog_size, 1) for rank, (key, _) in enumerate(ordered)}


def table(rows: dict[str, dict[str, float]], users: int) -> str:
    lines = [f"{'rail':10}{'hit@10':>22}{'ndcg@10':>22}{'coverage':>10}{'pop. bias':>10}"]
    for rail, row in rows.items():
        lines.append(
            f"{rail:10}{_cell(row, 'hit@10')}{_cell(row, 'ndcg@10')}"
            f"{row['coverage']:>10.3f}{row['popularity_bias']:>10.3f}"
        )
    lines.append(
        f"{users} shoppers; [95% bootstrap interval]; the rails rank one candidate set each by "
        f"{', '.join(FEATURES)} alone, or by the learned blend (fused)"
    )
    return "\n".join(lines)


def _cell(row: dict[str, float], name: str) -> str:
    return f"{row[name]:>8.4f} [{row[name + ' low']:.3f}-{row[name + ' high']:.3f}]"


def unit_mean_profiles(
    ids: list[str], texts: np.ndarray | None, histories: dict[str, list[str]]
) -> Callable[[str], np.ndarray | None]:
    """Offline shopper vectors: the unit mean of the history's text vectors (online, the shopper vector
    is the time-decayed, type-weighted one from `users.vectors`; for a purchase log they nearly agree)."""
    if texts is None:
        return lambda user: None
    row = {key: i for i, key in enumerate(ids)}

    def vector(user: str) -> np.ndarray | None:
        rows = [row[key] for key in histories.get(user, []) if key in row]
        if not rows:
            return None
        total = texts[rows].astype(np.float64).sum(axis=0)
        norm = float(np.linalg.norm(total))
        return total / norm if norm > 1e-12 else None

    return vector


@dataclass
class Experiment:
    weights: dict[str, float]
    rows: dict[str, dict[str, float]]
    gains: dict[str, np.ndarray]  # rail -> per-shopper NDCG@10 (hit when > 0)
    fitted_on: int
    reported_on: int


def holdout_experiment(
    histories: dict[str, list[str]],
    ids: list[str],
    texts: np.ndarray | None,
    sequence_params: SequenceParams,
    factor_params: FactorParams,
    params: FusionParams,
    users: int,
    seed: int = 7,
) -> Experiment:
    """Hide each shopper's last item; fit the model on what is left; learn the blend on one half of a
    sample of shoppers and report every rail on the other half (nothing is fitted to what is reported)."""
    held = hold_out_last(histories)
    model = RecsModel.fit([held.train[u] for u in sorted(held.train)], ids, sequence_params, factor_params)
    sources = MatrixSources(model, texts)
    chosen = sample(held.users, users, seed)
    half = len(chosen) // 2
    fit_users, report_users = chosen[:half], chosen[half:]
    vectors = unit_mean_profiles(ids, texts, held.train)
    scored_fit = score_users(sources, fit_users, held.train, held.targets, vectors, params, "features (fit)")
    weights, _ = fit_weights([(s.features, s.target) for s in scored_fit], params.weights)
    scored = score_users(sources, report_users, held.train, held.targets, vectors, params, "features (report)")
    counts = {key: float(c) for key, c in zip(model.ids, model.counts) if c > 0}
    rows, gains = report(scored, held.targets, weights, counts, len(ids))
    return Experiment(weights, rows, gains, len(fit_users), len(report_users))
