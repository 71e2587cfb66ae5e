"""Full-stack ranker variants on Home Depot, scored out of fold on the training part only.

    python benchmarks/ranker_variants.py --profiles DIR

DIR is the profiles directory a run of benchmarks/relevance_homedepot.py printed (it holds the
fine-tuned model `homedepot-finetuned`); the engine must still serve `homedepot` (base vectors) and
`homedepot-ft` (fine-tuned vectors) from that run. The ranker's candidates are collected once for the
training queries of `learn`'s split (never the held-out ones) and cut into four folds. Each variant
trains on three folds the way `learn` does (a tenth of them stopping the boosting early) and scores
the fourth, so every training query is scored by a ranker that neither trained nor stopped on it:
NDCG@10 over all of them. (Scoring on the slice that stopped the boosting favours the single booster
picked there.) Variants: one booster against the shipped bag of five seeds and a bag of five folds,
extra features (the base encoder's cosine beside the fine-tuned one; description coverage), fewer
training queries (only those the encoder was not fine-tuned on), other leaves and learning rates.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
FOLDS = 4


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
    unseen = {q for q in train if judged.queries[q] not in tuned_on}
    tuned = wiring.searcher(
        load_settings(index={"alias": "homedepot-ft"}, model={"path": args.profiles / "homedepot-finetuned"})
    )
    _, rows = collect(tuned, judged, ranker_pool(tuned.profiles.get("default"), 0.5), train, signals=False)
    row_of = {doc: i for i, doc in enumerate(ids)}
    asked = dict(zip(train, base.encoder.encode_queries([judged.queries[q] for q in train])))
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

    folds = [train[k::FOLDS] for k in range(FOLDS)]
    qrels = {q: {d: int(g) for d, g in judged.qrels[q].items()} for q in train if judged.qrels.get(q)}

    def booster(table: dict, width: int, queries: list[str], stop: list[str], bag: int, **params):  # noqa: ANN001, ANN202
        saved_params, saved_names = dict(ltr.PARAMS), features.FEATURES
        features.FEATURES = (*saved_names, *(f"extra_{i}" for i in range(width)))  # the extra columns' names
        try:
            ltr.PARAMS.update(params)
            return ltr.train(judged, table, queries, stop, threads=2, bag=bag)
        finally:
            features.FEATURES = saved_names
            ltr.PARAMS.clear()
            ltr.PARAMS.update(saved_params)

    def by_folds(table: dict, width: int, queries: list[str], **params):  # noqa: ANN001, ANN202
        """Five boosters, each stopped on its own fifth of `queries` and trained on the rest, merged."""
        parts = [queries[k::5] for k in range(5)]
        return ltr.merge(
            [
                booster(table, width, [q for j, p in enumerate(parts) if j != k for q in p], parts[k], 1, **params)
                for k in range(5)
            ]
        )

    def out_of_fold(table: dict, width: int, bag: int, only: set[str] | None, cv: bool, **params) -> np.ndarray:  # noqa: ANN001
        from ranx import Qrels, Run, evaluate

        run = {}
        for k, scored in enumerate(folds):
            inner = [q for j, part in enumerate(folds) if j != k for q in part]
            if cv:
                trained = by_folds(table, width, inner, **params)
            else:
                queries, stop = tune.split(judged, 0.1, inner, salt="valid")
                trained = booster(table, width, [q for q in queries if only is None or q in only], stop, bag, **params)
            for q in scored:
                if q in qrels:
                    scores = ltr.predict(trained, table[q].matrix)
                    run[q] = {d: float(s) for d, s in zip(table[q].ids, scores)} or {"-": 0.0}
        return np.asarray(evaluate(Qrels(qrels), Run(run), "ndcg@10", return_mean=False))

    first: list[np.ndarray] = []  # the one-booster line's per-query scores, which the others are paired with

    def line(label: str, table: dict = rows, width: int = 0, bag: int = 1, only=None, cv=False, **params) -> None:  # noqa: ANN001
        from scipy.stats import ttest_rel

        each = out_of_fold(table, width, bag, only, cv, **params)
        if not first:
            first.append(each)
            print(f"{label:58}{each.mean():8.4f}", flush=True)
            return
        p = ttest_rel(each, first[0]).pvalue
        print(f"{label:58}{each.mean():8.4f}{each.mean() - first[0].mean():+9.4f}{p:10.2g}", flush=True)

    print(f"{len(train)} training queries in {FOLDS} folds ({len(unseen)} of them the encoder was not tuned on)")
    print(f"{'full-stack ranker variant':58}{'NDCG@10':>8}{'vs one':>9}{'p':>10}")
    line("one booster (31 leaves, seed 7)")
    line(f"{ltr.BAG} seeds' boosters merged (as shipped)", bag=ltr.BAG)
    line("5 boosters, each stopped on its own fifth, merged", cv=True)
    line("+ base encoder cosine (raw, min-max)", widened(base_cosine), 2)
    line("+ five description features", widened(description), 5)
    line("trained only on queries the encoder was not tuned on", only=unseen)
    line("15 leaves", num_leaves=15)
    line("learning rate 0.02", learning_rate=0.02)
    line("63 leaves, at least 100 rows a leaf", num_leaves=63, min_data_in_leaf=100)
    line("truncation level 50", lambdarank_truncation_level=50)


def _scan_descriptions(searcher):  # noqa: ANN001, ANN202
    from opensearchpy import helpers

    return helpers.scan(
        searcher.client, index=searcher.alias, query={"query": {"match_all": {}}}, _source=["description"]
    )


if __name__ == "__main__":
    main()
