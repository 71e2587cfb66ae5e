"""Fine-tune the encoder on (query, clicked or bought product) pairs: contrastive, in-batch negatives.

For a batch of pairs, each query's own product is its positive and the other products in the batch
are its negatives: loss = cross-entropy over scale · cos(query, product). The result is a normal HF
model directory (weights, tokenizer, a model card and a loss curve) that `index reindex --model`
takes. Before/after quality is measured offline: each held-out query ranks the whole catalog by
cosine, and NDCG@10 / hit-rate@10 of its product are reported.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from shopsearch.encoder import Encoder
from shopsearch.encoder.pooling import l2_normalize, mean_pool
from shopsearch.events.model import Event
from shopsearch.lab.judgments import JudgmentError


@dataclass
class TrainingRun:
    steps: int
    losses: list[float]
    pairs: int


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


def train(model_dir: Path, pairs: list[tuple[str, str]], out_dir: Path, *, epochs: int = 1, batch_size: int = 32,
          lr: float = 2e-5, scale: float = 20.0, max_length: int = 128, seed: int = 0) -> TrainingRun:
    """Contrastive fine-tuning with in-batch negatives; saves model and tokenizer to out_dir."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        return l2_normalize(mean_pool(model(**batch).last_hidden_state, batch["attention_mask"]))

    losses = []
    for _ in range(epochs):
        order = list(pairs)
        rng.shuffle(order)
        for start in range(0, len(order) - 1, batch_size):
            batch = _distinct_products(order[start : start + batch_size])
            if len(batch) < 2:
                continue
            logits = scale * embed([q for q, _ in batch]) @ embed([d for _, d in batch]).T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return TrainingRun(len(losses), losses, len(pairs))


def _distinct_products(batch: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One pair per product text: a second copy would be a false negative for the first."""
    seen, kept = set(), []
    for query, text in batch:
        if text not in seen:
            seen.add(text)
            kept.append((query, text))
    return kept


def retrieval_quality(encoder: Encoder, pairs: list[tuple[str, str]], corpus_ids: list[str],
                      corpus_vectors: np.ndarray) -> dict[str, float]:
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


def write_card(out_dir: Path, base: str, run: TrainingRun, before: dict[str, float], after: dict[str, float],
               source: str) -> None:
    """README.md (data, steps, loss, before/after) and loss.png next to the weights."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(range(1, len(run.losses) + 1), run.losses)
    axis.set(xlabel="step", ylabel="in-batch contrastive loss", title="fine-tuning loss")
    figure.tight_layout()
    figure.savefig(out_dir / "loss.png", dpi=100)
    plt.close(figure)
    card = {"base_model": base, "training_pairs": run.pairs, "steps": run.steps,
            "first_loss": run.losses[0] if run.losses else None, "last_loss": run.losses[-1] if run.losses else None,
            "held_out_before": before, "held_out_after": after, "data": source}
    (out_dir / "README.md").write_text(
        "# shopsearch fine-tuned encoder\n\nContrastive fine-tuning (in-batch negatives) of "
        f"`{base}` on {run.pairs} (query, product) pairs from {source}; {run.steps} steps.\n\n"
        f"Held-out retrieval over the catalog, before -> after: NDCG@10 {before['ndcg@10']:.4f} -> "
        f"{after['ndcg@10']:.4f}, hit@10 {before['hit@10']:.4f} -> {after['hit@10']:.4f}.\n\n"
        "![loss](loss.png)\n\n```json\n" + json.dumps(card, indent=2) + "\n```\n", encoding="utf-8")


def run(settings, pairs_file: Path | None, *, out: Path, epochs: int = 1, batch_size: int = 32,
        max_pairs: int = 3000) -> str:
    """The whole `shopsearch finetune`: pairs, split, before, train, after, model card. Returns a summary."""
    import hashlib

    from opensearchpy import helpers

    from shopsearch.client import create_client
    from shopsearch.events.store import EventStore
    from shopsearch.indexer.mapping import load_mapping
    from shopsearch.indexer.service import encoder_from
    from shopsearch.indexer.writer import text_from_source
    from shopsearch.vector_codec import unpack

    client = create_client(settings.opensearch)
    copy_field = load_mapping(settings.index.mapping).vector_copy_field
    if pairs_file is not None:
        raw, source = load_pairs(pairs_file), str(pairs_file)
    else:
        store = EventStore(client, settings.api.events_stream, settings.api.events_template)
        raw, source = pairs_from_events(store.scan(types=("click", "cart", "purchase"))), "the click log"
    ids, texts, before_vectors = [], {}, []
    for hit in helpers.scan(client, index=settings.index.alias, query={"query": {"match_all": {}}}):
        ids.append(hit["_id"])
        texts[hit["_id"]] = text_from_source(hit["_source"], settings.index.text_fields, settings.index.text_separator)
        before_vectors.append(unpack(hit["_source"][copy_field]))
    distinct = sorted({(q, p) for q, p in raw if p in texts})[:max_pairs]
    if len(distinct) < 4:
        raise JudgmentError(f"{source}: only {len(distinct)} usable (query, product) pairs; need at least 4")

    def held_out(pair: tuple[str, str]) -> bool:
        return int(hashlib.sha256("|".join(pair).encode()).hexdigest()[:8], 16) % 5 == 0

    train_pairs = [(q, texts[p]) for q, p in distinct if not held_out((q, p))]
    test_pairs = [(q, p) for q, p in distinct if held_out((q, p))] or distinct[:1]
    encoder = encoder_from(settings)
    before = retrieval_quality(encoder, test_pairs, ids, np.array(before_vectors, dtype=np.float32))
    result = train(encoder.model_dir, train_pairs, out, epochs=epochs, batch_size=batch_size)
    tuned = Encoder(out, max_length=encoder.max_length)
    after = retrieval_quality(tuned, test_pairs, ids, tuned.encode_documents([texts[i] for i in ids], progress=None))
    write_card(out, encoder.model_id, result, before, after, source)
    return (f"{result.pairs} training pairs, {result.steps} steps, loss {result.losses[0]:.3f} -> "
            f"{result.losses[-1]:.3f}\nheld-out ({len(test_pairs)} pairs) NDCG@10 {before['ndcg@10']:.4f} -> "
            f"{after['ndcg@10']:.4f}, hit@10 {before['hit@10']:.4f} -> {after['hit@10']:.4f}\n"
            f"model: {out} (use it with `shopsearch index reindex CATALOG --model {out}`)")
