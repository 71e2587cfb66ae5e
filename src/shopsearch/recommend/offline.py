"""The recommendation model in memory: what `recs train` fits and writes, and what `recs eval` scores.

Histories are item ids in time order per shopper. `RecsModel.fit` builds the sequence tables and
the item factors; `MatrixSources` serves them to `fusion.fuse` from numpy, exactly as the
OpenSearch-backed sources do online (same tables, same pools, same features).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from shopsearch.recommend.factors import FactorParams, item_factors
from shopsearch.recommend.fusion import Described, FusionParams, Rows, Shopper
from shopsearch.recommend.sequences import SequenceParams, item_counts, tables


@dataclass
class RecsModel:
    ids: list[str]  # item index -> product id
    next_after: sp.csr_matrix
    together: sp.csr_matrix
    factors: np.ndarray
    counts: np.ndarray
    sequence: SequenceParams = field(default_factory=SequenceParams)
    factor_params: FactorParams = field(default_factory=FactorParams)

    @classmethod
    def fit(
        cls, histories: Sequence[Sequence[str]], ids: list[str], sequence: SequenceParams, factor_params: FactorParams
    ) -> RecsModel:
        position = {key: i for i, key in enumerate(ids)}
        encoded = [np.array([position[k] for k in h if k in position], dtype=np.int64) for h in histories]
        next_after, together = tables(encoded, len(ids), sequence)
        return cls(
            ids,
            next_after,
            together,
            item_factors(encoded, len(ids), factor_params),
            item_counts(encoded, len(ids)),
            sequence,
            factor_params,
        )

    def row(self, table: sp.csr_matrix, i: int) -> dict[str, float]:
        start, end = table.indptr[i], table.indptr[i + 1]
        return {self.ids[j]: float(v) for j, v in zip(table.indices[start:end], table.data[start:end])}

    def popular(self, k: int) -> list[str]:
        order = np.lexsort((np.arange(len(self.ids)), -self.counts))[:k]
        return [self.ids[i] for i in order if self.counts[i] > 0]


class MatrixSources:
    """`fusion.Sources` over a RecsModel and the catalog's text vectors (rows aligned with model.ids)."""

    def __init__(self, model: RecsModel, texts: np.ndarray | None) -> None:
        self.model, self.texts = model, texts
        self.position = {key: i for i, key in enumerate(model.ids)}
        self._popular = model.popular(1000)
        factored = np.flatnonzero(model.factors.any(axis=1))  # online, only these are indexed for k-NN
        self.by_factor = (factored, model.factors[factored])
        self.by_text = (np.arange(len(model.ids)), texts)

    def seeds(
        self, recent: Sequence[str], vector: np.ndarray | None, params: FusionParams, exclude: set[str]
    ) -> tuple[Rows, list[str]]:
        found: Rows = {}
        for key in recent:
            i = self.position.get(key)
            if i is not None:
                factor = self.model.factors[i]
                found[key] = (
                    self.model.row(self.model.next_after, i),
                    self.model.row(self.model.together, i),
                    factor if factor.any() else None,
                )
        return found, self._nearest(self.by_text, vector, params.profile_pool, exclude)

    def expand(self, shopper: Shopper, known: Sequence[str], params: FusionParams, exclude: set[str]) -> list[str]:
        return self._nearest(self.by_factor, shopper.factor, params.factor_pool, exclude)

    def _nearest(
        self, space: tuple[np.ndarray, np.ndarray | None], vector: np.ndarray | None, k: int, exclude: set[str]
    ) -> list[str]:
        """The k rows with the largest dot product (exact k-NN), excluded ids skipped."""
        rows, matrix = space
        if matrix is None or vector is None or k <= 0 or len(rows) == 0:
            return []
        scores = matrix @ vector.astype(matrix.dtype)
        take = min(k + len(exclude), len(rows))
        order = np.argpartition(-scores, take - 1)[:take]
        order = order[np.lexsort((order, -scores[order]))]
        return [self.model.ids[rows[i]] for i in order if self.model.ids[rows[i]] not in exclude][:k]

    def popular(self, k: int) -> list[str]:
        return self._popular[:k]

    def max_count(self) -> float:
        return float(self.model.counts.max(initial=0.0))

    def describe(self, keys: Sequence[str], vector: np.ndarray | None) -> Described:
        rows = [self.position[k] for k in keys if k in self.position]
        known = [k for k in keys if k in self.position]
        cosines = (
            self.texts[rows] @ vector.astype(self.texts.dtype)
            if self.texts is not None and vector is not None and rows
            else np.zeros(len(rows))
        )
        return Described(
            factors={k: self.model.factors[i] for k, i in zip(known, rows)},
            profile={k: float(c) for k, c in zip(known, cosines)},
            counts={k: float(self.model.counts[i]) for k, i in zip(known, rows)},
        )
