"""Train the LambdaMART ranker (LightGBM) behind the `ltr` signal.

Each judged query goes through the same Searcher as /search (see lab.learn); its candidates become rows of
relevance.features, labelled with their grade (unjudged: 0). LightGBM's lambdarank objective
optimises NDCG@10 directly, with linear gains (a grade counts as itself, as in the evaluation) and
early stopping on queries it does not train on. Several boosters, each on its own row and feature
subsamples (its own seed) and stopped on its own, are merged into the one model the `ltr` signal loads:
a single booster's early stop moves with a handful of changed rows, and the bag's does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import lightgbm
import numpy as np
from tqdm import tqdm

from shopsearch.lab.judgments import Judgments
from shopsearch.relevance import features

PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 50,  # pairs down to rank 50: out of fold +0.0018 NDCG@10 over 20 (README)
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}
BAG = 5  # boosters merged; out of fold on Home Depot five beat one by 0.0024 NDCG@10 (README)


@dataclass
class QueryRows:
    """One query's candidates and their feature matrix."""

    ids: list[str]
    matrix: np.ndarray


def _dataset(
    judged: Judgments, rows: dict[str, QueryRows], qids: list[str], reference: lightgbm.Dataset | None = None
) -> lightgbm.Dataset:
    kept = [q for q in qids if rows[q].ids]
    matrix = np.vstack([rows[q].matrix for q in kept]) if kept else np.empty((0, len(features.FEATURES)))
    labels: np.ndarray | list[float] = (
        np.concatenate([[judged.qrels[q].get(i, 0) for i in rows[q].ids] for q in kept]) if kept else []
    )
    return lightgbm.Dataset(
        matrix,
        label=np.asarray(labels, dtype=np.float64),
        group=[len(rows[q].ids) for q in kept],
        feature_name=list(features.FEATURES),
        reference=reference,
        free_raw_data=False,
    )


def train(
    judged: Judgments,
    rows: dict[str, QueryRows],
    fit: list[str],
    valid: list[str],
    *,
    rounds: int = 600,
    patience: int = 40,
    threads: int | None = None,
    bag: int = BAG,
) -> lightgbm.Booster:
    """`bag` boosters on the `fit` queries (seeds PARAMS["seed"] and up), each stopped when NDCG@10 on the
    `valid` queries has not improved for `patience` rounds, merged into one model that scores their sum."""
    top = max((g for q in fit for g in judged.qrels[q].values()), default=1)
    params = {**PARAMS, "label_gain": list(range(int(top) + 1)), "num_threads": threads or 0}
    train_set = _dataset(judged, rows, fit)
    valid_set = _dataset(judged, rows, valid, reference=train_set) if valid else None
    boosters = []
    for n in tqdm(range(bag), desc="training the ranker", unit="booster", disable=None):
        booster = lightgbm.train(
            {**params, "seed": PARAMS["seed"] + n},
            train_set,
            num_boost_round=rounds,
            valid_sets=[valid_set] if valid_set else None,
            callbacks=[lightgbm.early_stopping(patience, verbose=False)] if valid else None,
        )
        boosters.append(lightgbm.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration)))
    return merge(boosters)


def merge(boosters: list[lightgbm.Booster]) -> lightgbm.Booster:
    """The first booster, given every other one's trees too: it scores their sum, which ranks (and min-max scales, and
    splits into pred_contrib) as their mean. LightGBM's C API merge; its Python API has none."""
    merged = boosters[0]
    for other in boosters[1:]:
        lightgbm.basic._safe_call(lightgbm.libpath._LIB.LGBM_BoosterMerge(merged._handle, other._handle))
    return merged


def predict(booster: lightgbm.Booster, matrix: np.ndarray) -> np.ndarray:
    """Scores as a dense array (LightGBM's predict is typed for sparse input too)."""
    return cast(np.ndarray, booster.predict(matrix))


def save(booster: lightgbm.Booster, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(path))
    return path


def importance(booster: lightgbm.Booster) -> list[tuple[str, float]]:
    """Features by total gain, largest first (what the ranker leans on)."""
    gains = booster.feature_importance(importance_type="gain")
    total = float(gains.sum()) or 1.0
    return sorted(((name, float(g) / total) for name, g in zip(booster.feature_name(), gains)), key=lambda x: -x[1])
