"""Relevance on real shoppers' queries (../shared/data/homedepot): BM25 against every learned part, held out.

    python benchmarks/relevance_homedepot.py [--reuse] [--queries N] [--no-finetune] [--model DIR] [--rerank DIR]
        [--rerank-from {tuned,minilm}] [--rerank-epochs N]

Needs the engine (`shopsearch engine start`). Indexes the 54,667 product titles under the alias
`homedepot` (the demo's `products` is untouched) with `shopsearch index reindex`, then runs
`shopsearch learn`'s path: the judged queries are split by a fixed hash (80% train, 20% held out,
`tune.split`); on the training part only, the linear blend's weights are fitted (coordinate
ascent) and the LambdaMART ranker is trained (early stopping on a slice of the training part).
Then (unless --no-finetune) the encoder is fine-tuned on the training queries' graded products with
mined hard negatives (`shopsearch finetune --judgments`), the catalog is reindexed with it under
`homedepot-ft`, and the same learning runs there: `fine-tuned` is the default profile over the
fine-tuned vectors, `fine-tuned + LTR` its ranker, and `full stack` that ranker with its top 30
re-scored by a cross-encoder trained on the training queries (`shopsearch learn --rerank`).
`--model DIR` serves a model an earlier run fine-tuned (or `shopsearch finetune --judgments` on the
same split) instead of fine-tuning again; with --reuse, the index built from it is kept too.
`--rerank DIR` likewise uses a cross-encoder an earlier run trained on the same split; a cross-encoder
trained in the run starts from the fine-tuned encoder (`learn --rerank-from`; it gained more over the
ranker than one started from the packaged MiniLM, `--rerank-from minilm`, README) and trains for
`--rerank-epochs` at most, keeping its best epoch on the validation queries. It prints NDCG@10, MRR and Recall@100 on the held-out queries
with paired t-tests against BM25, the indexing time, and each profile's in-process search p50
(size 10, warm query-vector cache off). Profiles and the ranker go to a temporary directory: the
repository's profiles are untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _measure import merges_done

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "src" / "shopsearch" / "mappings"  # the packaged defaults (shopsearch.config.MAPPINGS_DIR)
ALIAS = "homedepot"


def index_catalog(reuse: bool, alias: str, model: Path | None = None) -> str:
    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.indexer.lifecycle import serving_models

    client = wiring.client(load_settings())
    lines = sum(1 for _ in (DATA / "catalog.jsonl").open(encoding="utf-8"))
    if reuse and client.indices.exists_alias(name=alias) and client.count(index=alias)["count"] == lines:
        built_from = {meta.get("model_path") for meta in serving_models(client, alias).values()}
        if model is None or str(model) in built_from:
            return "reused"
    env = {**os.environ, "SHOPSEARCH_INDEX_ALIAS": alias, **({"SHOPSEARCH_MODEL_PATH": str(model)} if model else {})}
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "shopsearch.cli", "index", "reindex", str(DATA / "catalog.jsonl")], check=True, env=env
    )
    took = time.perf_counter() - began
    merges_done(client)  # the reindex's background merge: searches are timed on the index as it then serves
    return f"{took:.0f} s ({lines / took:.0f} products/s)"


def search_p50(searcher, judged, qids: list[str], profile: str) -> float:  # noqa: ANN001
    from shopsearch.relevance.searcher import SearchRequest

    searcher.query_vector.cache_clear()
    took = []
    for qid in qids:
        began = time.perf_counter()
        searcher.search(SearchRequest(q=judged.queries[qid], profile=profile, size=10))
        took.append(time.perf_counter() - began)
    return float(np.median(took) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep the homedepot index when it is complete")
    parser.add_argument("--queries", type=int, default=0, help="use only the first N judged queries (a quick run)")
    parser.add_argument("--latency-queries", type=int, default=500, help="held-out queries timed per profile")
    parser.add_argument("--no-finetune", action="store_true", help="skip fine-tuning and the full stack")
    parser.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs at most (early stopping)")
    parser.add_argument("--examples", type=int, default=4000, help="graded fine-tuning examples at most")
    parser.add_argument("--model", type=Path, help="a model an earlier run fine-tuned: served, not trained again")
    parser.add_argument("--rerank", type=Path, help="a cross-encoder an earlier run trained: used, not trained again")
    parser.add_argument(
        "--rerank-from", choices=("tuned", "minilm"), default="tuned", help="the model the cross-encoder starts from"
    )
    parser.add_argument("--rerank-epochs", type=int, default=2, help="cross-encoder epochs at most (early stopping)")
    args = parser.parse_args()
    profiles = Path(tempfile.mkdtemp(prefix="shopsearch-hd-profiles-"))
    shutil.copytree(MAPPINGS / "profiles", profiles, dirs_exist_ok=True)
    os.environ.update({"SHOPSEARCH_INDEX_ALIAS": ALIAS, "SHOPSEARCH_API_PROFILES_DIR": str(profiles)})

    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.lab import finetune
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.learn import learn

    indexing = {"base": index_catalog(args.reuse, ALIAS)}
    judged = load_csv(DATA / "judgments.csv")
    if args.queries:
        judged = judged.only(list(judged.queries)[: args.queries])
    searcher = wiring.searcher(load_settings())
    began = time.perf_counter()
    result = learn(searcher, judged, base="default", name="learned", note=" (Home Depot training queries)")
    rows = {name: (result, name, searcher) for name in result.profiles}
    rows["tuned"] = rows.pop("learned-linear")
    rows["ltr"] = rows.pop("learned")
    if not args.no_finetune:
        model = args.model.resolve() if args.model else profiles / "homedepot-finetuned"
        if not args.model:
            summary = finetune.run_judged(
                load_settings(),
                searcher,
                judged,
                out=model,
                epochs=args.epochs,
                max_examples=args.examples,
                source="the Home Depot training queries",
            )
            print(summary)
        indexing["fine-tuned"] = index_catalog(args.reuse and args.model is not None, f"{ALIAS}-ft", model)
        tuned = wiring.searcher(load_settings(index={"alias": f"{ALIAS}-ft"}, model={"path": model}))
        reranker = args.rerank.resolve() if args.rerank else profiles / "homedepot-reranker"
        full = learn(
            tuned,
            judged,
            base="default",
            name="full",
            note=" (Home Depot, fine-tuned)",
            rerank=reranker,
            rerank_from=model if args.rerank_from == "tuned" else None,
            rerank_epochs=args.rerank_epochs,
        )
        rows.update(
            {
                "fine-tuned": (full, "default", tuned),
                "fine-tuned + LTR": (full, "full", tuned),
                "full stack": (full, "full-reranked", tuned),
            }
        )
        print(
            "rerank weight on the validation queries: " + ", ".join(f"{w:g}: {v:.4f}" for w, v in full.rerank.items())
        )
        print(
            "cross-encoder's best by epoch there, then their average: "
            + ", ".join(f"{v:.4f}" for v in full.rerank_epochs)
        )
    learning = time.perf_counter() - began
    timed = result.held_out[: args.latency_queries]
    base = result.report["scores"]["bm25"]["ndcg@10"]
    print(
        f"\nHome Depot: {len(judged.queries)} judged queries, {len(result.train)} train, "
        f"{len(result.held_out)} held out; indexing {indexing}; learning {learning:.0f} s"
    )
    print(f"{'profile':17}{'NDCG@10':>9}{'x BM25':>8}{'p':>9}{'MRR':>8}{'R@100':>8}{'p50 ms':>8}")
    for label, (run, name, used) in rows.items():
        score = run.report["scores"][name]
        p = run.report["p_values"][name].get("bm25", {}).get("ndcg@10") if name != "bm25" else None
        print(
            f"{label:17}{score['ndcg@10']:9.4f}{score['ndcg@10'] / base:8.3f}{'' if p is None else f'{p:.1e}':>9}"
            f"{score['mrr']:8.4f}{score['recall@100']:8.4f}{search_p50(used, judged, timed, name):8.1f}"
        )
    print("p: paired t-test against bm25 on the held-out queries; p50: in-process search, size 10")
    print("ranker leans on: " + ", ".join(f"{name} {share:.0%}" for name, share in result.importance[:8]))
    print(json.dumps({"profiles_dir": str(profiles)}))


if __name__ == "__main__":
    main()
