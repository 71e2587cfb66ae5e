"""The ONNX runtime: an export of any local BERT directory gives the torch vectors, and loads no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from shopsearch.config import load_settings
from shopsearch.encoder import Encoder, OnnxEncoder, load_encoder
from shopsearch.encoder.export import agreement, export
from shopsearch.errors import ConfigError, EncoderError

TEXTS = ["red cordless drill", "a much longer product title with many words in it", "菜刀", ""]


@pytest.fixture(scope="module")
def exported(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onnx") / "tiny"
    meta = export(tiny_bert_dir, out, int8=True)
    assert meta["files"] == {"fp32": "model.onnx", "int8": "model.int8.onnx"} and meta["dimension"] == 32
    return out


def test_the_export_reproduces_the_torch_vectors(tiny_bert_dir: Path, exported: Path) -> None:
    torch_vectors = Encoder(tiny_bert_dir, max_length=64).encode_documents(TEXTS)
    onnx = OnnxEncoder(exported, max_length=64)
    assert np.allclose(onnx.encode_documents(TEXTS), torch_vectors, atol=1e-5)
    assert onnx.model_id == Encoder(tiny_bert_dir).model_id  # the same vector space: the index check passes
    assert onnx.space_id != Encoder(tiny_bert_dir).space_id  # but its own vector cache
    mean, lowest = agreement(tiny_bert_dir, exported, TEXTS, int8=True)
    assert 0.5 < lowest <= mean <= 1.0 + 1e-6


def test_settings_pick_the_runtime(exported: Path) -> None:
    encoder = load_encoder(load_settings(model={"runtime": "onnx", "path": exported, "quantize": True}).model)
    assert isinstance(encoder, OnnxEncoder) and encoder.int8 and encoder.encode_queries(["drill"]).shape == (1, 32)
    with pytest.raises(ConfigError, match="runtime onnx: path must be a directory written by `shopsearch model"):
        load_settings(model={"runtime": "onnx"})


def test_an_export_without_int8_says_how_to_make_one(tiny_bert_dir: Path, tmp_path: Path) -> None:
    export(tiny_bert_dir, tmp_path / "fp32")
    with pytest.raises(EncoderError, match="export it with `shopsearch model export --int8`"):
        OnnxEncoder(tmp_path / "fp32", int8=True)
    with pytest.raises(EncoderError, match="not an export of `shopsearch model export`"):
        OnnxEncoder(tmp_path)


def test_an_onnx_process_never_imports_torch(exported: Path) -> None:
    code = (
        "import sys\nfrom shopsearch.config import load_settings\nfrom shopsearch import wiring\n"
        "from shopsearch.search_api.app import create_app\n"
        f"settings = load_settings(model={{'runtime': 'onnx', 'path': {str(exported)!r}}})\n"
        "wiring.encoder(settings).encode_queries(['drill'])\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))[:5]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
