"""`shopsearch learn`: one path from a shop's judgments (or its click log) to learned relevance profiles.

The queries are split once: about 80% train everything, the rest is held out and only measured.
Inside the training part a further slice stops the ranker's boosting early. Two profiles are
written next to the others: `<name>-linear` (the seed's blend, weights by coordinate ascent) and
`<name>` (the LambdaMART ranker as its main signal, with the base profile's personal and business
terms). The report compares them with BM25 and the base profile on the held-out queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm
import numpy as np
import yaml
from tqdm import tqdm

from shopsearch.errors import ConfigError
from shopsearch.lab import crossencoder, evaluate, ltr, tune
from shopsearch.lab.judgments import Judgments
from shopsearch.relevance import features
from shopsearch.relevance.profile import RelevanceProfile
from shopsearch.relevance.rerank import RerankParams
from shopsearch.relevance.searcher import Searcher, SearchRequest, signal_values

if TYPE_CHECKING:
    from ranx import Run

KEPT_FROM_BASE = ("personal", "business")  # request-level terms the ranker's training data rarely sees
# The candidates the cross-encoder re-scores: on Home Depot's validation queries 20 to 60 did about
# equally well, and each one costs a model pass (about 0.2 s of two cores per search for 30, README).
RERANK_TOP = 30
# Epochs of cross-encoder training at most; the one kept scores best on the validation queries.
RERANK_EPOCHS = 2
# The ranker's candidates include typo matches (a fuzzy copy of the BM25 query at this boost, unless the base
# has its own): fuzzy coverage is what it leans on most, and on Home Depot's held-out queries this pool
# took the ranker from 1.154x to about 1.18x BM25 NDCG@10, while it costs the untrained blend (README).
RANKER_FUZZY = 0.5


@dataclass
class Learned:
    train: list[str]
    held_out: list[str]
    profiles: list[str]  # compared on the held-out queries, baseline first
    report: dict[str, Any]
    runs: list[Run]  # in the order of `profiles`
    importance: list[tuple[str, float]]
    rerank: dict[float, float] = field(default_factory=dict)  # validation NDCG@10 of each rerank weight tried
    rerank_epochs: list[float] = field(
        default_factory=list
    )  # the cross-encoder's best validation NDCG@10 by epoch, then their soup


def learn(
    searcher: Searcher,
    judged: Judgments,
    *,
    base: str,
    name: str,
    held_out: float = 0.2,
    baseline: str = "bm25",
    note: str = "",
    ranker_fuzzy: float = RANKER_FUZZY,
    rerank: Path | None = None,
    rerank_from: Path | None = None,
    rerank_epochs: int = RERANK_EPOCHS,
) -> Learned:
    """Fit both profiles on the training queries, write them, and evaluate every profile on the held-out ones.

    With `rerank` (a directory), a cross-encoder is trained there (unless it already holds one) and
    `<name>-reranked` adds it to the ranker as a rerank stage; `rerank_from` is the model it starts from (a
    BERT-family directory, e.g. the encoder `shopsearch finetune` wrote; default: the packaged MiniLM), trained
    for `rerank_epochs` at most."""
    directory = searcher.profiles.directory
    if {"site-packages", "dist-packages"} & set(directory.parts):
        raise ConfigError(
            f"api.profiles_dir is the installed package's defaults ({directory}): learn writes profiles there."
            f" Copy them to a folder of your own (cp -r {directory} ./mappings/profiles) and run learn from there."
        )
    train, test = tune.split(judged, held_out)
    fit, valid = tune.split(judged, 0.1, train, salt="valid")
    profile = searcher.profiles.get(base)
    pool = ranker_pool(profile, ranker_fuzzy)
    # One search per query serves both when the pools agree; else each pass computes only what it is for.
    signals, rows = collect(searcher, judged, profile, train, rows=pool is profile)
    if pool is not profile:
        _, rows = collect(searcher, judged, pool, train, signals=False)
    start = {signal.name: signal.weight for signal in profile.signals}
    weights = tune.coordinate_ascent(judged, signals, train, start)
    tune.write_profile(
        profile,
        weights,
        directory / f"{name}-linear.yaml",
        f"{base} with weights fitted by coordinate ascent on {len(train)} queries{note}",
    )
    booster = ltr.train(judged, rows, fit, valid)
    model = ltr.save(booster, directory / f"{name}.lgb.txt")
    write_ranker_profile(
        pool,
        directory / f"{name}.yaml",
        model.name,
        f"LambdaMART over the candidates of {base}, trained on {len(fit)} queries and stopped "
        f"early on {len(valid)}{note}",
    )
    names = [baseline, base, f"{name}-linear", name]
    tried: dict[float, float] = {}
    epochs: list[float] = []
    if rerank is not None:
        weight, tried, epochs = _fit_rerank(
            searcher, judged, rows, booster, fit, valid, rerank, rerank_from, rerank_epochs
        )
        write_ranker_profile(
            pool,
            directory / f"{name}-reranked.yaml",
            model.name,
            f"{name} with its top {RERANK_TOP} re-scored by the cross-encoder {rerank} (trained on {len(fit)} "
            f"queries, weight {weight} fitted on {len(valid)}){note}",
            rerank={"model": str(rerank), "weight": weight, "top": RERANK_TOP},
        )
        names.append(f"{name}-reranked")
    held = judged.only(test)
    runs = [evaluate.run_profile(searcher, held, profile_name) for profile_name in names]
    return Learned(train, test, names, evaluate.report(held, runs), runs, ltr.importance(booster), tried, epochs)


def _fit_rerank(
    searcher: Searcher,
    judged: Judgments,
    rows: dict[str, ltr.QueryRows],
    booster: lightgbm.Booster,
    fit: list[str],
    valid: list[str],
    model_dir: Path,
    start: Path | None,
    epochs: int,
) -> tuple[float, dict[float, float], list[float]]:
    """Train the cross-encoder on the `fit` queries (unless `model_dir` has one), keeping its best epoch; fit its
    weight on `valid` (on `fit` when no validation query has candidates and judgments). Returns the weight,
    the NDCG@10 of each weight tried, and each epoch's best NDCG@10 (one entry for a model given)."""
    from shopsearch.encoder.cross import CrossEncoder  # torch: only when a rerank stage is learned

    fields = RerankParams.model_fields["fields"].default
    texts = crossencoder.product_texts(searcher.client, searcher.alias, fields)
    usable = [q for q in valid if rows[q].ids and judged.qrels.get(q)]
    ranked = _ranked(booster, rows, usable or [q for q in fit if rows[q].ids and judged.qrels.get(q)])  # tiny set
    judged_models: list[tuple[float, dict[float, float]]] = []  # each model judged: its weight, NDCG@10 of each

    def judge(model: Path) -> float:
        weight, tried = crossencoder.fit_weight(judged, ranked, CrossEncoder(model), texts, top=RERANK_TOP)
        judged_models.append((weight, tried))
        return tried[weight]

    if not (model_dir / "config.json").is_file():
        heads = {q: ids for q, (ids, _) in _ranked(booster, rows, fit).items()}
        examples = crossencoder.pairs(judged, heads, texts, fit, depth=RERANK_TOP)
        crossencoder.train(examples, model_dir, epochs=epochs, judge=judge, base=start)
    else:
        judge(model_dir)
    weight, tried = max(judged_models, key=lambda m: m[1][m[0]])  # the first of equals, as train keeps
    return weight, tried, [found[w] for w, found in judged_models]


def _ranked(
    booster: lightgbm.Booster, rows: dict[str, ltr.QueryRows], qids: list[str]
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Each query's candidates in the ranker's order, with its scores, best first."""
    ranked = {}
    for qid in (q for q in qids if rows[q].ids):
        scores = ltr.predict(booster, rows[qid].matrix)
        order = np.argsort(-scores, kind="stable")
        ranked[qid] = ([rows[qid].ids[i] for i in order], scores[order])
    return ranked


def ranker_pool(profile: RelevanceProfile, fuzzy: float) -> RelevanceProfile:
    """The base profile, with typo-tolerant candidates for the ranker (the profile itself if it has them)."""
    if profile.spec.fuzzy >= fuzzy:
        return profile
    spec = profile.spec.model_copy(update={"fuzzy": fuzzy})
    return RelevanceProfile(profile.name, spec, profile.signals, profile.reranker)


def collect(
    searcher: Searcher,
    judged: Judgments,
    profile: RelevanceProfile,
    qids: list[str],
    *,
    signals: bool = True,
    rows: bool = True,
) -> tuple[dict[str, tune.QueryFeatures], dict[str, ltr.QueryRows]]:
    """One search per query gives what the blend's weights learn from (`signals`) and the ranker's `rows`."""
    values, matrices = {}, {}
    for qid in tqdm(qids, desc="collecting candidates", unit="query", disable=None):
        request = SearchRequest(q=judged.queries[qid], profile=profile.name, user_id=judged.users.get(qid))
        candidates, context = searcher.candidates(request, profile)
        if signals:
            values[qid] = tune.QueryFeatures(candidates.ids, signal_values(profile, candidates, context))
        if rows:
            matrices[qid] = ltr.QueryRows(candidates.ids, features.extract(candidates, context))
    return values, matrices


def write_ranker_profile(
    pool: RelevanceProfile, path: Path, model_file: str, note: str, rerank: dict[str, Any] | None = None
) -> None:
    """The pool's candidates and fields, scored by the ranker plus the base's request-level terms (and
    re-scored by a cross-encoder when `rerank` says which)."""
    spec = pool.spec.model_dump(mode="json")
    kept = {key: value for key, value in spec["signals"].items() if key in KEPT_FROM_BASE}
    spec["signals"] = {"ltr": {"weight": 1.0, "model": model_file}, **kept}
    spec.pop("rerank", None)
    if rerank:
        spec["rerank"] = rerank
    spec["description"] = f"Learned ranker over {pool.name}'s candidates."
    path.write_text(f"# {note}\n" + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
