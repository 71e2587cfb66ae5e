"""Train the cross-encoder behind a profile's rerank stage (relevance.rerank), from judgments.

Each training query gives its graded products (target: the raters' finer relevance where the judgments have
it, else grade / top grade) and a few of the products the ranker puts in the head the rerank stage re-scores
that nobody judged (target 0: the evaluation counts them as not relevant), read as
(query, product text) pairs; binary cross-entropy on BERT's one-logit head, starting from the packaged
MiniLM. Then the rerank weight is the one that scores best on the validation queries (the ranker's top
candidates re-scored, scoring.rerank_shift), so nothing is fitted on held-out data; trained for several
epochs, the model kept is the one whose best weight scores highest there, of each epoch's and their average's
(a uniform "model soup", Wortsman et al. 2022: one model's cost at serving, often better than any epoch alone).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from opensearchpy import OpenSearch, helpers
from ranx import Qrels, Run, evaluate
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from shopsearch.encoder.cross import CrossEncoder, pair_tokens
from shopsearch.encoder.model_files import default_model_path
from shopsearch.lab.judgments import Judgments
from shopsearch.queries.neighbours import every_product
from shopsearch.relevance.rerank import document
from shopsearch.relevance.scoring import rerank_shift

WEIGHTS = (0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1.0, 1.5)


@dataclass(frozen=True)
class Pair:
    query: str
    text: str
    target: float  # 0..1


def product_texts(client: OpenSearch, alias: str, fields: list[str]) -> dict[str, str]:
    """Every indexed product's text as the cross-encoder reads it."""
    scan = helpers.scan(client, index=alias, query={**every_product(), "_source": fields})
    return {hit["_id"]: document(hit["_source"], fields) for hit in scan}


def pairs(
    judged: Judgments,
    ranked: dict[str, list[str]],
    texts: dict[str, str],
    qids: list[str],
    *,
    negatives: int = 3,
    depth: int = 40,
    seed: int = 0,
) -> list[Pair]:
    """The judged products of each query, and up to `negatives` unjudged ones from its first `depth` candidates
    (`ranked`: best first, as the rerank stage will see them)."""
    rng = random.Random(seed)
    target = targets(judged, qids)
    out = []
    for qid in qids:
        query, grades = judged.queries[qid], judged.qrels.get(qid, {})
        out += [Pair(query, texts[d], target(qid, d)) for d in grades if d in texts]
        unjudged = [d for d in ranked.get(qid, [])[:depth] if d not in grades and d in texts]
        out += [Pair(query, texts[d], 0.0) for d in rng.sample(unjudged, min(negatives, len(unjudged)))]
    rng.shuffle(out)
    return out


def targets(judged: Judgments, qids: list[str]) -> Callable[[str, str], float]:
    """A judged pair's target, 0..1: its finer relevance scaled over the range these queries use, where every
    pair has one (the raters' mean tells apart pairs that round to one grade), else grade / top grade."""
    finer = [r for q in qids for r in judged.relevance.get(q, {}).values()]
    every = sum(len(judged.qrels.get(q, {})) for q in qids)
    if finer and len(finer) == every and (low := min(finer)) < (high := max(finer)):
        return lambda qid, d: (judged.relevance[qid][d] - low) / (high - low)
    top = max((g for q in qids for g in judged.qrels.get(q, {}).values()), default=1) or 1
    return lambda qid, d: judged.qrels[qid][d] / top


def train(
    examples: list[Pair],
    out: Path,
    *,
    epochs: int = 1,
    judge: Callable[[Path], float] | None = None,
    base: Path | None = None,
    batch_size: int = 32,
    learning_rate: float = 7e-5,
    max_length: int = 64,
    seed: int = 0,
) -> Path:
    """`epochs` passes of BCE over the pairs (warm-up, then linear decay over all of them); the model directory
    is written to `out`. With `judge` (a model directory -> its validation score), every epoch's model is
    judged, then (after two or more) the average of their weights, and the best one kept: a later epoch is
    only worth its time when it, or the average it joins, scores better."""
    base = base or default_model_path()
    torch.manual_seed(seed)  # the new head's initial weights
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, local_files_only=True)
    steps = max(1, -(-len(examples) // batch_size)) * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / warmup, (steps - s) / steps))
    rng, best = random.Random(seed), -np.inf
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=out.parent) as scratch,
        tqdm(total=steps, desc="training the cross-encoder", unit="batch", disable=None) as bar,
    ):
        snapshots = []
        for epoch in range(1, epochs + 1):
            order = examples if epoch == 1 else rng.sample(examples, len(examples))
            _epoch(model, tokenizer, order, optimizer, schedule, bar, batch_size, max_length)
            if judge is None:
                continue
            snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
            saved = _save(model, tokenizer, Path(scratch) / f"epoch-{epoch}")
            if (score := judge(saved)) > best:
                best = score
                shutil.copytree(saved, out, dirs_exist_ok=True)
        if judge is None:
            return _save(model, tokenizer, out)
        if len(snapshots) > 1:
            model.load_state_dict(soup(snapshots))
            saved = _save(model, tokenizer, Path(scratch) / "soup")
            if judge(saved) > best:
                shutil.copytree(saved, out, dirs_exist_ok=True)
        return out


def soup(snapshots: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The mean of several state dicts of one model, parameter by parameter (integer buffers: the last one's)."""
    return {
        k: torch.stack([s[k] for s in snapshots]).mean(0) if v.is_floating_point() else v
        for k, v in snapshots[-1].items()
    }


def _epoch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[Pair],
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    bar: tqdm,  # type: ignore[type-arg]
    batch_size: int,
    max_length: int,
) -> None:
    loss_of = torch.nn.BCEWithLogitsLoss()
    model.train()
    for start in range(0, len(examples), batch_size):
        batch = examples[start : start + batch_size]
        tokens = pair_tokens(tokenizer, [p.query for p in batch], [p.text for p in batch], max_length)
        loss = loss_of(model(**tokens).logits[:, 0], torch.tensor([p.target for p in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")


def _save(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def fit_weight(
    judged: Judgments,
    ranked: dict[str, tuple[list[str], np.ndarray]],
    model: CrossEncoder,
    texts: dict[str, str],
    *,
    top: int,
) -> tuple[float, dict[float, float]]:
    """The rerank weight with the best NDCG@10 over `ranked` (each query's candidates and scores, best first),
    and the NDCG@10 of every weight tried (0: no rerank)."""
    read = {
        qid: model.scores(judged.queries[qid], [texts.get(d, "") for d in ids[:top]])
        for qid, (ids, _) in tqdm(ranked.items(), desc="re-scoring validation queries", unit="query", disable=None)
    }
    found = ndcg_by_weight(judged, ranked, read, (0.0, *WEIGHTS))
    return max(WEIGHTS, key=lambda w: found[w]), found


def ndcg_by_weight(
    judged: Judgments,
    ranked: dict[str, tuple[list[str], np.ndarray]],
    read: dict[str, np.ndarray],
    weights: tuple[float, ...],
) -> dict[float, float]:
    """NDCG@10 over `ranked` at each rerank weight, each query's head re-scored by its cross-encoder scores in
    `read` (as many as the head is long) and the rest kept behind it."""
    qrels = Qrels({qid: judged.qrels[qid] for qid in ranked})
    found = {}
    for weight in weights:
        run = {}
        for qid, (ids, scores) in ranked.items():
            head, blended = ids[: len(read[qid])], scores[: len(read[qid])]
            moved = blended + rerank_shift(blended, read[qid], weight)
            order = [head[i] for i in np.argsort(-moved, kind="stable")] + ids[len(head) :]
            run[qid] = {d: float(len(order) - rank) for rank, d in enumerate(order)}
        found[weight] = float(evaluate(qrels, Run(run), "ndcg@10"))
    return found
