"""The rerank stage: a cross-encoder re-scores a search's top candidates after the blend.

A profile switches it on with a `rerank:` section (written by `shopsearch learn --rerank`). The top
`top` candidates by blended score are read together with the query by the cross-encoder; each gets
weight · z(cross-encoder) in units of the blend's spread over them (scoring.rerank_shift), shown as
`explain["rerank"]`, and they are re-ordered by the sum. The rest keep their order behind them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shopsearch.indexer.writer import text_from_source
from shopsearch.plugins.base import Candidates, profile_path
from shopsearch.relevance.scoring import rerank_shift

if TYPE_CHECKING:
    from shopsearch.encoder.cross import CrossEncoder

TEXT_SEPARATOR = ". "


class RerankParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: Path = Field(
        description="Cross-encoder directory written by `shopsearch learn --rerank` (relative: to the profile)."
    )
    weight: float = Field(gt=0, description="The cross-encoder's z-score against the blend's (fitted by learn).")
    top: int = Field(default=30, ge=2, le=200, description="How many of the blend's best it re-scores.")
    fields: list[str] = Field(default=["title", "brand", "category"], min_length=1)
    max_length: int = Field(default=64, ge=16, le=512, description="Tokens of query and text together.")
    quantize: bool = Field(default=False, description="int8 Linear layers on the CPU: faster, scores move a little.")

    @field_validator("model")
    @classmethod
    def _exists(cls, value: Path, info: ValidationInfo) -> Path:
        path = profile_path(value, info)
        if not (path / "config.json").is_file():
            raise ValueError(f"no cross-encoder model directory at {path}")
        return path


def document(source: dict[str, Any], fields: list[str]) -> str:
    """A product's text as the cross-encoder reads it (training and search alike)."""
    return text_from_source(source, fields, TEXT_SEPARATOR)


class Reranker:
    """A profile's rerank stage: the loaded cross-encoder and its settings."""

    def __init__(self, params: RerankParams) -> None:
        from shopsearch.encoder.cross import CrossEncoder  # here: a profile without rerank never loads torch

        self.params = params
        self.model: CrossEncoder = CrossEncoder(params.model, params.max_length, quantize=params.quantize)

    def rerank(
        self, scores: np.ndarray, order: list[int], candidates: Candidates, query: str
    ) -> tuple[np.ndarray, list[int], np.ndarray]:
        """The new scores, order and each candidate's shift (0 outside the top)."""
        top = order[: self.params.top]
        judged = self.model.scores(query, [document(candidates.sources[i], self.params.fields) for i in top])
        shift = np.zeros(len(scores))
        shift[top] = rerank_shift(scores[top], judged, self.params.weight)
        moved = scores + shift
        head = sorted(top, key=lambda i: (-moved[i], candidates.ids[i]))
        return moved, head + order[len(top) :], shift
