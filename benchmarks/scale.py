"""A million products: the Home Depot catalog expanded with perturbed copies, through the normal bulk path.

    python benchmarks/scale.py [--products 1000000] [--queries 1000] [--ef-search 500] [--keep] [--reuse]

Needs the engine, with room for the index (about 11 GB on disk at 1M) and a heap to match
(`shopsearch engine start --heap 4g`). Every real product of ../shared/data/homedepot/ is kept and
copied until there are `--products`: a copy has the real title with a variant suffix (" - Black",
" - 2-Pack Series 3") and the real vector plus Gaussian noise (cosine about 0.97 with the original:
near-duplicates, as colour and pack variants are). No encoder time is spent beyond the real titles: the
copies' vectors reach the indexer through its vector cache, so the catalog goes through
`Indexer.reindex` exactly as a shop's does (validation, bulk writers, refresh, replicas, alias swap).

It prints bulk throughput, index size on disk, JVM heap, k-NN recall@10 against exact search for
held-out Home Depot queries at the default setting (k 50) and a tuned one (the profiles'
`candidates.ef_search`), and search p50/p99 for BM25, k-NN and the full blend at both, in process,
one client, distinct queries. `--reuse` measures an index the alias already serves (kept by `--keep`)
without building it again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import yaml
from _measure import exact_top10, recall_at_10

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "src" / "shopsearch" / "mappings"  # the packaged defaults (shopsearch.config.MAPPINGS_DIR)
ALIAS = "scale"
VARIANTS = (
    "Black",
    "White",
    "Brushed Nickel",
    "2-Pack",
    "Oil-Rubbed Bronze",
    "Gray",
    "Almond",
    "10-Pack",
    "Chrome",
    "Satin",
)
NOISE = 0.25  # per-dimension scale of the copies' noise, relative to a unit vector: cosine ~ 1/sqrt(1 + 0.25^2)


class CopiedVectors:
    """The indexer's vector cache for the expanded catalog: a copy's vector is its original's, perturbed
    by noise seeded from the copy, computed when the writer asks for it (1M vectors never sit in memory)."""

    def __init__(self, originals: np.ndarray) -> None:
        self.originals, self.where = originals, {}

    def add(self, key: bytes, original: int, copy: int) -> None:
        self.where[key] = (original, copy)

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found = {}
        for key in keys:
            original, copy = self.where[key]
            vector = self.originals[original].astype(np.float64)
            if copy:
                noise = np.random.default_rng([original, copy]).standard_normal(vector.size)
                vector = vector + NOISE * noise / np.sqrt(vector.size)
            found[key] = (vector / np.linalg.norm(vector)).astype(np.float32)
        return found

    def put_many(self, vectors: dict[bytes, np.ndarray]) -> None:
        raise AssertionError("the expanded catalog is never encoded: every vector comes from its original")

    def close(self) -> None:
        pass


def expanded(records: list[dict], total: int, vectors: CopiedVectors, settings) -> Iterator:  # noqa: ANN001
    """RawRows of the real products and then their copies, `total` in all; registers each one's vector."""
    from shopsearch.indexer.catalog import RawRow
    from shopsearch.indexer.product import parse_product
    from shopsearch.indexer.vector_cache import text_key
    from shopsearch.indexer.writer import product_text

    fields, separator = settings.index.text_fields, settings.index.text_separator
    for n in range(total):
        copy, original = divmod(n, len(records))
        record = records[original]
        if copy:
            suffix = VARIANTS[(copy - 1) % len(VARIANTS)] + (f" Series {copy // len(VARIANTS)}" if copy >= 10 else "")
            record = {**record, "id": f"{record['id']}-{copy}", "title": f"{record['title']} - {suffix}"}
        vectors.add(text_key(product_text(parse_product(record), fields, separator)), original, copy)
        yield RawRow(source="expanded", row=n + 1, record=record)


def real_vectors(records: list[dict], settings, encoder) -> np.ndarray:  # noqa: ANN001
    """The real products' vectors: from the vector cache of an earlier reindex, encoded where missing."""
    from shopsearch.indexer.product import parse_product
    from shopsearch.indexer.vector_cache import VectorCache, text_key
    from shopsearch.indexer.writer import product_text

    texts = [product_text(parse_product(r), settings.index.text_fields, settings.index.text_separator) for r in records]
    cache = VectorCache(settings.index.vector_cache, encoder.space_id, encoder.dimension)
    keys = [text_key(t) for t in texts]
    found = cache.get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in found]
    if missing:
        fresh = encoder.encode_documents([texts[i] for i in missing], progress=True)
        cache.put_many({keys[i]: v for i, v in zip(missing, fresh)})
        found.update({keys[i]: v for i, v in zip(missing, fresh)})
    cache.close()
    return np.stack([found[key] for key in keys])


def latencies(searcher, queries: list[str], profile: str) -> tuple[float, float]:  # noqa: ANN001
    from shopsearch.relevance.searcher import SearchRequest

    searcher.query_vector.cache_clear()
    took = []
    for q in queries:
        began = time.perf_counter()
        searcher.search(SearchRequest(q=q, profile=profile, size=10))
        took.append(time.perf_counter() - began)
    return float(np.percentile(took, 50) * 1000), float(np.percentile(took, 99) * 1000)


def build(indexer, records: list[dict], products: int) -> str:  # noqa: ANN001
    """The expanded catalog through Indexer.reindex; prints its throughput and returns the new index."""
    vectors = CopiedVectors(real_vectors(records, indexer.settings, indexer.encoder))
    indexer.cache.close()
    indexer.cache = vectors
    began = time.perf_counter()
    report = indexer.reindex(None, rows=expanded(records, products, vectors, indexer.settings))
    took = time.perf_counter() - began
    print(
        f"\n{report.write.written:,} products in {took:.0f} s: {report.write.written / took:.0f} docs/s end to end "
        f"(bulk {report.write.docs_per_s:.0f} docs/s), {indexer.settings.index.bulk_threads} bulk writers"
    )
    return report.index


def tuned_profiles(ef_search: int) -> Path:
    """The repository's profiles, plus `semantic-tuned` and `default-tuned` searching the graphs to `ef_search`."""
    directory = Path(tempfile.mkdtemp(prefix="shopsearch-scale-profiles-"))
    shutil.copytree(MAPPINGS / "profiles", directory, dirs_exist_ok=True)
    for name in ("semantic", "default"):
        spec = yaml.safe_load((directory / f"{name}.yaml").read_text(encoding="utf-8"))
        spec.setdefault("candidates", {})["ef_search"] = ef_search
        (directory / f"{name}-tuned.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000, help="held-out queries for recall@10")
    parser.add_argument("--latency-queries", type=int, default=300, help="distinct queries timed per profile")
    parser.add_argument("--ef-search", type=int, default=500, help="the tuned k-NN setting's ef_search")
    parser.add_argument("--keep", action="store_true", help="leave the index behind (alias `scale`)")
    parser.add_argument("--reuse", action="store_true", help="measure the index behind `scale`, do not build one")
    args = parser.parse_args()
    os.environ["SHOPSEARCH_API_PROFILES_DIR"] = str(tuned_profiles(args.ef_search))
    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.indexer import lifecycle
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.tune import split

    settings = load_settings(index={"alias": ALIAS})
    records = [json.loads(line) for line in (DATA / "catalog.jsonl").open(encoding="utf-8")]
    indexer = wiring.indexer(settings)
    client = indexer.client
    if args.reuse:
        index = next(iter(client.indices.get_alias(name=ALIAS)))
        print(f"\nreused {index}")
    else:
        index = build(indexer, records, args.products)
    stats = client.indices.stats(index=index, metric="store,segments,docs")["_all"]["primaries"]
    jvm = [node["jvm"]["mem"] for node in client.nodes.stats(metric="jvm")["nodes"].values()]
    judged = load_csv(DATA / "judgments.csv")
    held = [judged.queries[q] for q in split(judged, 0.2)[1]]
    query_vectors = indexer.encoder.encode_queries(held[: args.queries])
    print(
        f"index on disk {stats['store']['size_in_bytes'] / 2**30:.2f} GiB in {stats['segments']['count']} segments; "
        f"vectors alone {stats['docs']['count'] * indexer.encoder.dimension * 4 / 2**30:.2f} GiB (float32)"
    )
    print(
        "JVM heap used / max: "
        + ", ".join(f"{m['heap_used_in_bytes'] / 2**30:.2f} / {m['heap_max_in_bytes'] / 2**30:.2f} GiB" for m in jvm)
    )
    truth = exact_top10(client, index, query_vectors)
    for label, ef in (("default (k 50)", None), (f"tuned (ef_search {args.ef_search})", args.ef_search)):
        print(
            f"k-NN recall@10, {label}: {recall_at_10(client, index, query_vectors, truth, ef):.3f} "
            f"({len(query_vectors)} held-out queries, exact cosine over every product)",
            flush=True,
        )
    searcher = wiring.searcher(settings, client=client, encoder=indexer.encoder)
    timed = held[-args.latency_queries :]
    print(f"{'search':27}{'p50 ms':>8}{'p99 ms':>8}")
    for label, profile in (
        ("BM25", "bm25"),
        ("k-NN", "semantic"),
        ("full blend", "default"),
        (f"k-NN, ef_search {args.ef_search}", "semantic-tuned"),
        (f"full blend, ef_search {args.ef_search}", "default-tuned"),
    ):
        p50, p99 = latencies(searcher, timed, profile)
        print(f"{label:27}{p50:8.1f}{p99:8.1f}")
    if not args.keep and not args.reuse:
        for name in lifecycle.managed_indices(client, ALIAS):
            client.indices.delete(index=name)


if __name__ == "__main__":
    main()
