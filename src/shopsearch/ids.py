"""Ids as OpenSearch limits document ids: 1 to 512 bytes of UTF-8 (a character count lets 200 emoji through)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

MAX_ID_BYTES = 512


def _fits(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > MAX_ID_BYTES:
        raise ValueError(f"at most {MAX_ID_BYTES} bytes of UTF-8, got {size}")
    return value


DocId = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_BYTES, description="1 to 512 bytes of UTF-8."), AfterValidator(_fits)
]
