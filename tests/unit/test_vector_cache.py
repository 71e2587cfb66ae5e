"""The vector cache returns what was stored, per vector space, and misses everything else."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shopsearch.indexer.vector_cache import VectorCache, text_key


def test_round_trip_and_spaces_do_not_mix(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    vectors = {text_key(f"text {i}"): np.full(4, i, dtype=np.float32) for i in range(700)}
    cache = VectorCache(path, "model-a", 4)
    cache.put_many(vectors)
    found = cache.get_many(list(vectors) + [text_key("never stored")])
    assert len(found) == 700 and np.array_equal(found[text_key("text 699")], np.full(4, 699, dtype=np.float32))
    cache.close()
    assert VectorCache(path, "model-b", 4).get_many(list(vectors)) == {}


def test_vector_codec_round_trip() -> None:
    from shopsearch.vector_codec import pack, unpack

    vector = np.random.default_rng(0).normal(size=384).astype(np.float32)
    assert np.array_equal(unpack(pack(vector)), vector)
    assert len(pack(vector)) == 2048  # 384 float32 in base64
