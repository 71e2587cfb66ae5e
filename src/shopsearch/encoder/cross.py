"""The cross-encoder: a BERT-family model that reads a query and a product's text together and gives one
relevance logit per pair (a sequence-classification head with one label).

A bi-encoder (``Encoder``) compares two vectors computed apart; reading both texts in one pass lets
every query word attend to every title word, which tells "hole saw" from "saw" far better, at the cost
of one model pass per pair: so it re-scores only a search's top candidates (relevance.rerank).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedTokenizerBase

from shopsearch.encoder.device import quantize_int8
from shopsearch.errors import EncoderError


class CrossEncoder:
    """Score (query, text) pairs with a model directory trained by `shopsearch learn --rerank`."""

    def __init__(self, model_dir: Path, max_length: int = 64, batch_size: int = 32, *, quantize: bool = False) -> None:
        if not (Path(model_dir) / "config.json").is_file():
            raise EncoderError(f"{model_dir} is not a model directory (no config.json)")
        self.model_dir, self.max_length, self.batch_size = Path(model_dir), max_length, batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(self.model_dir, local_files_only=True).eval()
        if model.config.num_labels != 1:
            raise EncoderError(f"{model_dir} has {model.config.num_labels} labels; a cross-encoder has one")
        self.model = quantize_int8(model) if quantize else model

    @torch.inference_mode()
    def scores(self, query: str, texts: list[str]) -> np.ndarray:
        """One logit per text: higher is more relevant to the query."""
        out = []
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            batch = pair_tokens(self.tokenizer, [query] * len(chunk), chunk, self.max_length)
            out.append(self.model(**batch).logits[:, 0].float().numpy())
        return np.concatenate(out) if out else np.empty(0, dtype=np.float32)


def pair_tokens(
    tokenizer: PreTrainedTokenizerBase, queries: list[str], texts: list[str], max_length: int
) -> dict[str, torch.Tensor]:
    """(query, text) pairs as one padded batch: how the cross-encoder reads them, in training and at search."""
    return dict(tokenizer(queries, texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"))
