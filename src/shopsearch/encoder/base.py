"""What every encoder runtime offers (torch or ONNX Runtime); importing this loads neither."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict

import numpy as np
from tqdm import tqdm

if TYPE_CHECKING:
    from shopsearch.config import ModelSettings


class RuntimeOptions(TypedDict):
    """What both runtimes take from `model:` besides the model itself."""

    max_length: int
    batch_size: int | None
    threads: int | None
    query_prefix: str
    document_prefix: str


def runtime_options(model: ModelSettings) -> RuntimeOptions:
    """The options both runtimes read from `model:`."""
    return {
        "max_length": model.max_length,
        "batch_size": model.batch_size,
        "threads": model.threads,
        "query_prefix": model.query_prefix,
        "document_prefix": model.document_prefix,
    }


class TextEncoder(Protocol):
    """Texts in, L2-normalised float32 vectors out; ``model_id`` names the vector space (model and weights),
    ``space_id`` everything that changes the vectors (the vector cache's namespace)."""

    model_dir: Path
    runtime: str  # model.runtime's value: torch or onnx
    dimension: int
    max_length: int
    model_id: str

    @property
    def space_id(self) -> str: ...

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class BatchEncoder(ABC):
    """The batching both runtimes share; a runtime supplies ``_encode_batch`` and the attributes it reads."""

    dimension: int
    batch_size: int
    query_prefix: str
    document_prefix: str

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([self.document_prefix + t for t in texts], progress, "encoding products")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], False, "encoding queries")

    def _encode(self, texts: list[str], progress: bool, label: str) -> np.ndarray:
        """Encode in batches of similar length (less padding), then restore the caller's order."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with tqdm(total=len(texts), desc=label, unit="text", disable=not progress) as bar:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                out[chunk] = self._encode_batch([texts[i] for i in chunk])
                bar.update(len(chunk))
        return out

    @abstractmethod
    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """One batch of texts to unit vectors."""
