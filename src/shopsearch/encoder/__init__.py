"""Text to vectors with a BERT-family model: mean pooling over the attention mask, L2-normalised.

Two runtimes behind one interface (``TextEncoder``): ``Encoder`` (torch, the model directory as
trained) and ``OnnxEncoder`` (ONNX Runtime, a directory written by `shopsearch model export`).
``load_encoder`` picks by ``model.runtime``; an ONNX process never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shopsearch.encoder.base import TextEncoder

if TYPE_CHECKING:
    from shopsearch.config import ModelSettings
    from shopsearch.encoder.encoder import Encoder
    from shopsearch.encoder.onnx_runtime import OnnxEncoder

__all__ = ["Encoder", "OnnxEncoder", "TextEncoder", "load_encoder"]


def load_encoder(model: ModelSettings) -> TextEncoder:
    """The encoder the model settings describe, in the runtime they name (`Encoder.from_settings` or
    `OnnxEncoder.from_settings`); only that runtime's libraries load."""
    if model.runtime == "onnx":
        from shopsearch.encoder.onnx_runtime import OnnxEncoder

        return OnnxEncoder.from_settings(model)
    from shopsearch.encoder.encoder import Encoder

    return Encoder.from_settings(model)


def __getattr__(name: str) -> Any:  # the runtimes load on first use only (torch is heavy)
    if name == "Encoder":
        from shopsearch.encoder.encoder import Encoder

        return Encoder
    if name == "OnnxEncoder":
        from shopsearch.encoder.onnx_runtime import OnnxEncoder

        return OnnxEncoder
    raise AttributeError(name)
