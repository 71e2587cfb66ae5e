"""The Encoder: one batching core behind ``encode_documents`` and ``encode_queries``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from shopsearch.config import ModelSettings
from shopsearch.encoder.base import BatchEncoder, runtime_options
from shopsearch.encoder.device import default_batch_size, pick_device, quantize_int8, set_cpu_threads
from shopsearch.encoder.model_files import DEFAULT_MODEL_NAME, default_model_path, fingerprint, pooling
from shopsearch.encoder.pooling import l2_normalize, pool
from shopsearch.errors import EncoderError

# Never reach for a model hub: models load from a local directory only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from transformers import AutoModel, AutoTokenizer  # noqa: E402  (after the offline switches)
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # transformers leaves it unannotated


class Encoder(BatchEncoder):
    """Encode texts into L2-normalised float32 vectors; dimension comes from the model."""

    runtime = "torch"

    @classmethod
    def from_settings(cls, model: ModelSettings) -> Encoder:
        return cls(model.path, device=model.device, quantize=model.quantize, **runtime_options(model))

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        max_length: int = 256,
        batch_size: int | None = None,
        device: str = "auto",
        quantize: bool = False,
        threads: int | None = None,
        query_prefix: str = "",
        document_prefix: str = "",
    ) -> None:
        if max_length < 8 or (batch_size is not None and batch_size < 1):
            raise EncoderError(f"max_length must be >= 8 and batch_size >= 1, got {max_length}, {batch_size}")
        self.model_dir = Path(model_dir) if model_dir else default_model_path()
        if not (self.model_dir / "config.json").is_file():
            raise EncoderError(f"{self.model_dir} is not a model directory (no config.json)")
        self.max_length = max_length
        self.query_prefix, self.document_prefix = query_prefix, document_prefix
        self.device = pick_device(device)
        self.batch_size = batch_size or default_batch_size(self.device)
        self.threads = set_cpu_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        model = AutoModel.from_pretrained(self.model_dir, local_files_only=True).eval()
        self.quantized = quantize and self.device.type == "cpu"
        self.model = (quantize_int8(model) if self.quantized else model).to(self.device)
        self.dimension = int(model.config.hidden_size)
        self.pooling = pooling(self.model_dir)
        name = DEFAULT_MODEL_NAME if model_dir is None else self.model_dir.name
        self.model_id = f"{name}@{fingerprint(self.model_dir)}"

    @property
    def space_id(self) -> str:
        """Everything that changes the vectors (model, truncation, quantisation): the cache namespace."""
        return f"{self.model_id}|len={self.max_length}|int8={self.quantized}"

    @torch.inference_mode()
    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(self.device)
        tokens = self.model(**batch).last_hidden_state
        return l2_normalize(pool(tokens, batch["attention_mask"], self.pooling)).float().cpu().numpy()
