"""Implicit-feedback matrix factorisation (the `implicit` package's ALS) over purchase histories.

Only the item factors are kept: a shopper's vector is the position-decayed sum of the factors of
their recent items, so a shopper who arrived after training is served at once, and retrieval is a
k-NN (inner product) over the item factors inside OpenSearch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class FactorParams:
    # Chosen on held-out last items of the amazon-games histories (implicit's defaults, alpha 1,
    # reached about half the hit-rate): strong confidence, strong regularisation.
    factors: int = 256
    regularization: float = 10.0
    alpha: float = 40.0  # confidence of an observed purchase: 1 + alpha
    iterations: int = 15
    seed: int = 7


def item_factors(histories: Sequence[np.ndarray], n_items: int, params: FactorParams, threads: int = 0) -> np.ndarray:
    """Item factors (n_items x factors, float32); items nobody bought get zero vectors."""
    lengths = [len(h) for h in histories]
    users = np.repeat(np.arange(len(histories)), lengths)
    items = np.concatenate([np.asarray(h, dtype=np.int64) for h in histories]) if histories else np.zeros(0, int)
    matrix = sp.csr_matrix((np.ones(len(items), dtype=np.float32), (users, items)), shape=(len(histories), n_items))
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, 1.0).astype(np.float32)
    # implicit's own threads do the work; a multi-threaded BLAS underneath would fight them.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.seed,
            num_threads=threads,
            calculate_training_loss=False,
        )
        model.fit(matrix, show_progress=False)
    factors = np.asarray(model.item_factors, dtype=np.float32)
    factors[np.asarray(matrix.sum(axis=0)).ravel() == 0] = 0.0
    return factors
