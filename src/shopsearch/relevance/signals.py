"""The built-in signals: text (BM25), semantic (query vector), coverage (query terms in the product's
words), personal (user vector), business, and ltr (a LambdaMART ranker trained by `shopsearch learn`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from shopsearch import text
from shopsearch.plugins.base import Candidates, Context, Signal, SignalParams, profile_path
from shopsearch.relevance import features
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


class CoverageParams(SignalParams):
    fields: list[Literal["title", "brand", "category"]] = Field(default=list(text.PRODUCT_FIELDS), min_length=1)
    fuzzy: bool = Field(default=True, description="A word 80% like the query's (a typo) or two joined count too.")


class CoverageSignal(Signal):
    """The share of the query's content terms (sizes and units spelled one way) found in the product's
    title, brand and category: BM25 alone lets one rare word outrank a title that has every word."""

    name = "coverage"
    Params = CoverageParams
    params: CoverageParams

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        asked = text.content_terms(text.terms(context.query))
        if not asked:
            return None
        measure = text.fuzzy_coverage if self.params.fuzzy else text.coverage
        return np.array([measure(asked, text.product_terms(s, self.params.fields)) for s in candidates.sources])


class PersonalSignal(Signal):
    """cos(p_u, v_d): the shopper vector against the item vector; absent user, no term."""

    name = "personal"
    needs_vectors = True

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        return None if context.user_vector is None else cosine(candidates.vectors, context.user_vector)


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
        return {
            "source": source,
            "lang": "painless",
            "params": {"ws": p.sales_weight, "wp": self._price_weight(), "cap": p.sales_cap, "scale": p.price_scale},
        }


class RankerParams(SignalParams):
    model: Path = Field(description="LightGBM model file written by `shopsearch learn` (relative: to the profile).")

    @field_validator("model")
    @classmethod
    def _exists(cls, value: Path, info: ValidationInfo) -> Path:
        path = profile_path(value, info)
        if not path.is_file():
            raise ValueError(f"no ranker model at {path}")
        return path


class RankerSignal(Signal):
    """A LambdaMART ranker (LightGBM) over the candidate features of relevance.features, min-max
    scaled over the candidates; `explain` shows each feature's share (LightGBM's pred_contrib)."""

    name = "ltr"
    Params = RankerParams
    params: RankerParams
    needs_vectors = True

    def __init__(self, params: RankerParams) -> None:
        import lightgbm  # here, not at the top: a profile without a ranker never loads it

        super().__init__(params)
        try:
            self.booster = lightgbm.Booster(model_file=str(params.model))
        except lightgbm.basic.LightGBMError as exc:
            raise ValueError(f"{params.model} is not a LightGBM model: {exc}") from None
        if tuple(self.booster.feature_name()) != features.FEATURES:
            raise ValueError(f"{params.model} was trained on other features; retrain it with `shopsearch learn`")

    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        if not context.query or not candidates.ids:
            return None
        return minmax(self._predict(features.extract(candidates, context)))

    def _predict(self, matrix: np.ndarray, **options: bool) -> np.ndarray:
        # One thread: a few hundred rows gain nothing from more, and API workers share the cores.
        # A dense matrix in, a dense array out (sparse results are only for sparse input).
        return cast(np.ndarray, self.booster.predict(matrix, num_threads=1, **options))

    def contributions(self, candidates: Candidates, context: Context) -> dict[str, np.ndarray] | None:
        """Each feature's part of the scaled value (pred_contrib over the raw score, scaled like it)."""
        if not context.query or not candidates.ids:
            return None
        matrix = features.extract(candidates, context)
        raw = self._predict(matrix)
        spread = raw.max() - raw.min()
        parts = self._predict(matrix, pred_contrib=True)[:, :-1] / (spread if spread > 1e-12 else 1.0)
        return {name: parts[:, i] for i, name in enumerate(features.FEATURES) if np.any(parts[:, i])}


BUILTIN_SIGNALS: tuple[type[Signal], ...] = (
    TextSignal,
    SemanticSignal,
    CoverageSignal,
    PersonalSignal,
    BusinessSignal,
    RankerSignal,
)
