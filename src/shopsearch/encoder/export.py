"""`shopsearch model export`: any local BERT-family directory (fine-tuned ones too) to ONNX, optionally int8.

The graph takes token ids and returns the pooled, L2-normalised vector, so the ONNX runtime needs
no torch and no pooling code. Dynamic int8 quantisation (onnxruntime.quantization) stores the
Linear weights as int8: smaller and faster on CPU, with vectors that move slightly (the export
prints how far, and benchmarks/encoder_runtime.py what it costs in NDCG).
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from shopsearch.encoder.encoder import Encoder
from shopsearch.encoder.onnx_runtime import META_FILE, OnnxEncoder
from shopsearch.encoder.pooling import l2_normalize, pool

OPSET = 17


class _Pooled(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, how: str) -> None:
        super().__init__()
        self.model, self.how = model, how

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        tokens = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return l2_normalize(pool(tokens, attention_mask, self.how))


def write_graph(
    module: torch.nn.Module, sample: dict[str, torch.Tensor], output: str, path: Path, tokens_out: bool = False
) -> None:
    """Trace `module` on the sample batch into an ONNX graph whose batch and token axes stay free (the
    inputs BERT takes: input_ids, attention_mask, token_type_ids where the tokenizer gives them); the
    output is one vector per text, or with `tokens_out` one per token."""
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    free = {0: "batch", 1: "tokens"}
    axes: dict[str, dict[int, str]] = {**{n: free for n in names}, output: free if tokens_out else {0: "batch"}}
    with warnings.catch_warnings():
        # The TorchScript exporter's tracer notes (Python branches on shapes it fixes) are expected here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            tuple(sample[n] for n in names),
            str(path),
            input_names=names,
            output_names=[output],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def export(model_dir: Path | None, out: Path, int8: bool = False) -> dict[str, Any]:
    """Write model.onnx (and model.int8.onnx), the tokenizer and onnx.json to `out`; returns the metadata."""
    source = Encoder(model_dir, device="cpu")
    out.mkdir(parents=True, exist_ok=True)
    sample = source.tokenizer(["a short text", "another one"], padding=True, return_tensors="pt")
    write_graph(_Pooled(source.model, source.pooling).eval(), dict(sample), "vector", out / "model.onnx")
    files = {"fp32": "model.onnx"}
    if int8:
        # Per-channel scales on the MatMul weights only: 0.992 mean cosine with fp32 on Home Depot titles,
        # against 0.958 for per-tensor scales over every op (quantize_dynamic's defaults).
        logging.disable(logging.WARNING)  # it logs every tensor it leaves alone at INFO, on the root logger
        try:
            quantize_dynamic(
                str(out / "model.onnx"),
                str(out / "model.int8.onnx"),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            logging.disable(logging.NOTSET)
        files["int8"] = "model.int8.onnx"
    source.tokenizer.save_pretrained(out)  # tokenizer.json, the fast tokenizer the runtime reads
    shutil.copy(source.model_dir / "config.json", out / "config.json")
    meta = {
        "source_model_id": source.model_id,
        "dimension": source.dimension,
        "pooling": source.pooling,
        "opset": OPSET,
        "files": files,
        "pad_id": source.tokenizer.pad_token_id or 0,
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def agreement(model_dir: Path | None, out: Path, texts: list[str], int8: bool) -> tuple[float, float]:
    """Mean and lowest cosine between the torch vectors and the exported model's, over `texts`."""
    reference = Encoder(model_dir, device="cpu").encode_documents(texts)
    exported = OnnxEncoder(out, int8=int8).encode_documents(texts)
    cosines = np.sum(reference * exported, axis=1)
    return float(cosines.mean()), float(cosines.min())
