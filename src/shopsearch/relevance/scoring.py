"""Scoring math as pure numpy functions: normalisation, fusion, similarity, business value."""

from __future__ import annotations

import numpy as np


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the candidate set; a constant column becomes all ones (all equally good)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    low, high = values.min(), values.max()
    if high - low < 1e-12:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    scaled: np.ndarray = (values - low) / (high - low)
    return scaled


def rrf(ranks: np.ndarray, k: int) -> np.ndarray:
    """Reciprocal rank fusion term k+1 / (k + rank), so rank 1 scores 1; rank 0 means absent, scores 0."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks > 0, (k + 1) / (k + np.maximum(ranks, 1)), 0.0)


def cosine(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of each row with the query; rows and query are unit vectors, so a dot product."""
    return np.asarray(vectors, dtype=np.float64) @ np.asarray(query, dtype=np.float64)


def sales_term(sales: np.ndarray, cap: float) -> np.ndarray:
    """log1p(sales) / log1p(cap), capped at 1: best-sellers up, with diminishing returns."""
    term: np.ndarray = np.minimum(1.0, np.log1p(np.maximum(sales, 0)) / np.log1p(cap))
    return term


def cheaper_term(price: np.ndarray, scale: float) -> np.ndarray:
    """1 / (1 + price/scale): 1 for free, 0.5 at `scale`; an unknown price (NaN) scores 0."""
    value = 1.0 / (1.0 + np.asarray(price, dtype=np.float64) / scale)
    return np.nan_to_num(value, nan=0.0)


def mmr(scores: np.ndarray, vectors: np.ndarray, diversity: float, k: int) -> list[int]:
    """Maximal marginal relevance: pick k indices trading relevance for novelty.

    Each step takes argmax (1 - diversity) · minmax(score) - diversity · max cos(candidate, picked).
    diversity 0 is plain score order.
    """
    n = len(scores)
    order = sorted(range(n), key=lambda i: -scores[i])
    if diversity <= 0 or n <= 1:
        return order[:k]
    relevance = minmax(np.asarray(scores))
    similarity = np.asarray(vectors) @ np.asarray(vectors).T
    picked: list[int] = []
    left = list(order)
    while left and len(picked) < k:
        redundancy = similarity[np.ix_(left, picked)].max(axis=1) if picked else np.zeros(len(left))
        value = (1 - diversity) * relevance[left] - diversity * redundancy
        picked.append(left.pop(int(np.argmax(value))))
    return picked


def rerank_shift(scores: np.ndarray, judged: np.ndarray, weight: float) -> np.ndarray:
    """What a reranker adds to the top candidates' scores: weight · z(its scores), in units of the blend's
    spread over them, so they end ordered by z(blend) + weight · z(reranker)."""
    scores, judged = np.asarray(scores, dtype=np.float64), np.asarray(judged, dtype=np.float64)
    if judged.size < 2 or judged.std() < 1e-12:
        return np.zeros_like(judged)
    spread = scores.std()
    shift: np.ndarray = weight * (spread if spread > 1e-12 else 1.0) * (judged - judged.mean()) / judged.std()
    return shift
