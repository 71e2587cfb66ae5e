"""Full-stack ranker variants on Home Depot, scored on the training part's validation slice only.

    python benchmarks/ranker_variants.py --profiles DIR

DIR is the profiles directory a run of benchmarks/relevance_homedepot.py printed (it holds the
fine-tuned model `homedepot-finetuned`); the engine must still serve `homedepot` (base vectors) and
`homedepot-ft` (fine-tuned vectors) from that run. The ranker's candidates are collected once for the
fitting and validation queries of `learn`'s split (never the held-out ones), then LambdaMART is
trained per variant and scored by NDCG@10 on the validation slice: extra features (the base encoder's
cosine beside the fine-tuned one; description coverage), fewer training queries (only those the
encoder was not fine-tuned on), other leaves, seeds and learning rates, and seed averaging.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
SEEDS = range(7, 12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=Path, required=True)
    parser.add_argument("--examples", type=int, default=4000, help="as the fine-tuning run used")
    args = parser.parse_args()
    os.environ.update({"SHOPSEARCH_INDEX_ALIAS": "homedepot", "SHOPSEARCH_API_PROFILES_DIR": str(args.profiles)})
    from shopsearch import text, wiring
    from shopsearch.config import load_settings
    from shopsearch.lab import finetune, ltr, tune
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.learn import collect, ranker_pool
    from shopsearch.relevance import features
    from shopsearch.relevance.scoring import minmax

    judged = load_csv(DATA / "judgments.csv")
    train, _ = tune.split(judged, 0.2)
    fit, valid = tune.split(judged, 0.1, train, salt="valid")
    base = wiring.searcher(load_settings())
    mined = finetune.mine(base, judged, fit, per_query=3)  # the fine-tuning run's examples, rebuilt
    ids, texts, base_vectors = finetune.catalog(load_settings(), base.client)
    examples = finetune.examples_from(mined, texts)
    random.Random(0).shuffle(examples)
    tuned_on = {e.query for e in examples[: args.examples]}
    unseen = [q for q in fit if judged.queries[q] not in tuned_on]
    tuned = wiring.searcher(
        load_settings(index={"alias": "homedepot-ft"}, model={"path": args.profiles / "homedepot-finetuned"})
    )
    _, rows = collect(tuned, judged, ranker_pool(tuned.profiles.get("default"), 0.5), fit + valid, signals=False)
    row_of = {doc: i for i, doc in enumerate(ids)}
    asked = dict(zip(fit + valid, base.encoder.encode_queries([judged.queries[q] for q in fit + valid])))
    descriptions = {hit["_id"]: hit["_source"].get("description") or "" for hit in _scan_descriptions(base)}

    def base_cosine(q: str, doc_ids: list[str]) -> np.ndarray:
        cos = np.array([float(base_vectors[row_of[d]] @ asked[q]) if d in row_of else np.nan for d in doc_ids])
        return np.column_stack([cos, minmax(cos)]) if doc_ids else np.empty((0, 2))

    def description(q: str, doc_ids: list[str]) -> np.ndarray:
        content = text.content_terms(text.terms(judged.queries[q]))
        sizes, numbers = text.measures(text.terms(judged.queries[q])), [t for t in content if t[0].isdigit()]
        out = []
        for d in doc_ids:
            terms = text.terms(descriptions.get(d, ""))
            have = set(terms)
            out.append(
                (
                    text.coverage(content, terms),
                    float(text.contains_phrase(content, terms)),
                    len(sizes & text.measures(terms)) / len(sizes) if sizes else np.nan,
                    sum(t in have for t in numbers) / len(numbers) if numbers else np.nan,
                    float(len(terms)),
                )
            )
        return np.array(out, dtype=np.float64).reshape(len(doc_ids), 5)

    def widened(extra) -> dict:  # noqa: ANN001
        return {q: ltr.QueryRows(r.ids, np.hstack([r.matrix, extra(q, r.ids)])) for q, r in rows.items()}

    def score(predict, table: dict) -> float:  # noqa: ANN001
        from ranx import Qrels, Run, evaluate

        qrels = {q: {d: int(g) for d, g in judged.qrels[q].items()} for q in valid if judged.qrels.get(q)}
        run = {q: {d: float(s) for d, s in zip(table[q].ids, predict(table[q].matrix))} or {"-": 0.0} for q in qrels}
        return float(np.mean(evaluate(Qrels(qrels), Run(run), "ndcg@10", return_mean=False)))

    def boosters(table: dict, width: int, queries: list[str], seeds, **params) -> list:  # noqa: ANN001
        saved_params, saved_names = dict(ltr.PARAMS), features.FEATURES
        features.FEATURES = (*saved_names, *(f"extra_{i}" for i in range(width)))  # the extra columns' names
        try:
            trained = []
            for seed in seeds:
                ltr.PARAMS.update(params, seed=seed)
                trained.append(ltr.train(judged, table, queries, valid, threads=2))
            return trained
        finally:
            features.FEATURES = saved_names
            ltr.PARAMS.clear()
            ltr.PARAMS.update(saved_params)

    def predictor(booster):  # noqa: ANN001, ANN202
        return lambda matrix: ltr.predict(booster, matrix)

    def line(label: str, table: dict, width: int = 0, queries: list[str] = fit, seeds=(7,), **params) -> None:  # noqa: ANN001
        trained = boosters(table, width, queries, seeds, **params)
        each = [score(predictor(b), table) for b in trained]
        if len(each) == 1:
            print(f"{label:58}{each[0]:8.4f}", flush=True)
            return
        averaged = score(lambda m: np.mean([predictor(b)(m) for b in trained], axis=0), table)
        print(
            f"{label:58}{averaged:8.4f}  (each seed alone {min(each):.4f}-{max(each):.4f}, mean {np.mean(each):.4f})",
            flush=True,
        )

    print(f"{len(fit)} fitting queries ({len(unseen)} the encoder was not tuned on), {len(valid)} validation queries")
    print(f"{'full-stack ranker variant':58}{'NDCG@10':>8}")
    line("as shipped (31 leaves, seed 7)", rows)
    line("+ base encoder cosine (raw, min-max)", widened(base_cosine), 2)
    line("+ five description features", widened(description), 5)
    line("trained only on queries the encoder was not tuned on", rows, queries=unseen)
    line("31 leaves, five seeds averaged", rows, seeds=SEEDS)
    line("15 leaves, five seeds averaged", rows, seeds=SEEDS, num_leaves=15)
    line("learning rate 0.02", rows, learning_rate=0.02)
    line("63 leaves, at least 100 rows a leaf", rows, num_leaves=63, min_data_in_leaf=100)
    line("truncation level 50", rows, lambdarank_truncation_level=50)


def _scan_descriptions(searcher):  # noqa: ANN001, ANN202
    from opensearchpy import helpers

    return helpers.scan(
        searcher.client, index=searcher.alias, query={"query": {"match_all": {}}}, _source=["description"]
    )


if __name__ == "__main__":
    main()
