"""Text to vectors with a BERT-family model: mean pooling over the attention mask, L2-normalised.

``Encoder`` is the one way in, for documents (indexer) and queries (search API) alike.
"""

from shopsearch.encoder.encoder import Encoder

__all__ = ["Encoder"]
