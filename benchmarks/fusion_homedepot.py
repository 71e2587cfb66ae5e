"""How to fuse BM25 and the query vector, measured on Home Depot training queries (never the held-out ones).

    python benchmarks/fusion_homedepot.py [--queries 2000]

Needs the engine with the `homedepot` index (run benchmarks/relevance_homedepot.py once). For each
of the first N training queries of `tune.split` it fetches the BM25 top 500 (the title field as the
profiles weight it) and scores the whole catalog by exact cosine with the configured encoder (the
packaged one unless `SHOPSEARCH_MODEL_PATH` names another), once; then every fusion is re-scored in
numpy: min-max, z-score and reciprocal-rank fusion at several weights and candidate depths, and the
coverage term the default profile adds (plain, and forgiving typos and split words). Prints mean
NDCG@10 per setting: the grid behind the default profile.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"


def ndcg10(grades: dict[str, int], ranked: list[str]) -> float:
    gains = np.array([grades.get(i, 0) for i in ranked[:10]], dtype=np.float64)
    ideal = np.sort(np.array(list(grades.values()), dtype=np.float64))[::-1][:10]
    discount = 1 / np.log2(np.arange(2, 12))
    best = float(ideal @ discount[: len(ideal)])
    return float(gains @ discount[: len(gains)]) / best if best > 0 else 0.0


def zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()

    from shopsearch import text, wiring
    from shopsearch.config import load_settings
    from shopsearch.indexer.vector_cache import VectorCache, text_key
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.tune import split
    from shopsearch.relevance.scoring import minmax, rrf
    from shopsearch.relevance.searcher import normalize_query

    judged = load_csv(DATA / "judgments.csv")
    qids = split(judged, 0.2)[0][: args.queries]
    catalog = [json.loads(line) for line in (DATA / "catalog.jsonl").open(encoding="utf-8")]
    ids, titles = [p["id"] for p in catalog], [p["title"] for p in catalog]
    position = {pid: i for i, pid in enumerate(ids)}
    settings = load_settings()
    encoder = wiring.encoder(settings)  # the configured one: SHOPSEARCH_MODEL_PATH and _RUNTIME pick another
    cache = VectorCache(settings.index.vector_cache, encoder.space_id, encoder.dimension)  # the index's
    known = cache.get_many([text_key(t) for t in titles])
    missing = [t for t in dict.fromkeys(titles) if text_key(t) not in known]
    known.update({text_key(t): v for t, v in zip(missing, encoder.encode_documents(missing, progress=True))})
    items = np.stack([known[text_key(t)] for t in titles])
    queries = encoder.encode_queries([normalize_query(judged.queries[q]) for q in qids])
    client = wiring.client(settings)
    pools = {}
    for start in tqdm(range(0, len(qids), 50), desc="BM25 top 500", unit="50 queries"):
        chunk, lines = qids[start : start + 50], []
        for qid in chunk:
            match = {"multi_match": {"query": normalize_query(judged.queries[qid]), "fields": ["title^3"]}}
            lines += [
                {"index": "homedepot"},
                {"size": 500, "_source": False, "stored_fields": "_none_", "docvalue_fields": ["id"], "query": match},
            ]
        for qid, found in zip(chunk, client.msearch(body=lines)["responses"]):
            pools[qid] = [(position[h["fields"]["id"][0]], h["_score"]) for h in found["hits"]["hits"]]

    # Once per query: the BM25 top 500 and cosine top 200 with every value a fusion may need.
    prepared = {}
    for n, qid in enumerate(tqdm(qids, desc="scoring candidates", unit="query")):
        cosines = items @ queries[n]
        knn = np.argsort(-cosines)[:200]
        bm25 = dict(pools[qid])
        union = np.array(list(dict.fromkeys([*bm25, *knn.tolist()])), dtype=int)
        b_rank = {i: r + 1 for r, i in enumerate(bm25)}
        k_rank = {int(i): r + 1 for r, i in enumerate(knn)}
        asked = text.content_terms(text.terms(judged.queries[qid]))
        prepared[qid] = (
            union,
            np.array([bm25.get(i, 0.0) for i in union]),
            cosines[union].astype(np.float64),
            np.array([b_rank.get(i, 0) for i in union]),
            np.array([k_rank.get(int(i), 0) for i in union]),
            np.array([text.coverage(asked, text.terms(titles[i])) for i in union]),
            np.array([text.fuzzy_coverage(asked, text.terms(titles[i])) for i in union]),
        )

    def score(depths: tuple[int, int], fuse) -> float:  # noqa: ANN001
        total = 0.0
        for qid in qids:
            union, b, c, br, kr, cover, fuzzy = prepared[qid]
            keep = ((br > 0) & (br <= depths[0])) | ((kr > 0) & (kr <= depths[1]))
            b, br, kr = np.where(br <= depths[0], b, 0.0)[keep], np.where(br <= depths[0], br, 0)[keep], kr[keep]
            values = fuse(b, c[keep], br, np.where(kr <= depths[1], kr, 0), cover[keep], fuzzy[keep])
            kept = union[keep]
            total += ndcg10(judged.qrels[qid], [ids[kept[i]] for i in np.lexsort((kept, -values))])
        return total / len(qids)

    fusions = {
        "bm25 alone (top 500)": ((500, 0), lambda b, c, br, kr, v, f: b),
        "cosine alone (top 200)": ((0, 200), lambda b, c, br, kr, v, f: c),
    }
    for depths in ((100, 50), (200, 100), (500, 100)):
        label = f"{depths[0]}+{depths[1]}"
        fusions.update(
            {
                f"min-max 0.6/0.4, {label}": (depths, lambda b, c, br, kr, v, f: 0.6 * minmax(b) + 0.4 * minmax(c)),
                f"z-score 0.6/0.4, {label}": (depths, lambda b, c, br, kr, v, f: 0.6 * zscore(b) + 0.4 * zscore(c)),
                f"bm25/max 0.6 + cosine 0.4, {label}": (
                    depths,
                    lambda b, c, br, kr, v, f: 0.6 * b / max(b.max(), 1e-9) + 0.4 * c,
                ),
                f"rrf k=60, {label}": (depths, lambda b, c, br, kr, v, f: rrf(br, 60) + rrf(kr, 60)),
            }
        )
    for weight in (0.5, 0.7):
        fusions[f"min-max {weight}/{1 - weight:.1f}, 100+50"] = (
            (100, 50),
            lambda b, c, br, kr, v, f, w=weight: w * minmax(b) + (1 - w) * minmax(c),
        )
    for gain in (0.5, 1.0, 1.5):
        fusions[f"min-max 0.6/0.4 + {gain} coverage, 100+50"] = (
            (100, 50),
            lambda b, c, br, kr, v, f, g=gain: 0.6 * minmax(b) + 0.4 * minmax(c) + g * v,
        )
        fusions[f"min-max 0.6/0.4 + {gain} typo-tolerant coverage, 100+50"] = (
            (100, 50),
            lambda b, c, br, kr, v, f, g=gain: 0.6 * minmax(b) + 0.4 * minmax(c) + g * f,
        )
    print(f"\nNDCG@10 on {len(qids)} Home Depot training queries (none held out by tune.split(0.2))")
    for label, (depths, fuse) in tqdm(fusions.items(), desc="fusions", unit="setting"):
        tqdm.write(f"{label:58}{score(depths, fuse):8.4f}")


if __name__ == "__main__":
    main()
