"""Offline evaluation: every judged query through the same Searcher as /search, per profile, scored with ranx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from ranx import Qrels, Run, compare, evaluate
from tqdm import tqdm

from shopsearch.lab.judgments import Judgments
from shopsearch.lab.plots import delta_chart, metric_chart
from shopsearch.relevance.searcher import Searcher, SearchRequest

METRICS = ["ndcg@10", "mrr", "recall@100", "precision@10"]
RUN_DEPTH = 100


def run_profile(searcher: Searcher, judged: Judgments, profile: str, depth: int = RUN_DEPTH) -> Run:
    """The ranked product ids of each query (depth results), as /search would return them."""
    ranked: dict[str, dict[str, float]] = {}
    for qid, text in tqdm(judged.queries.items(), desc=f"evaluating {profile}", unit="query", disable=None):
        request = SearchRequest(
            q=text, profile=profile, user_id=judged.users.get(qid), size=depth, rules=False, collapse=False
        )
        hits = searcher.search(request)["hits"]
        ranked[qid] = {hit["id"]: float(depth - rank) for rank, hit in enumerate(hits)}  # rank order, ties-free
    return Run(ranked, name=profile)


def qrels_of(judged: Judgments) -> Qrels:
    return Qrels({qid: grades for qid, grades in judged.qrels.items() if qid in judged.queries})


def report(judged: Judgments, runs: list[Run], metrics: list[str] = METRICS) -> dict[str, Any]:
    """Scores per profile and metric, the winner of each metric, and paired t-test p-values."""
    result = compare(qrels_of(judged), runs, metrics=metrics, stat_test="student", max_p=0.05).to_dict()
    names = [run.name for run in runs]
    scores = {name: {m: float(result[name]["scores"][m]) for m in metrics} for name in names}
    winners = {m: max(names, key=lambda n: scores[n][m]) for m in metrics}
    p_values = {
        name: {
            other: {m: float(v) for m, v in result[name]["comparisons"][other].items()}
            for other in result[name]["comparisons"]
        }
        for name in names
    }
    return {
        "queries": len(judged.queries),
        "metrics": metrics,
        "scores": scores,
        "winners": winners,
        "p_values": p_values,
    }


def scores_per_query(judged: Judgments, run: Run, metric: str = "ndcg@10") -> np.ndarray:
    return np.asarray(evaluate(qrels_of(judged), run, metric, return_mean=False), dtype=np.float64)


def per_query(judged: Judgments, base: Run, other: Run, metric: str = "ndcg@10") -> list[tuple[str, float, float]]:
    """(query, base score, other score) for every query, worst change for `other` first."""
    a, b = scores_per_query(judged, base, metric), scores_per_query(judged, other, metric)
    qids = list(qrels_of(judged).keys())
    rows = [(judged.queries[qid], float(x), float(y)) for qid, x, y in zip(qids, a, b)]
    return sorted(rows, key=lambda row: row[2] - row[1])


def plot(judged: Judgments, runs: list[Run], out: Path, metric: str = "ndcg@10") -> None:
    """metrics.png (each profile, 95% bootstrap interval) and deltas.png (second profile vs first)."""
    per = {run.name: scores_per_query(judged, run, metric) for run in runs}
    metric_chart(per, metric, out / "metrics.png")
    if len(runs) > 1:
        qids = list(qrels_of(judged).keys())
        queries = [judged.queries[q] for q in qids]
        delta_chart(
            queries, per[runs[0].name], per[runs[1].name], (runs[0].name, runs[1].name), metric, out / "deltas.png"
        )


def write_outputs(out: Path, runs: list[Run], result: dict[str, Any]) -> None:
    """TREC run files (one per profile) and the JSON report."""
    out.mkdir(parents=True, exist_ok=True)
    for run in runs:
        run.save(str(out / f"{run.name}.trec"), kind="trec")
    (out / "report.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))


def table(result: dict[str, Any]) -> str:
    metrics, names = result["metrics"], list(result["scores"])
    lines = [f"{'profile':16}" + "".join(f"{m:>14}" for m in metrics)]
    for name in names:
        cells = "".join(
            f"{result['scores'][name][m]:>13.4f}{'*' if result['winners'][m] == name else ' '}" for m in metrics
        )
        lines.append(f"{name:16}{cells}")
    lines.append(f"* best per metric; {result['queries']} queries; paired t-tests in report.json")
    return "\n".join(lines)
