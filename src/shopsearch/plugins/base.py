"""What a ranking signal is: a small unit a relevance profile switches on and weights.

A signal maps the candidate set (and the request context) to one value per candidate; the
searcher multiplies by the profile's weight and adds the signals up. A signal that does not apply
(no shopper vector, no query) returns None and drops out of the score and the explanation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo


@dataclass(frozen=True)
class Candidates:
    """The documents a search is choosing between, with what each retriever said about them."""

    ids: list[str]
    sources: list[dict[str, Any]]
    vectors: np.ndarray  # (n, d) unit item vectors
    bm25: np.ndarray  # raw BM25 score; 0 where the document was not a BM25 hit
    bm25_rank: np.ndarray  # 1-based rank in the BM25 list; 0 where absent
    knn_rank: np.ndarray  # 1-based rank in the k-NN list; 0 where absent

    def numbers(self, field: str) -> np.ndarray:
        """A numeric source field as floats, NaN where missing."""
        return np.array([float(s[field]) if s.get(field) is not None else np.nan for s in self.sources])


@dataclass(frozen=True)
class Context:
    """What the request knows: the query vector, the shopper vector, the fusion settings, the query."""

    query_vector: np.ndarray | None
    user_vector: np.ndarray | None
    normalization: str = "minmax"
    rrf_k: int = 60
    query: str = ""


class SignalParams(BaseModel):
    """Every signal has a weight; subclasses add their own parameters (validated at profile load)."""

    model_config = ConfigDict(extra="forbid")
    weight: float = Field(ge=0)


def profile_path(value: Path, info: ValidationInfo) -> Path:
    """A file a profile names: a relative path is relative to the profile's directory."""
    base = (info.context or {}).get("profile_dir")
    return value if value.is_absolute() or base is None else Path(base) / value


class Signal(ABC):
    """Base class for ranking signals; register a subclass under ``name`` (see registry)."""

    name: ClassVar[str]
    Params: ClassVar[type[SignalParams]] = SignalParams
    needs_vectors: ClassVar[bool] = False  # True: candidates must arrive with their item vectors

    def __init__(self, params: SignalParams) -> None:
        self.params = params

    @property
    def weight(self) -> float:
        return self.params.weight

    @abstractmethod
    def values(self, candidates: Candidates, context: Context) -> np.ndarray | None:
        """One value per candidate (before the weight), or None when the signal does not apply."""

    def contributions(self, candidates: Candidates, context: Context) -> dict[str, np.ndarray] | None:
        """How the value of each candidate splits into named parts (for `explain`), if the signal can say."""
        return None

    def engine_script(self) -> dict[str, Any] | None:
        """A painless script computing the same value inside OpenSearch (for browse), if the signal has one."""
        return None
