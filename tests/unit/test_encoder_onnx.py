"""The ONNX runtime: an export of any local BERT directory gives the torch vectors, and loads no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shopsearch.config import load_settings
from shopsearch.encoder import Encoder, OnnxEncoder, load_encoder
from shopsearch.encoder.export import agreement, export, write_graph
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
    with pytest.raises(EncoderError, match="no int8 model; `shopsearch model export --int8`"):
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


def _token_states_jar(model_dir: Path, jar: Path, graph_name: str) -> Path:
    """A jar laid out as langchain4j's: a graph returning the token states, and the tokenizer."""
    import zipfile

    import torch

    encoder = Encoder(model_dir)

    class States(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = encoder.model  # a submodule: its weights trace as weights

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor):  # noqa: ANN201
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    sample = encoder.tokenizer(["a short text", "another one"], padding=True, return_tensors="pt")
    write_graph(States(), dict(sample), "last_hidden_state", jar.parent / graph_name, tokens_out=True)
    with zipfile.ZipFile(jar, "w") as out:
        out.write(jar.parent / graph_name, graph_name)
        out.write(model_dir / "tokenizer.json", "tiny-tokenizer.json")
        out.writestr("README", "a test jar")
    return jar


def test_an_imported_token_states_graph_pools_as_the_model_was_trained(tiny_bert_dir: Path, tmp_path: Path) -> None:
    import torch

    from shopsearch.encoder.onnx_import import import_model

    jar = _token_states_jar(tiny_bert_dir, tmp_path / "tiny.jar", "tiny.onnx")
    meta = import_model([str(jar)], tmp_path / "cls", "cls")
    assert meta["files"] == {"fp32": "model.onnx"} and meta["dimension"] == 32 and meta["pooling"] == "cls"
    assert meta["source_model_id"].startswith("tiny@")
    torch_encoder = Encoder(tiny_bert_dir, max_length=64)
    batch = torch_encoder.tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        cls = torch.nn.functional.normalize(torch_encoder.model(**batch).last_hidden_state[:, 0], dim=1).numpy()
    imported = load_encoder(load_settings(model={"runtime": "onnx", "path": tmp_path / "cls"}).model)
    assert np.allclose(imported.encode_documents(TEXTS), cls, atol=1e-5)
    import_model([str(jar)], tmp_path / "mean", "mean")  # mean pooling: the torch Encoder's vectors
    assert np.allclose(
        OnnxEncoder(tmp_path / "mean").encode_documents(TEXTS), torch_encoder.encode_documents(TEXTS), atol=1e-5
    )
    with pytest.raises(EncoderError, match="no int8 model; import its int8 jar too"):
        OnnxEncoder(tmp_path / "cls", int8=True)


def test_an_imported_graph_converts_back_to_a_model_the_torch_runtime_serves_and_finetune_trains(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    from shopsearch.encoder.from_onnx import to_transformers
    from shopsearch.encoder.model_files import pooling
    from shopsearch.encoder.onnx_import import import_model
    from shopsearch.lab.finetune import train

    jar = _token_states_jar(tiny_bert_dir, tmp_path / "tiny.jar", "tiny.onnx")
    import_model([str(jar)], tmp_path / "cls", "cls")
    written = to_transformers(tmp_path / "cls", tmp_path / "torch")
    assert (written["layers"], written["heads"], written["pooling"]) == (2, 2, "cls")  # the tiny BERT's
    converted = Encoder(tmp_path / "torch", max_length=64)
    assert converted.pooling == "cls" and Encoder(tiny_bert_dir).pooling == "mean"
    assert np.allclose(
        converted.encode_documents(TEXTS), OnnxEncoder(tmp_path / "cls").encode_documents(TEXTS), atol=1e-5
    )
    train(tmp_path / "torch", [("red drill", "red cordless drill"), ("sink", "steel sink")], tmp_path / "tuned")
    assert pooling(tmp_path / "tuned") == "cls"  # a fine-tuned copy pools as its source did
    assert export(tmp_path / "tuned", tmp_path / "tuned-onnx")["pooling"] == "cls"  # and so does its export
    assert np.allclose(
        OnnxEncoder(tmp_path / "tuned-onnx").encode_documents(TEXTS),
        Encoder(tmp_path / "tuned").encode_documents(TEXTS),
        atol=1e-5,
    )
    import_model([str(jar)], tmp_path / "mean", "mean")
    to_transformers(tmp_path / "mean", tmp_path / "torch-mean")
    assert np.allclose(
        Encoder(tmp_path / "torch-mean").encode_documents(TEXTS),
        Encoder(tiny_bert_dir).encode_documents(TEXTS),
        atol=1e-5,
    )


def test_a_conversion_names_what_it_cannot_use(tiny_bert_dir: Path, exported: Path, tmp_path: Path) -> None:
    from shopsearch.encoder.from_onnx import to_transformers

    with pytest.raises(EncoderError, match="needs the fp32 graph of token states"):
        to_transformers(exported, tmp_path / "out")  # an export's graph returns pooled vectors


def test_an_import_names_what_is_wrong_with_a_jar(tiny_bert_dir: Path, tmp_path: Path) -> None:
    import zipfile

    from shopsearch.encoder.onnx_import import import_model

    (tmp_path / "notes.txt").write_text("not a zip")
    with pytest.raises(EncoderError, match=r"notes.txt: not a jar"):
        import_model([str(tmp_path / "notes.txt")], tmp_path / "out", "cls")
    with zipfile.ZipFile(tmp_path / "empty.jar", "w") as jar:
        jar.writestr("README", "no model here")
    with pytest.raises(EncoderError, match=r"empty.jar: expected one \*.onnx inside, found 0"):
        import_model([str(tmp_path / "empty.jar")], tmp_path / "out", "cls")
    one = _token_states_jar(tiny_bert_dir, tmp_path / "one.jar", "tiny.onnx")
    with pytest.raises(EncoderError, match="a second fp32 model"):
        import_model([str(one), str(one)], tmp_path / "out", "cls")


@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(2, 8)),
        elements=st.floats(-4, 4, width=32),
    ),
    st.data(),
)
def test_numpy_pooling_is_the_torch_pooling(states: np.ndarray, data: st.DataObject) -> None:
    import torch

    from shopsearch.encoder.onnx_runtime import pool
    from shopsearch.encoder.pooling import l2_normalize, mean_pool

    batch, tokens, _ = states.shape
    lengths = data.draw(st.lists(st.integers(1, tokens), min_size=batch, max_size=batch))
    mask = (np.arange(tokens)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64)
    expected = l2_normalize(mean_pool(torch.from_numpy(states), torch.from_numpy(mask))).numpy()
    assert np.allclose(pool(states, mask, "mean"), expected, atol=1e-5)
    assert np.allclose(pool(states, mask, "cls"), l2_normalize(torch.from_numpy(states[:, 0])).numpy(), atol=1e-5)
