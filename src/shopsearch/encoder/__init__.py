"""Text to vectors with a BERT-family model: mean pooling over the attention mask, L2-normalised.

Two runtimes behind one interface (``TextEncoder``): ``Encoder`` (torch, the model directory as
trained) and ``OnnxEncoder`` (ONNX Runtime, a directory written by `shopsearch model export`).
``load_encoder`` picks by ``model.runtime``; an ONNX process never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shopsearch.encoder.base import RuntimeOptions, TextEncoder
from shopsearch.errors import EncoderError

if TYPE_CHECKING:
    from shopsearch.config import ModelSettings
    from shopsearch.encoder.encoder import Encoder
    from shopsearch.encoder.onnx_runtime import OnnxEncoder

__all__ = ["Encoder", "OnnxEncoder", "TextEncoder", "load_encoder"]


def load_encoder(model: ModelSettings) -> TextEncoder:
    """The encoder the model settings describe, in the runtime they name."""
    options: RuntimeOptions = {
        "max_length": model.max_length,
        "batch_size": model.batch_size,
        "threads": model.threads,
        "query_prefix": model.query_prefix,
        "document_prefix": model.document_prefix,
    }
    if model.runtime == "onnx":
        from shopsearch.encoder.onnx_runtime import OnnxEncoder

        if model.path is None:  # the settings refuse runtime onnx without an exported directory
            raise EncoderError("runtime onnx: model.path must be a directory written by `shopsearch model export`")
        return OnnxEncoder(model.path, int8=model.quantize, **options)
    from shopsearch.encoder.encoder import Encoder

    return Encoder(model.path, device=model.device, quantize=model.quantize, **options)


def __getattr__(name: str) -> Any:  # the runtimes load on first use only (torch is heavy)
    if name == "Encoder":
        from shopsearch.encoder.encoder import Encoder

        return Encoder
    if name == "OnnxEncoder":
        from shopsearch.encoder.onnx_runtime import OnnxEncoder

        return OnnxEncoder
    raise AttributeError(name)
