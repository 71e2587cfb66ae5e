"""Pooling steps as pure tensor functions."""

from __future__ import annotations

import torch


def mean_pool(token_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors of each text, counting only real tokens (mask 1), not padding."""
    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)
    summed = (token_embeddings * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return summed / counts


def pool(token_embeddings: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """The text's vector as the model was trained to give it: its first ([CLS]) token's, or the mean."""
    return token_embeddings[:, 0] if how == "cls" else mean_pool(token_embeddings, attention_mask)


def l2_normalize(vectors: torch.Tensor) -> torch.Tensor:
    """Scale each row to unit length, so cosine similarity is a dot product."""
    return torch.nn.functional.normalize(vectors, p=2, dim=1)
