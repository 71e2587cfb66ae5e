"""Indexing benchmark: raw encoding vs end-to-end indexing, and a second (cached) reindex.

Runs against the configured OpenSearch (default: the local engine; `shopsearch engine start`)
with a throwaway alias and vector cache, and prints one run's numbers:

    python benchmarks/indexing.py [--catalog data/sample_catalog.jsonl] [--quantize]

Targets: end-to-end >= 0.9 x raw encoding throughput; second reindex >= 10x faster than the first.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _measure import merges_done

from shopsearch import wiring
from shopsearch.config import load_settings
from shopsearch.indexer import lifecycle
from shopsearch.indexer.catalog import read_catalog
from shopsearch.indexer.product import parse_product
from shopsearch.indexer.service import Indexer
from shopsearch.indexer.writer import product_text

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=ROOT / "data" / "sample_catalog.jsonl")
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 encoder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = load_settings()
        settings = base.model_copy(
            update={
                "model": base.model.model_copy(update={"quantize": args.quantize}),
                "index": base.index.model_copy(
                    update={
                        "alias": "bench-products",
                        "vector_cache": Path(tmp) / "v.sqlite",
                        "dead_letter_dir": Path(tmp),
                    }
                ),
            }
        )
        encoder = wiring.encoder(settings)
        products = [parse_product(row.record) for row in read_catalog(args.catalog) if row.record]
        texts = [product_text(p, settings.index.text_fields, settings.index.text_separator) for p in products]
        print(
            f"catalog: {len(texts)} products; model {encoder.model_id} ({encoder.dimension}-d), "
            f"device {encoder.device}, threads {encoder.threads}, int8 {encoder.quantized}"
        )

        encoder.encode_documents(texts[:64])  # warm-up
        began = time.perf_counter()
        encoder.encode_documents(texts, progress=True)
        raw = len(texts) / (time.perf_counter() - began)

        indexer = wiring.indexer(settings, encoder=encoder)
        try:
            first = _timed_reindex(indexer, args.catalog)
            second = _timed_reindex(indexer, args.catalog)
        finally:
            for name in lifecycle.managed_indices(indexer.client, indexer.alias):
                indexer.client.indices.delete(index=name)
            indexer.close()

    end_to_end = len(texts) / first
    print(f"raw encoding:            {raw:8.1f} texts/s")
    print(f"end-to-end indexing:     {end_to_end:8.1f} docs/s   (first reindex {first:.1f} s)")
    print(f"end-to-end / raw:        {end_to_end / raw:8.2f}   (target >= 0.90)")
    print(f"second reindex:          {second:8.1f} s   ({first / second:.1f}x faster; target >= 10x)")


def _timed_reindex(indexer: Indexer, catalog: Path) -> float:
    began = time.perf_counter()
    report = indexer.reindex(catalog)
    elapsed = time.perf_counter() - began
    merges_done(indexer.client)  # the background merge it started, before the next timed step
    print(f"  reindex -> {report.index}: {report.write.summary()}")
    return elapsed


if __name__ == "__main__":
    main()
