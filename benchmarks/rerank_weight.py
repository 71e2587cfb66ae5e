"""Is the cross-encoder's rerank weight fitted without bias? Home Depot, training queries only.

    python benchmarks/rerank_weight.py --profiles DIR

DIR is the profiles directory a run of benchmarks/relevance_homedepot.py printed (its fine-tuned model
`homedepot-finetuned` and cross-encoder `homedepot-reranker`); the engine must still serve
`homedepot-ft` from that run. `learn` fits the rerank weight on the validation slice, the same queries
that stopped the ranker's boosting, so the ranker it re-scores there is at its best on them and the
cross-encoder may look worth less than it is. This script collects the full-stack ranker's candidates
for the training queries (never the held-out ones) and trains two bags: as `learn` does (fit, stopped on
the validation slice), and one stopped on a slice of `fit` instead, which never saw the validation
slice. For each it prints NDCG@10 on the validation slice by rerank weight and depth (the cross-encoder
trained on `fit` only, so nothing here saw those queries but the first bag's early stop).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1.0)
DEPTHS = (30, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=Path, required=True)
    args = parser.parse_args()
    os.environ.update({"SHOPSEARCH_INDEX_ALIAS": "homedepot-ft", "SHOPSEARCH_API_PROFILES_DIR": str(args.profiles)})
    from tqdm import tqdm

    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.encoder.cross import CrossEncoder
    from shopsearch.lab import crossencoder, ltr, tune
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.learn import collect, ranker_pool
    from shopsearch.relevance.rerank import RerankParams

    judged = load_csv(DATA / "judgments.csv")
    train, _ = tune.split(judged, 0.2)
    fit, valid = tune.split(judged, 0.1, train, salt="valid")
    inner, stop = tune.split(judged, 0.1, fit, salt="stop")
    tuned = wiring.searcher(load_settings(model={"path": args.profiles / "homedepot-finetuned"}))
    _, rows = collect(tuned, judged, ranker_pool(tuned.profiles.get("default"), 0.5), train, signals=False)
    usable = [q for q in valid if rows[q].ids and judged.qrels.get(q)]
    bags = {
        f"as learn: {len(fit)} fit, stopped on the {len(valid)} validation": ltr.train(judged, rows, fit, valid),
        f"{len(inner)} fit, stopped on {len(stop)} of fit": ltr.train(judged, rows, inner, stop),
    }
    model = CrossEncoder(args.profiles / "homedepot-reranker")
    texts = crossencoder.product_texts(tuned.client, tuned.alias, RerankParams.model_fields["fields"].default)
    read: dict[tuple[str, str], float] = {}  # (query, product) -> the cross-encoder's logit, scored once
    print(f"{len(usable)} validation queries; NDCG@10 there by rerank weight (columns) and depth")
    print(f"{'ranker bag, depth':52}" + "".join(f"{w:>8g}" for w in WEIGHTS))
    for label, booster in bags.items():
        ranked = {}
        for q in usable:
            scores = ltr.predict(booster, rows[q].matrix)
            order = np.argsort(-scores, kind="stable")
            ranked[q] = ([rows[q].ids[i] for i in order], scores[order])
        for q, (ids, _) in tqdm(ranked.items(), desc="re-scoring", unit="query", disable=None):
            new = [d for d in ids[: max(DEPTHS)] if (q, d) not in read]
            read.update(zip(((q, d) for d in new), model.scores(judged.queries[q], [texts.get(d, "") for d in new])))
        for depth in DEPTHS:
            heads = {q: np.array([read[q, d] for d in ids[:depth]]) for q, (ids, _) in ranked.items()}
            found = crossencoder.ndcg_by_weight(judged, ranked, heads, WEIGHTS)
            print(f"{label + f', top {depth}':52}" + "".join(f"{found[w]:8.4f}" for w in WEIGHTS), flush=True)


if __name__ == "__main__":
    main()
