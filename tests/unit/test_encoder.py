"""The encoder: mean pooling over the mask, unit vectors, order kept, any local BERT directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from shopsearch.encoder import Encoder
from shopsearch.encoder.pooling import l2_normalize, mean_pool
from shopsearch.errors import EncoderError


def test_mean_pool_ignores_padding() -> None:
    tokens = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert mean_pool(tokens, mask).tolist() == [[2.0, 3.0]]


def test_l2_normalize_gives_unit_rows() -> None:
    out = l2_normalize(torch.tensor([[3.0, 4.0], [0.0, 2.0]]))
    assert np.allclose(out.numpy(), [[0.6, 0.8], [0.0, 1.0]])


def test_tiny_bert_directory_works_and_sets_the_dimension(tiny_encoder: Encoder) -> None:
    texts = ["red running shoes", "a", "warm rain jacket for camping in the cold", "chef knife"]
    vectors = tiny_encoder.encode_documents(texts)
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching sorts by length; the output must still follow the input order.
    one_by_one = np.vstack([tiny_encoder.encode_documents([t]) for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-5)


def test_default_model_is_the_packaged_minilm(minilm_encoder: Encoder) -> None:
    assert minilm_encoder.dimension == 384
    assert minilm_encoder.model_id.startswith("all-MiniLM-L6-v2@")
    knife, paraphrase, unrelated = minilm_encoder.encode_queries(
        ["stainless steel chef knife", "sharp blade for cutting vegetables", "waterproof camping tent"]
    )
    assert float(knife @ paraphrase) > float(knife @ unrelated) + 0.2


def test_int8_quantisation_keeps_vectors_close(tiny_bert_dir: Path, tiny_encoder: Encoder) -> None:
    quantized = Encoder(tiny_bert_dir, max_length=64, quantize=True)
    assert quantized.quantized and quantized.space_id != tiny_encoder.space_id
    texts = ["chef knife", "summer dress"]
    cosines = np.sum(quantized.encode_documents(texts) * tiny_encoder.encode_documents(texts), axis=1)
    assert np.all(cosines > 0.95)


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="no config.json"):
        Encoder(tmp_path)
