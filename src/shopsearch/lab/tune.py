"""Learn the blend's weights from judgments: coordinate ascent on NDCG@10 over a training split.

The seed's model is linear, score = Σ w_s · signal_s, so the candidates and their signal values are
fetched once per query and every weight setting is scored offline. Coordinate ascent (one weight at
a time over a grid, a few rounds) maximises mean NDCG@10 on the training queries; the held-out
queries report how well it generalises.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml
from ranx import Qrels, Run, evaluate
from tqdm import tqdm

from shopsearch.lab.judgments import Judgments
from shopsearch.relevance.profile import RelevanceProfile
from shopsearch.relevance.searcher import Searcher, SearchRequest

GRID = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass
class QueryFeatures:
    ids: list[str]
    values: dict[str, np.ndarray]


def split(
    judged: Judgments, held_out: float = 0.34, qids: list[str] | None = None, salt: str = ""
) -> tuple[list[str], list[str]]:
    """A stable split of the query ids (all, or `qids`) by a hash (the same on every machine and run);
    another `salt` splits the same ids independently (e.g. a validation part inside the training part)."""

    def bucket(qid: str) -> float:
        return int(hashlib.sha256((salt + qid).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF

    qids = list(judged.queries) if qids is None else qids
    return [q for q in qids if bucket(q) >= held_out], [q for q in qids if bucket(q) < held_out]


def collect(
    searcher: Searcher, judged: Judgments, profile: str, qids: list[str] | None = None
) -> dict[str, QueryFeatures]:
    features = {}
    for qid in tqdm(
        list(judged.queries) if qids is None else qids, desc="collecting signal values", unit="query", disable=None
    ):
        request = SearchRequest(q=judged.queries[qid], profile=profile, user_id=judged.users.get(qid))
        candidates, values = searcher.features(request)
        features[qid] = QueryFeatures(candidates.ids, values)
    return features


def ndcg(judged: Judgments, features: dict[str, QueryFeatures], qids: list[str], weights: dict[str, float]) -> float:
    runs = {}
    for qid in qids:
        f = features[qid]
        scores = sum((weights.get(name, 0.0) * values for name, values in f.values.items()), np.zeros(len(f.ids)))
        order = np.argsort(-scores, kind="stable")[:100]
        runs[qid] = {f.ids[i]: float(len(order) - rank) for rank, i in enumerate(order)} or {"-": 0.0}
    qrels = Qrels({qid: judged.qrels[qid] for qid in qids})
    return float(evaluate(qrels, Run(runs), "ndcg@10"))


def coordinate_ascent(
    judged: Judgments, features: dict[str, QueryFeatures], train: list[str], start: dict[str, float], rounds: int = 3
) -> dict[str, float]:
    weights, best = dict(start), ndcg(judged, features, train, start)
    for _ in range(rounds):
        improved = False
        for name in sorted(weights):
            for value in GRID:
                trial = {**weights, name: value}
                score = ndcg(judged, features, train, trial)
                if score > best + 1e-9:
                    weights, best, improved = trial, score, True
        if not improved:
            break
    return weights


def write_profile(profile: RelevanceProfile, weights: dict[str, float], path: Path, note: str) -> None:
    """The profile's own file with the learned weights, and a comment saying where they came from."""
    spec = profile.spec.model_dump(mode="json")
    for name, weight in weights.items():
        spec["signals"][name]["weight"] = round(weight, 4)
    path.write_text(f"# {note}\n" + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")


def fit_adam(
    judged: Judgments,
    features: dict[str, QueryFeatures],
    train: list[str],
    start: dict[str, float],
    steps: int = 300,
    lr: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    """The seed's linear model fitted by Adam on a listwise softmax loss (ListNet): for each query the
    softmax of the scores is pulled toward the softmax of the grades. Weights stay >= 0 (softplus)."""
    torch.manual_seed(seed)
    names = sorted(start)
    data = []
    for qid in train:
        f = features[qid]
        if not f.ids:
            continue
        x = torch.tensor(np.stack([f.values.get(n, np.zeros(len(f.ids))) for n in names], axis=1), dtype=torch.float32)
        y = torch.tensor([float(judged.qrels[qid].get(pid, 0)) for pid in f.ids])
        if y.sum() > 0:
            data.append((x, torch.softmax(y, dim=0)))
    if not data:  # no training query has a graded product: nothing to fit (the loss would be a plain 0)
        return {name: start[name] for name in names}
    # softplus^-1 of the starting weights, so the fit begins where the profile is
    theta = torch.tensor(
        [np.log(np.expm1(max(start[n], 1e-3))) for n in names], dtype=torch.float32, requires_grad=True
    )
    optimizer = torch.optim.Adam([theta], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        weights = torch.nn.functional.softplus(theta)
        loss = sum((-(target * torch.log_softmax(x @ weights, dim=0)).sum() for x, target in data), torch.zeros(()))
        loss = loss / len(data)
        loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
        optimizer.step()
    fitted = torch.nn.functional.softplus(theta).detach().numpy()
    return {name: float(w) for name, w in zip(names, fitted)}
