"""Calibrating the relevance floor on Home Depot: below which cosine a k-NN candidate that shares no word
with the query is dropped (`candidates.min_similarity` in a relevance profile).

    python benchmarks/relevance_floor.py [--train 1500] [--nonsense 300] [--floor 0.40]

Needs the engine and the `homedepot` index (benchmarks/relevance_homedepot.py builds it). On training
queries of `tune.split` it collects the default profile's k-NN-only candidates (k-NN hits matching none
of the query's words) with their cosine, and the same for random letter strings (nonsense queries,
seeded). The judgments hardly help here: they grade what a keyword search showed, so k-NN-only
candidates are almost never judged. For each floor it prints the share of nonsense queries left
with no results, the share of real queries without a BM25 match left with none, and the share of
real k-NN-only candidates kept. Then NDCG@10 on the held-out queries for the default profile without
and with `--floor` (the default profile's: the highest that keeps every relevant result of the
bundled paraphrase queries, e.g. "warm coat for winter", whose cosines are 0.43 and up; a floor that
empties more nonsense would empty those too).
The searcher applies the floor only when no product has any of the query's words, so other queries
keep their k-NN-only candidates; the last column shows what a floor for every query would drop.
"""

from __future__ import annotations

import argparse
import random
import shutil
import string
import tempfile
from pathlib import Path

import numpy as np
import yaml

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
FLOORS = [round(0.10 + 0.05 * i, 2) for i in range(10)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1500, help="training queries to collect from")
    parser.add_argument("--nonsense", type=int, default=300)
    parser.add_argument("--floor", type=float, default=0.40, help="the floor evaluated on the held-out queries")
    args = parser.parse_args()
    from tqdm import tqdm

    from shopsearch import wiring
    from shopsearch.config import MAPPINGS_DIR, load_settings
    from shopsearch.lab.evaluate import report, run_profile
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.tune import split
    from shopsearch.queries import products as Q
    from shopsearch.relevance.searcher import normalize_query

    settings = load_settings(index={"alias": "homedepot"})
    searcher = wiring.searcher(settings)
    profile = searcher.profiles.get("default")
    judged = load_csv(DATA / "judgments.csv")
    train, held = split(judged, 0.2)

    def knn_only(q: str) -> tuple[list[float], list[str], int]:
        vector = searcher.query_vector(q).tolist()
        body = Q.doc_values_only(
            Q.knn_search(vector, q, profile, [], searcher.vector_field, searcher.copy_field), ["id"]
        )
        hits = searcher.client.search(index=searcher.alias, body=body)["hits"]["hits"]
        lone = [h for h in hits if Q.TEXT_MATCH not in h.get("matched_queries", [])]
        matches = searcher.client.count(index=searcher.alias, body={"query": Q.text_query(q, profile)})["count"]
        return [Q.cosine_of(h["_score"]) for h in lone], [h["fields"]["id"][0] for h in lone], matches

    cosines: list[float] = []
    unmatched: list[float] = []  # the best cosine of each real query that matches no product's words
    for qid in tqdm(train[: args.train], desc="training queries", unit="query"):
        found, _, matches = knn_only(normalize_query(judged.queries[qid]))
        cosines += found
        if matches == 0:
            unmatched.append(max(found, default=-1.0))
    rng = random.Random(7)
    nonsense = [
        " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10))) for _ in range(rng.randint(1, 2)))
        for _ in range(args.nonsense)
    ]
    best = []
    for q in tqdm(nonsense, desc="nonsense queries", unit="query"):
        found, _, matches = knn_only(q)
        best.append(max(found, default=-1.0) if matches == 0 else np.inf)  # a BM25 match: never empty
    cosines_a, unmatched_a, best_a = np.array(cosines), np.array(unmatched), np.array(best)
    print(
        f"\n{args.train} training queries: {len(cosines)} k-NN-only candidates, {len(unmatched)} queries matching no"
        f" product's words; {len(nonsense)} nonsense queries ({np.isinf(best_a).sum()} match a word)"
    )
    print(f"{'floor':>6}{'nonsense empty':>16}{'real unmatched empty':>22}{'k-NN-only kept':>16}")
    for floor in FLOORS:
        print(
            f"{floor:6.2f}{(best_a < floor).mean():16.1%}{(unmatched_a < floor).mean() if unmatched else 0.0:22.1%}"
            f"{(cosines_a >= floor).mean():16.1%}"
        )
    chosen = args.floor

    with tempfile.TemporaryDirectory() as tmp:
        profiles = Path(tmp) / "profiles"
        shutil.copytree(MAPPINGS_DIR / "profiles", profiles)
        spec = yaml.safe_load((profiles / "default.yaml").read_text(encoding="utf-8"))
        spec["candidates"]["min_similarity"] = chosen
        (profiles / "floored.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
        spec["candidates"].pop("min_similarity")
        (profiles / "unfloored.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
        evaluated = wiring.searcher(
            settings.model_copy(update={"api": settings.api.model_copy(update={"profiles_dir": profiles})}),
            client=searcher.client,
            encoder=searcher.encoder,
        )
        held_out = judged.only(held)
        runs = [run_profile(evaluated, held_out, name) for name in ("unfloored", "floored")]
        scores = report(held_out, runs)["scores"]
    print(
        f"held-out NDCG@10 ({len(held)} queries): without {scores['unfloored']['ndcg@10']:.4f},"
        f" with floor {chosen:.2f} {scores['floored']['ndcg@10']:.4f}"
    )


if __name__ == "__main__":
    main()
