"""Relevance profiles: weights, boosts and fusion settings as YAML files, validated at load, reloaded on change."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopsearch.errors import ConfigError, first_problem
from shopsearch.plugins.base import Signal
from shopsearch.relevance.registry import available_signals
from shopsearch.relevance.rerank import Reranker, RerankParams
from shopsearch.relevance.watched import WatchedDirectory
from shopsearch.users.vectors import Behaviour


class CandidateSizes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bm25: int = Field(default=200, ge=0, le=10_000)
    knn: int = Field(default=100, ge=0, le=10_000)
    # How far each segment's HNSW graph is searched (lucene's default: knn). On a million products in 44
    # segments, knn 50 found 0.85 of the true 10 nearest and ef_search 500 about 0.98 (benchmarks/scale.py).
    ef_search: int | None = Field(default=None, ge=1, le=10_000)
    # The relevance floor: when no product has any of the query's words, k-NN candidates below this cosine
    # are dropped, so a nonsense query finds nothing instead of its 50 nearest (benchmarks/relevance_floor.py).
    min_similarity: float | None = Field(default=None, ge=-1, le=1)


class ProfileFile(BaseModel):
    """The file's shape; ``signals`` maps a registered signal name to its parameters."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    candidates: CandidateSizes = Field(default_factory=CandidateSizes)
    normalization: Literal["minmax", "rrf"] = "minmax"
    rrf_k: int = Field(default=60, ge=1)
    fields: dict[str, float] = Field(min_length=1)
    fuzzy: float = Field(default=0.0, ge=0, description="Boost of a typo-tolerant copy of the BM25 query; 0 off.")
    signals: dict[str, dict[str, Any]] = Field(min_length=1)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    diversity: float = Field(default=0.0, ge=0, le=1, description="MMR trade-off: 0 off, 1 only novelty.")
    rerank: RerankParams | None = None


class RelevanceProfile:
    """A loaded profile: its settings and its signal objects, ready for the searcher."""

    def __init__(self, name: str, spec: ProfileFile, signals: list[Signal], reranker: Reranker | None = None) -> None:
        self.name, self.spec, self.signals, self.reranker = name, spec, signals, reranker

    @property
    def needs_vectors(self) -> bool:
        return any(signal.needs_vectors and signal.weight for signal in self.signals)

    def signal(self, name: str) -> Signal | None:
        return next((s for s in self.signals if s.name == name), None)


def load_profile(path: Path) -> RelevanceProfile:
    """Read one profile file; errors name the file and the key (unknown signals included)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = ProfileFile.model_validate(raw, context={"profile_dir": path.parent})
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_problem(exc)}") from None
    registry = available_signals()
    signals = []
    for name, params in spec.signals.items():
        if name not in registry:
            raise ConfigError(f"{path}: signals.{name}: unknown signal; available: {', '.join(sorted(registry))}")
        try:
            parsed = registry[name].Params.model_validate(params or {}, context={"profile_dir": path.parent})
            signals.append(registry[name](parsed))
        except ValidationError as exc:
            raise ConfigError(f"{path}: {first_problem(exc, f'signals.{name}.')}") from None
        except ValueError as exc:  # a signal that cannot start (e.g. a ranker model of other features)
            raise ConfigError(f"{path}: signals.{name}: {exc}") from None
    return RelevanceProfile(path.stem, spec, signals, _reranker(path, spec.rerank))


def _reranker(path: Path, params: RerankParams | None) -> Reranker | None:
    try:
        return Reranker(params) if params else None
    except (OSError, ValueError) as exc:  # a directory that is not a cross-encoder
        raise ConfigError(f"{path}: rerank.model: {exc}") from None


class ProfileSet:
    """All ``*.yaml`` profiles of a directory; re-read when a file changes (no restart needed)."""

    def __init__(self, directory: Path, default: str = "default") -> None:
        self.directory, self.default = Path(directory), default
        self._files = WatchedDirectory(self.directory, load_profile, "relevance profiles")
        if default not in self._files.current():
            raise ConfigError(f"{self.directory}: no default profile {default}.yaml")

    def names(self) -> list[str]:
        return sorted(self._files.current())

    def get(self, name: str | None) -> RelevanceProfile:
        """The named profile (KeyError if unknown); None gives the default."""
        return self._files.current()[name or self.default]
