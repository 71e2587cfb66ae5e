"""What the cross-encoder rerank stage costs per search, fp32 against int8, on real Home Depot queries.

    python benchmarks/rerank_runtime.py --model DIR [--queries 300] [--top 30]

No engine needed. DIR is a cross-encoder `shopsearch learn --rerank` trained (for example the one
`benchmarks/relevance_homedepot.py` wrote or used). For each of the first N held-out queries of
`tune.split` it scores `top` products, as a search's rerank stage does: the query's judged products
first, then catalog titles drawn with a fixed seed (unjudged: grade 0). It prints the milliseconds
per search with one torch thread (an API worker's default) and with every core, and the NDCG@10 of
the cross-encoder's own order over those products, for fp32 and for dynamic int8.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a cross-encoder directory")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    import torch
    from ranx import Qrels, Run, evaluate

    from shopsearch.encoder.cross import CrossEncoder
    from shopsearch.lab import tune
    from shopsearch.lab.judgments import load_csv
    from shopsearch.relevance.rerank import RerankParams, document

    judged = load_csv(DATA / "judgments.csv")
    _, held_out = tune.split(judged, 0.2)
    fields = RerankParams.model_fields["fields"].default
    with (DATA / "catalog.jsonl").open(encoding="utf-8") as lines:
        texts = {row["id"]: document(row, fields) for row in map(json.loads, lines)}
    rng, catalog = random.Random(0), sorted(texts)
    searches = {}
    for qid in held_out[: args.queries]:
        ids = [d for d in judged.qrels[qid] if d in texts][: args.top]
        ids += [d for d in rng.sample(catalog, args.top) if d not in ids][: args.top - len(ids)]
        searches[qid] = ids
    qrels = Qrels({qid: judged.qrels[qid] for qid in searches})
    print(f"{len(searches)} held-out queries, {args.top} products each")
    print(f"{'weights':9}{'threads':>8}{'ms/search':>11}{'NDCG@10':>9}")
    for quantize in (False, True):
        model = CrossEncoder(args.model, quantize=quantize)
        for threads in (1, len(os.sched_getaffinity(0))):
            torch.set_num_threads(threads)
            run, began = {}, time.perf_counter()
            for qid, ids in searches.items():
                scores = model.scores(judged.queries[qid], [texts[d] for d in ids])
                run[qid] = {d: float(s) for d, s in zip(ids, scores)}
            took = (time.perf_counter() - began) / len(searches) * 1000
            ndcg = float(evaluate(qrels, Run(run), "ndcg@10"))
            print(f"{'int8' if quantize else 'fp32':9}{threads:>8}{took:>11.1f}{ndcg:>9.4f}", flush=True)
    print("NDCG@10 here: the cross-encoder alone over each query's judged products and random others")


if __name__ == "__main__":
    main()
