"""Shopper vectors from behaviour: a time-decayed, type-weighted sum of item vectors, kept incrementally.

The shopper vector keeps the unnormalised sum S at a reference time t_ref. An event of weight w on item v
at time t adds w · 2^-((t_ref - t)/h) · v; moving t_ref forward multiplies S by 2^-(Δ/h). The order
of events does not matter, so the incremental sum equals a rebuild from all events (up to rounding),
and p_u = S / |S| is the direction only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


def _default_event_weights() -> dict[Literal["view", "click", "cart", "purchase"], float]:
    return {"view": 1.0, "click": 2.0, "cart": 4.0, "purchase": 8.0}


class Behaviour(BaseModel):
    """How events build shopper vectors: weight per event type, and the half-life of their effect (a relevance
    profile's `behaviour:` section)."""

    model_config = ConfigDict(extra="forbid")
    weights: dict[Literal["view", "click", "cart", "purchase"], float] = Field(default_factory=_default_event_weights)
    half_life_days: float = Field(default=30.0, gt=0)

    @property
    def half_life_seconds(self) -> float:
        return self.half_life_days * 86400


def weighted_unit_mean(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """L2-normalised weighted mean of unit vectors; None when it is empty or cancels to zero."""
    vectors, weights = np.asarray(vectors, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    if vectors.size == 0 or weights.sum() <= 0:
        return None
    mean = (weights[:, None] * vectors).sum(axis=0) / weights.sum()
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 1e-9 else None


@dataclass(frozen=True)
class Touch:
    """One event as the shopper vector sees it: when, how much it counts, and the item's vector."""

    ts: datetime
    weight: float
    vector: np.ndarray


def decay(seconds: float | np.ndarray, half_life_seconds: float) -> float | np.ndarray:
    return np.power(0.5, np.asarray(seconds, dtype=np.float64) / half_life_seconds)


def accumulate(
    acc: np.ndarray | None, ref: datetime | None, touches: Sequence[Touch], half_life_seconds: float
) -> tuple[np.ndarray, datetime]:
    """Fold events into (S, t_ref); t_ref becomes the latest time seen."""
    new_ref = max([t.ts for t in touches] + ([ref] if ref else []))
    if acc is None:
        total = np.zeros_like(touches[0].vector, dtype=np.float64)
    elif ref is None:
        raise ValueError("an accumulated sum needs the reference time it was decayed to")
    else:
        total = acc * decay((new_ref - ref).total_seconds(), half_life_seconds)
    for touch in touches:
        total = total + touch.weight * decay((new_ref - touch.ts).total_seconds(), half_life_seconds) * touch.vector
    return total, new_ref


def direction(acc: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(acc))
    return acc / norm if norm > 1e-12 else None


def sequence(touched: Iterable[tuple[str, datetime]]) -> list[tuple[str, datetime]]:
    """Products in time order, each once at its latest time: a shopper's history as the recommender
    reads it (online from the shopper vector, offline from the events)."""
    latest: dict[str, datetime] = {}
    for key, ts in touched:
        if key not in latest or ts >= latest[key]:
            latest[key] = ts
    return sorted(latest.items(), key=lambda item: (item[1], item[0]))
