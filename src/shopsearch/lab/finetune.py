"""Fine-tune the encoder on (query, product) examples: contrastive, with in-batch and hard negatives.

For a batch, each query's own product is its positive; the other products of the batch and each
example's hard negatives (products the search ranked high that are judged irrelevant or not judged:
see `mine`) are its negatives: loss = cross-entropy over scale · cos(query, product), weighted by
the example's grade (a 3 counts more than a 2). After each epoch a validation score may stop the
run early; the best epoch is what is saved. The result is a normal HF model directory (weights,
tokenizer, a model card and a loss curve) that `index reindex --model` takes; its content hash is
the model id the index records, so the API and `eval` refuse to mix it with another model's vectors.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from opensearchpy import OpenSearch, helpers
from ranx import Qrels, Run, evaluate
from tqdm import tqdm
from transformers import AutoModel, AutoTokenizer

from shopsearch.charts import pyplot
from shopsearch.config import Settings
from shopsearch.encoder import Encoder, TextEncoder
from shopsearch.encoder.model_files import keep_pooling, pooling
from shopsearch.encoder.pooling import l2_normalize, pool
from shopsearch.events.model import Event
from shopsearch.indexer.mapping import load_mapping
from shopsearch.indexer.writer import text_from_source
from shopsearch.lab.judgments import JudgmentError, Judgments
from shopsearch.lab.tune import split
from shopsearch.queries.neighbours import every_product
from shopsearch.relevance.searcher import Searcher, SearchRequest, blend
from shopsearch.vector_codec import unpack


class Example(NamedTuple):
    """One query with a product that answers it, the products that do not, and how much it counts."""

    query: str
    positive: str
    negatives: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass
class TrainingRun:
    steps: int
    losses: list[float]
    pairs: int
    epoch_scores: list[float] = field(default_factory=list)  # the validation score after each epoch
    before: float | None = None  # the validation score of the untrained model
    best_epoch: int = 0  # 1-based; 0: no validation, the last epoch is kept


def load_pairs(path: Path) -> list[tuple[str, str]]:
    """A CSV with columns query, product_id; errors name the line."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"query", "product_id"} <= set(reader.fieldnames or []):
            raise JudgmentError(f"{path}:1: expected columns query, product_id")
        pairs = []
        for row in reader:
            query, product = (row["query"] or "").strip(), (row["product_id"] or "").strip()
            if not query or not product:
                raise JudgmentError(f"{path}:{reader.line_num}: query and product_id must not be empty")
            pairs.append((query, product))
    return pairs


def pairs_from_events(events: Iterable[Event]) -> list[tuple[str, str]]:
    """Clicked, carted or bought products with the query that led to them (the click log)."""
    return [(e.query, e.product_id) for e in events if e.query and e.type in ("click", "cart", "purchase")]


def train(
    model_dir: Path,
    examples: list[Example] | list[tuple[str, str]],
    out_dir: Path,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    lr: float = 2e-5,
    scale: float = 20.0,
    max_length: int = 128,
    seed: int = 0,
    validate: Callable[[Callable[[list[str]], np.ndarray]], float] | None = None,
    patience: int = 1,
) -> TrainingRun:
    """Contrastive fine-tuning; saves model and tokenizer to out_dir. With `validate` (given an encode
    function, returns a score), the model is scored before training and after each epoch, the best epoch
    is saved and training stops after `patience` epochs without improvement."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    examples = [Example(*e) for e in examples]
    run = TrainingRun(0, [], len(examples))

    how = pooling(model_dir)

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        return l2_normalize(pool(model(**batch).last_hidden_state, batch["attention_mask"], how))

    def encode(texts: list[str]) -> np.ndarray:
        model.eval()
        with torch.inference_mode():
            return np.vstack(
                [embed(texts[i : i + 64]).numpy() for i in range(0, len(texts), 64)]
                or [np.empty((0, model.config.hidden_size))]
            )

    if validate is not None:
        run.before = validate(encode)
    for epoch in range(1, epochs + 1):
        order = list(examples)
        rng.shuffle(order)
        model.train()
        for start in tqdm(
            range(0, len(order) - 1, batch_size),
            desc=f"fine-tuning, epoch {epoch}/{epochs}",
            unit="batch",
            disable=None,
        ):
            batch = _distinct_products(order[start : start + batch_size])
            if len(batch) < 2:
                continue
            run.losses.append(_step(embed, optimizer, batch, scale))
            run.steps += 1
        if validate is None:
            continue
        run.epoch_scores.append(validate(encode))
        if run.epoch_scores[-1] > max(run.epoch_scores[:-1], default=-1.0):
            run.best_epoch = epoch
            model.save_pretrained(out_dir)
        elif epoch - run.best_epoch >= patience:
            break
    if validate is None:
        model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    keep_pooling(model_dir, out_dir)
    return run


def _step(
    embed: Callable[[list[str]], torch.Tensor], optimizer: torch.optim.Optimizer, batch: list[Example], scale: float
) -> float:
    """One update: each query against every positive of the batch and every hard negative; a negative
    that is another example's positive is dropped (it would teach the model a falsehood)."""
    positives = [e.positive for e in batch]
    taken = set(positives)
    negatives = list(dict.fromkeys(n for e in batch for n in e.negatives if n not in taken))
    logits = scale * embed([e.query for e in batch]) @ embed(positives + negatives).T
    losses = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)), reduction="none")
    weights = torch.tensor([e.weight for e in batch], dtype=losses.dtype)
    loss = (weights * losses).sum() / weights.sum()
    optimizer.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
    optimizer.step()
    return float(loss.detach())


def _distinct_products(batch: list[Example]) -> list[Example]:
    """One example per product text: a second copy would be a false negative for the first."""
    seen, kept = set(), []
    for example in batch:
        if example.positive not in seen:
            seen.add(example.positive)
            kept.append(example)
    return kept


def retrieval_quality(
    encoder: TextEncoder, pairs: list[tuple[str, str]], corpus_ids: list[str], corpus_vectors: np.ndarray
) -> dict[str, float]:
    """Each query ranks the corpus by cosine; NDCG@10 and hit-rate@10 of its one relevant product."""
    position = {pid: i for i, pid in enumerate(corpus_ids)}
    queries = encoder.encode_queries([q for q, _ in pairs])
    ndcg = hits = 0.0
    for vector, (_, product) in zip(queries, pairs):
        scores = corpus_vectors @ vector
        rank = int((scores > scores[position[product]]).sum()) + 1
        if rank <= 10:
            hits += 1
            ndcg += 1 / np.log2(rank + 1)
    return {"ndcg@10": ndcg / max(len(pairs), 1), "hit@10": hits / max(len(pairs), 1)}


_LABELS = {"ndcg@10": "NDCG@10"}


def write_card(
    out_dir: Path, base: str, run: TrainingRun, before: dict[str, float], after: dict[str, float], source: str
) -> None:
    """README.md (data, steps, loss, before/after) and loss.png next to the weights."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(range(1, len(run.losses) + 1), run.losses)
    axis.set(xlabel="step", ylabel="in-batch contrastive loss", title="fine-tuning loss")
    figure.tight_layout()
    figure.savefig(out_dir / "loss.png", dpi=100)
    plt.close(figure)
    card = {
        "base_model": base,
        "training_pairs": run.pairs,
        "steps": run.steps,
        "first_loss": run.losses[0] if run.losses else None,
        "last_loss": run.losses[-1] if run.losses else None,
        "epoch_scores": run.epoch_scores,
        "best_epoch": run.best_epoch,
        "held_out_before": before,
        "held_out_after": after,
        "data": source,
    }
    change = ", ".join(f"{_LABELS.get(k, k)} {before[k]:.4f} -> {after[k]:.4f}" for k in before)
    (out_dir / "README.md").write_text(
        "# shopsearch fine-tuned encoder\n\nContrastive fine-tuning (in-batch and mined hard negatives) of "
        f"`{base}` on {run.pairs} (query, product) examples from {source}; {run.steps} steps.\n\n"
        f"Held-out quality, before -> after: {change}.\n\n"
        "![loss](loss.png)\n\n```json\n" + json.dumps(card, indent=2) + "\n```\n",
        encoding="utf-8",
    )


def run(
    settings: Settings,
    client: OpenSearch,
    encoder: TextEncoder,
    raw: list[tuple[str, str]],
    source: str,
    *,
    out: Path,
    epochs: int = 1,
    batch_size: int = 32,
    max_pairs: int = 3000,
) -> str:
    """`shopsearch finetune --pairs|--clicks`: (query, product id) pairs from `source`, split, before, train,
    after, model card. Returns a summary."""
    ids, texts, before_vectors = catalog(settings, client)
    distinct = sorted({(q, p) for q, p in raw if p in texts})[:max_pairs]
    if len(distinct) < 4:
        raise JudgmentError(f"{source}: only {len(distinct)} usable (query, product) pairs; need at least 4")

    def held_out(pair: tuple[str, str]) -> bool:
        return int(hashlib.sha256("|".join(pair).encode()).hexdigest()[:8], 16) % 5 == 0

    train_pairs = [(q, texts[p]) for q, p in distinct if not held_out((q, p))]
    test_pairs = [(q, p) for q, p in distinct if held_out((q, p))] or distinct[:1]
    before = retrieval_quality(encoder, test_pairs, ids, before_vectors)
    result = train(encoder.model_dir, train_pairs, out, epochs=epochs, batch_size=batch_size)
    tuned = Encoder(out, max_length=encoder.max_length)
    after = retrieval_quality(tuned, test_pairs, ids, tuned.encode_documents([texts[i] for i in ids], progress=False))
    write_card(out, encoder.model_id, result, before, after, source)
    return (
        f"{result.pairs} training pairs, {result.steps} steps, loss {result.losses[0]:.3f} -> "
        f"{result.losses[-1]:.3f}\nheld-out ({len(test_pairs)} pairs) NDCG@10 {before['ndcg@10']:.4f} -> "
        f"{after['ndcg@10']:.4f}, hit@10 {before['hit@10']:.4f} -> {after['hit@10']:.4f}\n"
        f"model: {out} (use it with `shopsearch index reindex CATALOG --model {out}`)"
    )


def run_judged(
    settings: Settings,
    searcher: Searcher,
    judged: Judgments,
    *,
    out: Path,
    epochs: int = 3,
    batch_size: int = 32,  # noqa: ANN001
    max_examples: int = 6000,
    negatives: int = 3,
    held_out: float = 0.2,
    validation_queries: int = 300,
    source: str = "judgments",
) -> str:
    """`shopsearch finetune --judgments`: graded examples with mined hard negatives from the training
    queries (the split `learn` uses, so its held-out queries stay unseen), early stopping on a slice of
    them, and the model card. Returns a summary."""
    _, texts, _ = catalog(settings, searcher.client)
    texts = {p: settings.model.document_prefix + t for p, t in texts.items()}  # trained as the encoder is served

    def mined(qids: list[str], per_query: int) -> list[Mined]:
        found = mine(searcher, judged, qids, per_query=per_query)
        return [dataclasses.replace(m, query=settings.model.query_prefix + m.query) for m in found]

    train_queries, _ = split(judged, held_out)
    fit, valid = split(judged, 0.1, train_queries, salt="valid")
    examples = examples_from(mined(fit, negatives), texts)
    random.Random(0).shuffle(examples)
    examples = examples[:max_examples]
    if len(examples) < 4:
        raise JudgmentError(f"{source}: only {len(examples)} judged-relevant products found in the index; need 4")
    checks = mined(valid[:validation_queries], 0)
    result = train(
        searcher.encoder.model_dir,
        examples,
        out,
        epochs=epochs,
        batch_size=batch_size,
        validate=lambda encode: rerank_ndcg(encode, checks, texts),
    )
    before, after = result.before or 0.0, result.epoch_scores[result.best_epoch - 1]
    write_card(out, searcher.encoder.model_id, result, {"ndcg@10": before}, {"ndcg@10": after}, source)
    return (
        f"{len(examples)} graded examples with up to {negatives} hard negatives each, {result.steps} steps; "
        f"kept epoch {result.best_epoch} of {len(result.epoch_scores)}\nvalidation ({len(checks)} queries, "
        f"re-ranked by cosine) NDCG@10 {before:.4f} -> {after:.4f}\n"
        f"model: {out} (use it with `shopsearch index reindex CATALOG --model {out}`)"
    )


def catalog(settings: Settings, client: OpenSearch) -> tuple[list[str], dict[str, str], np.ndarray]:
    """Every indexed product's id, embedded text and vector (the texts the encoder saw)."""
    copy_field = load_mapping(settings.index.mapping).vector_copy_field
    ids, texts, vectors = [], {}, []
    for hit in helpers.scan(client, index=settings.index.alias, query=every_product()):
        ids.append(hit["_id"])
        texts[hit["_id"]] = text_from_source(hit["_source"], settings.index.text_fields, settings.index.text_separator)
        vectors.append(unpack(hit["_source"][copy_field]))
    return ids, texts, np.array(vectors, dtype=np.float32)


@dataclass
class Mined:
    """One judged query as the search saw it: its graded products and the hard negatives found."""

    query: str
    grades: dict[str, int]
    negatives: list[str]
    candidates: list[str]  # the search's order (validation re-ranks the first of these by cosine)


def mine(
    searcher: Searcher,
    judged: Judgments,
    qids: list[str],
    *,
    profile: str = "default",
    per_query: int = 3,
    skip: int = 10,
) -> list[Mined]:
    """Hard negatives from the BM25 and k-NN candidates of each query: the products judged 0 first,
    then unjudged ones ranked below `skip` (higher ones are too often relevant but never judged)."""
    chosen = searcher.profiles.get(profile)
    mined = []
    for qid in tqdm(qids, desc="mining hard negatives", unit="query", disable=None):
        candidates, context = searcher.candidates(SearchRequest(q=judged.queries[qid], profile=profile))
        scores, _ = blend(chosen, candidates, context)
        ranked = [candidates.ids[i] for i in np.argsort(-scores, kind="stable")]
        grades = judged.qrels.get(qid, {})
        bad = [p for p in ranked if grades.get(p) == 0] + [p for p in ranked[skip:] if p not in grades]
        mined.append(Mined(judged.queries[qid], grades, bad[:per_query], ranked))
    return mined


def examples_from(mined: list[Mined], texts: dict[str, str]) -> list[Example]:
    """An example per judged-relevant product, weighted by its grade over the top grade."""
    top = max((g for m in mined for g in m.grades.values()), default=1) or 1
    return [
        Example(m.query, texts[p], tuple(texts[n] for n in m.negatives if n in texts), grade / top)
        for m in mined
        for p, grade in sorted(m.grades.items())
        if grade > 0 and p in texts
    ]


def rerank_ndcg(
    encode: Callable[[list[str]], np.ndarray], mined: list[Mined], texts: dict[str, str], depth: int = 30
) -> float:
    """Mean NDCG@10 when each query's first `depth` candidates and its judged products are ordered by
    cosine alone: cheap enough to run after every epoch, and blind to what BM25 already gets right."""
    qrels, run = {}, {}
    for n, m in enumerate(mined):
        pool = [p for p in dict.fromkeys(m.candidates[:depth] + list(m.grades)) if p in texts]
        if not pool or not any(m.grades.values()):
            continue  # counts as 0 in the mean
        vectors = encode([m.query] + [texts[p] for p in pool])
        qrels[str(n)] = dict(m.grades)
        run[str(n)] = {p: float(score) for p, score in zip(pool, vectors[1:] @ vectors[0])}
    if not run:
        return 0.0
    return float(np.sum(evaluate(Qrels(qrels), Run(run), "ndcg@10", return_mean=False))) / len(mined)
