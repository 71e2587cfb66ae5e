"""Item vectors as compact base64 strings (little-endian float32) for the copy kept in _source.

Search fetches the vectors of a few hundred candidates per request; as JSON numbers they were most
of the bytes OpenSearch wrote and Python parsed, as base64 they are a third of the size and need
no number formatting or parsing.
"""

from __future__ import annotations

import base64

import numpy as np


def pack(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")
