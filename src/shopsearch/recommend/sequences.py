"""Sequence-aware co-occurrence from ordered purchase histories (pure numpy/scipy).

Within each history, item i at step t and item j at step t+d (1 <= d <= window) add decay^(d-1)
to the directed count C[i, j]. Two tables come from it, kept apart:

- next after:   N = C / (n_i^a · n_j^b)              what shoppers take next after i
- together:     T = (C + r · C^T) / (n_i^a · n_j^b)  bought near i, before it counting r as much

n_i is how many histories hold i; a and b damp popular items on either side (a = b = 0.5 is the
cosine of the classic bought-together table). Each row keeps its `top` best neighbours, which is
what is stored in OpenSearch and what the offline evaluation scores with, so both see one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class SequenceParams:
    window: int = 50  # steps ahead that still count as co-occurring
    decay: float = 1.0  # weight of a pair d steps apart: decay^(d-1)
    a: float = 0.5  # damping of the source item's popularity
    b: float = 0.2  # damping of the neighbour's popularity
    backward: float = 0.5  # r: weight of "bought before i" in the together table
    top: int = 100  # neighbours kept per item and table


def item_counts(histories: Sequence[np.ndarray], n_items: int) -> np.ndarray:
    """In how many histories each item appears."""
    unique = [np.unique(h) for h in histories if len(h)]
    return np.bincount(np.concatenate(unique), minlength=n_items).astype(np.float64) if unique else np.zeros(n_items)


def directed_counts(histories: Sequence[np.ndarray], n_items: int, params: SequenceParams) -> sp.csr_matrix:
    """C[i, j]: decayed count of j following i within the window."""
    lengths = np.array([len(h) for h in histories], dtype=np.int64)
    if lengths.sum() == 0:
        return sp.csr_matrix((n_items, n_items))
    items = np.concatenate([np.asarray(h, dtype=np.int64) for h in histories])
    owner = np.repeat(np.arange(len(histories)), lengths)
    rows, cols, values = [], [], []
    for d in range(1, params.window + 1):
        same = owner[:-d] == owner[d:]
        if not same.any():
            break
        rows.append(items[:-d][same])
        cols.append(items[d:][same])
        values.append(np.full(int(same.sum()), params.decay ** (d - 1)))
    if not rows:
        return sp.csr_matrix((n_items, n_items))
    counts = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n_items, n_items)
    )
    counts.setdiag(0)
    counts.eliminate_zeros()
    return counts


def _damped(counts: sp.csr_matrix, n: np.ndarray, params: SequenceParams) -> sp.csr_matrix:
    safe = np.maximum(n, 1.0)
    damped: sp.csr_matrix = (sp.diags(safe**-params.a) @ counts @ sp.diags(safe**-params.b)).tocsr()
    return damped


def top_per_row(matrix: sp.csr_matrix, top: int) -> sp.csr_matrix:
    """Keep each row's `top` largest entries (ties broken by column, so the result is deterministic)."""
    matrix = matrix.tocsr()
    rows, cols, values = [], [], []
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        if start == end:
            continue
        c, v = matrix.indices[start:end], matrix.data[start:end]
        keep = np.lexsort((c, -v))[:top]
        rows.append(np.full(len(keep), i))
        cols.append(c[keep])
        values.append(v[keep])
    if not rows:
        return sp.csr_matrix(matrix.shape)
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape)


def tables(
    histories: Sequence[np.ndarray], n_items: int, params: SequenceParams
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(next after, together), each pruned to `top` neighbours per item."""
    counts = directed_counts(histories, n_items, params)
    n = item_counts(histories, n_items)
    return (
        top_per_row(_damped(counts, n, params), params.top),
        top_per_row(_damped(counts + params.backward * counts.T, n, params), params.top),
    )


def position_weights(length: int, decay: float) -> np.ndarray:
    """Weights of a user's recent items, oldest first: the newest counts 1, the one before `decay`, ..."""
    return decay ** np.arange(length - 1, -1, -1, dtype=np.float64)
