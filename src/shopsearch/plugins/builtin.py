"""The built-in signals: text (BM25), semantic (query vector), personal (user vector), business."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from shopsearch.plugins.base import Candidates, Context, Signal, SignalParams
from shopsearch.relevance.scoring import cheaper_term, cosine, minmax, rrf, sales_term


class TextSignal(Signal):
    """BM25 relevance, normalised over the candidates (min-max of scores, or rank fusion)."""

    name = "text"

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        if not candidates.bm25_rank.any():
            return None
        if context.normalization == "rrf":
            return rrf(candidates.bm25_rank, context.rrf_k)
        return minmax(candidates.bm25)


class SemanticSignal(Signal):
    """Similarity of the query vector to the item vector, normalised like the text signal."""

    name = "semantic"
    needs_vectors = True

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        if context.query_vector is None:
            return None
        if context.normalization == "rrf":
            return rrf(candidates.knn_rank, context.rrf_k)
        return minmax(cosine(candidates.vectors, context.query_vector))


class PersonalSignal(Signal):
    """cos(p_u, v_d): the user's profile vector against the item vector; absent user, no term."""

    name = "personal"
    needs_vectors = True

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        if context.user_vector is None:
            return None
        return cosine(candidates.vectors, context.user_vector)


class BusinessParams(SignalParams):
    sales_weight: float = Field(default=1.0, ge=0)
    price_weight: float = Field(default=0.0, ge=0)
    sales_cap: float = Field(default=1000, gt=0)
    price_mode: Literal["cheaper", "none"] = "none"
    price_scale: float = Field(default=100, gt=0)


class BusinessSignal(Signal):
    """A normalised blend of sales (log1p, capped) and price (cheaper is better), in [0, 1]."""

    name = "business"
    Params = BusinessParams
    params: BusinessParams

    def _price_weight(self) -> float:
        return self.params.price_weight if self.params.price_mode == "cheaper" else 0.0

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        p, price_weight = self.params, self._price_weight()
        sales = np.nan_to_num(candidates.numbers("sales"), nan=0.0)
        total = p.sales_weight * sales_term(sales, p.sales_cap)
        if price_weight:
            total = total + price_weight * cheaper_term(candidates.numbers("price"), p.price_scale)
        return total / max(p.sales_weight + price_weight, 1e-12)

    def engine_script(self) -> dict[str, Any]:
        """The same formula in painless, for browse (empty query) sorted inside OpenSearch."""
        source = (
            "double s = doc['sales'].size() == 0 ? 0 : doc['sales'].value;"
            "double v = params.ws * Math.min(1.0, Math.log1p(Math.max(s, 0)) / Math.log1p(params.cap));"
            "if (params.wp > 0 && doc['price'].size() > 0) { v += params.wp / (1.0 + doc['price'].value / params.scale); }"
            "return v / Math.max(params.ws + params.wp, 1e-12);"
        )
        p = self.params
        return {"source": source, "lang": "painless",
                "params": {"ws": p.sales_weight, "wp": self._price_weight(), "cap": p.sales_cap, "scale": p.price_scale}}


BUILTIN_SIGNALS: tuple[type[Signal], ...] = (TextSignal, SemanticSignal, PersonalSignal, BusinessSignal)
