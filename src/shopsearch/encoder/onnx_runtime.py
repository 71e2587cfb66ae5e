"""The ONNX Runtime encoder: a model exported by `shopsearch model export` (pooling and normalising
inside the graph) or imported by `shopsearch model import` (a graph of token states, pooled here),
tokenised by HF `tokenizers` and run by onnxruntime, with no torch in the process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from shopsearch.config import ModelSettings
from shopsearch.encoder.base import BatchEncoder, runtime_options
from shopsearch.errors import EncoderError

META_FILE = "onnx.json"  # written by the export or import: source model id, dimension, pooling, file names


def pool(states: np.ndarray, mask: np.ndarray, how: str) -> np.ndarray:
    """Token states (batch, tokens, dim) to L2-normalised vectors: the first token's (CLS) or the mean over
    the real tokens (mask 1), as `encoder.pooling` does in torch."""
    if how == "cls":
        vectors = states[:, 0]
    else:
        weights = mask[..., None].astype(states.dtype)
        vectors = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    unit: np.ndarray = (vectors / norms).astype(np.float32)
    return unit


class OnnxEncoder(BatchEncoder):
    """The same vectors as ``Encoder`` on the model it was exported from (fp32), or close to them (int8)."""

    runtime = "onnx"

    @classmethod
    def from_settings(cls, model: ModelSettings) -> OnnxEncoder:
        if model.path is None:  # the settings refuse runtime onnx without an exported directory
            raise EncoderError("runtime onnx: model.path must be a directory written by `shopsearch model export`")
        return cls(model.path, int8=model.quantize, **runtime_options(model))

    def __init__(
        self,
        model_dir: Path,
        *,
        int8: bool = False,
        max_length: int = 256,
        batch_size: int | None = None,
        threads: int | None = None,
        query_prefix: str = "",
        document_prefix: str = "",
    ) -> None:
        self.model_dir = Path(model_dir)
        try:
            meta = json.loads((self.model_dir / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EncoderError(
                f"{self.model_dir}: not an export of `shopsearch model export` nor an import of `model import` ({exc})"
            ) from None
        weights = meta["files"].get("int8" if int8 else "fp32")
        if weights is None:
            how = "import its int8 jar too" if meta.get("output") == "tokens" else "`shopsearch model export --int8`"
            raise EncoderError(f"{self.model_dir}: no {'int8' if int8 else 'fp32'} model; {how}")
        self.max_length, self.int8 = max_length, int8
        self.query_prefix, self.document_prefix = query_prefix, document_prefix
        self.batch_size = batch_size or 32
        self.dimension = int(meta["dimension"])
        self.model_id = meta["source_model_id"]  # the same vector space as the model it came from
        self.pooling = meta.get("pooling", "mean") if meta.get("output") == "tokens" else None
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=meta.get("pad_id", 0))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of spinning: they share the cores with the engine and the bulk
        # writers, and spinning cost a reindex a quarter of its speed (int8: 338 -> 449 docs/s, 2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.threads = options.intra_op_num_threads
        self.session = onnxruntime.InferenceSession(
            str(self.model_dir / weights), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]

    @property
    def space_id(self) -> str:
        return f"{self.model_id}|len={self.max_length}|int8={self.int8}|onnx"

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encodings], dtype=np.int64),
        }
        vectors: np.ndarray = self.session.run(None, {name: feeds[name] for name in self.inputs})[0]
        return vectors if self.pooling is None else pool(vectors, feeds["attention_mask"], self.pooling)
