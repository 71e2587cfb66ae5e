"""An imported BERT graph back to a transformers directory, so `shopsearch finetune` can train it.

`model import` gives a graph the ONNX runtime serves but nothing can train. Its weights are still
BERT's: the exporter keeps every bias and LayerNorm under its transformers name and stores each
Linear's weight, transposed, as the MatMul whose output that bias is added to. So the weights map
back by the graph's own wiring, and the head count (not stored anywhere) is the one whose token
states match the graph's on a probe text.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import torch
from onnx import numpy_helper
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

from shopsearch.encoder.model_files import record_pooling
from shopsearch.encoder.onnx_runtime import META_FILE
from shopsearch.errors import EncoderError

PROBE = "3/4 in. copper pipe fitting, 20-Volt cordless drill"
TOLERANCE = 1e-3  # largest token-state difference from the graph's that still counts as the same model


def _bert_name(name: str) -> str | None:
    """`name` as BertModel calls it, without the wrapper's prefix ("model.", "bert."); None: not BERT's."""
    for start in ("embeddings.", "encoder.layer."):
        if name.startswith(start):
            return name
        if f".{start}" in name:
            return name[name.index(f".{start}") + 1 :]
    return None


def _weights(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """The graph's BERT weights under their transformers names."""
    stored = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:  # exporters also keep tensors in Constant nodes, and equal ones once behind Identity
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            stored[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == "Identity" and node.input[0] in stored:
            stored[node.output[0]] = stored[node.input[0]]
    named = {name: bert for name in stored if (bert := _bert_name(name))}
    weights = {named[name]: array for name, array in stored.items() if name in named}
    biases: dict[str, list[str]] = {}  # an Add's other input -> the named biases it adds
    for node in graph.node:
        if node.op_type == "Add":
            for name in node.input:
                biases.setdefault(name, []).extend(named[i] for i in node.input if i in named and i.endswith(".bias"))
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in stored and node.input[1] not in named:
            bias = biases.get(node.output[0], [])
            if len(bias) != 1:
                raise EncoderError(f"MatMul {node.name}: no one named bias follows it; not a BERT export")
            weights[bias[0].removesuffix(".bias") + ".weight"] = np.ascontiguousarray(stored[node.input[1]].T)
    return weights


def _config(weights: dict[str, np.ndarray], heads: int) -> BertConfig:
    layers = {int(name.split(".")[2]) for name in weights if name.startswith("encoder.layer.")}
    vocab, hidden = weights["embeddings.word_embeddings.weight"].shape
    return BertConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=len(layers),
        num_attention_heads=heads,
        intermediate_size=weights["encoder.layer.0.intermediate.dense.bias"].shape[0],
        max_position_embeddings=weights["embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=weights["embeddings.token_type_embeddings.weight"].shape[0],
    )


def _matching_model(graph_path: Path, weights: dict[str, np.ndarray], tokenizer: Tokenizer) -> BertModel:
    """The BertModel of `weights` whose token states on PROBE are nearest the graph's (the head count
    changes them only a little in a small random model, so every count is tried)."""
    ids = np.array([tokenizer.encode(PROBE).ids], dtype=np.int64)
    session = onnxruntime.InferenceSession(str(graph_path), providers=["CPUExecutionProvider"])
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    expected = session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})[0]
    hidden = weights["embeddings.word_embeddings.weight"].shape[1]
    tensors = {name: torch.from_numpy(array.copy()) for name, array in weights.items()}
    best: tuple[float, BertModel | None] = (TOLERANCE, None)
    for heads in (h for h in range(1, hidden // 8 + 1) if hidden % h == 0):  # heads of 8 dimensions or more
        model = BertModel(_config(weights, heads), add_pooling_layer=False)
        model.train(False)  # eval mode: no dropout
        missing, unexpected = model.load_state_dict(tensors, strict=False)
        if missing or unexpected:
            raise EncoderError(f"{graph_path}: not BERT's weights (missing {missing[:3]}, unexpected {unexpected[:3]})")
        with torch.inference_mode():
            gap = float(np.abs(model(input_ids=torch.from_numpy(ids)).last_hidden_state.numpy() - expected).max())
        best = min(best, (gap, model), key=lambda pair: pair[0])
    if best[1] is None:
        raise EncoderError(f"{graph_path}: no head count reproduces the graph's token states")
    return best[1]


def to_transformers(imported: Path, out: Path) -> dict[str, Any]:
    """Write the fp32 graph that `model import` put in `imported` as a transformers BERT directory `out`
    (weights, config, tokenizer, and the pooling the import recorded); returns what was written."""
    meta = json.loads((imported / META_FILE).read_text(encoding="utf-8"))
    if "fp32" not in meta["files"] or meta.get("output") != "tokens":
        raise EncoderError(f"{imported}: needs the fp32 graph of token states a `model import` wrote")
    graph_path = imported / meta["files"]["fp32"]
    tokenizer = Tokenizer.from_file(str(imported / "tokenizer.json"))
    model = _matching_model(graph_path, _weights(onnx.load(str(graph_path)).graph), tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    shutil.copy(imported / "tokenizer.json", out / "tokenizer.json")
    special = {f"{name}_token": f"[{name.upper()}]" for name in ("unk", "sep", "pad", "cls", "mask")}
    settings = {"tokenizer_class": "BertTokenizerFast", "model_max_length": model.config.max_position_embeddings}
    (out / "tokenizer_config.json").write_text(json.dumps({**settings, **special}), encoding="utf-8")
    record_pooling(out, meta["pooling"])
    return {
        "source_model_id": meta["source_model_id"],
        "layers": model.config.num_hidden_layers,
        "heads": model.config.num_attention_heads,
        "pooling": meta["pooling"],
    }
