"""The relevance lab through the real search path on the live node: eval, tune and fine-tuning on the shop."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopsearch.lab import tune
from shopsearch.lab.evaluate import report, run_profile, table, write_outputs
from shopsearch.lab.judgments import Judgments
from shopsearch.relevance.profile import load_profile


@pytest.mark.engine
def test_eval_and_tune_through_the_search_path(shop, tmp_path: Path) -> None:
    searcher = shop["app"].extensions["shopsearch"].searcher
    judged = Judgments()
    for query, graded in {
        "chef knife": {"K0": 3, "K1": 1, "K3": 1},
        "frying pan": {"C1": 3, "C0": 1},
        "running shoes": {"R0": 3, "R1": 3, "R2": 3, "R4": 3, "R3": 2},
        "tent": {"T0": 3},
        "earbuds": {"H1": 3, "H0": 1},
        "菜刀": {"Z2": 3},
    }.items():
        judged.queries[query] = query
        for product, grade in graded.items():
            judged.add(query, product, grade)
    runs = [run_profile(searcher, judged, name, depth=20) for name in ("default", "bm25")]
    result = report(judged, runs)
    assert set(result["scores"]) == {"default", "bm25"} and result["queries"] == 6
    assert all(0 < result["scores"]["default"][m] <= 1 for m in result["metrics"])
    assert "*" in table(result) and "bm25" in result["p_values"]["default"]
    write_outputs(tmp_path / "out", runs, result)
    assert (tmp_path / "out" / "default.trec").read_text().startswith("chef knife Q0 K0 1 ")

    features = tune.collect(searcher, judged, "default")
    start = {s.name: s.weight for s in searcher.profiles.get("default").signals}
    qids = list(judged.queries)
    learned = tune.coordinate_ascent(judged, features, qids, start, rounds=2)
    assert tune.ndcg(judged, features, qids, learned) >= tune.ndcg(judged, features, qids, start)
    out = tmp_path / "tuned.yaml"
    tune.write_profile(searcher.profiles.get("default"), learned, out, "tuned in a test")
    assert {s.name: s.weight for s in load_profile(out).signals} == {k: round(v, 4) for k, v in learned.items()}


@pytest.mark.engine
def test_finetune_command_path_on_the_shop(shop, tmp_path: Path) -> None:
    from shopsearch.lab.finetune import load_pairs, run

    pairs = tmp_path / "pairs.csv"
    rows = [
        ("cutting vegetables", "K0"),
        ("slicing bread", "K2"),
        ("frying eggs", "C1"),
        ("searing steak", "C0"),
        ("jogging", "R0"),
        ("marathon training", "R1"),
        ("camping trip", "T0"),
        ("sleeping outdoors", "T1"),
        ("quiet flights", "H0"),
        ("gym music", "H1"),
        ("green tea", "Z1"),
        ("chinese cleaver", "Z2"),
    ]
    pairs.write_text("query,product_id\n" + "".join(f"{q},{p}\n" for q, p in rows))
    searcher = shop["app"].extensions["shopsearch"].searcher
    summary = run(
        shop["settings"],
        searcher.client,
        searcher.encoder,
        load_pairs(pairs),
        str(pairs),
        out=tmp_path / "model",
        batch_size=4,
    )
    assert "training pairs" in summary and "NDCG@10" in summary
    assert {"config.json", "tokenizer.json", "README.md", "loss.png"} <= {
        p.name for p in (tmp_path / "model").iterdir()
    }


@pytest.mark.engine
def test_finetune_on_judgments_mines_negatives_and_keeps_the_best_epoch(shop, tmp_path: Path) -> None:
    from shopsearch.lab.finetune import mine, run_judged

    searcher = shop["app"].extensions["shopsearch"].searcher
    judged = Judgments()
    for query, graded in {
        "chef knife": {"K0": 2, "K2": 0},
        "frying pan": {"C1": 2},
        "running shoes": {"R0": 2},
        "tent": {"T0": 2},
        "earbuds": {"H1": 2},
        "headphones": {"H0": 2, "H2": 1},
        "skillet": {"C0": 2},
        "dutch oven": {"C2": 2},
        "bread knife": {"K2": 2},
    }.items():
        judged.queries[query] = query
        for product, grade in graded.items():
            judged.add(query, product, grade)
    [knife] = mine(searcher, judged, ["chef knife"], per_query=2, skip=3)
    assert knife.negatives[0] == "K2" and "K0" not in knife.negatives and len(knife.negatives) == 2
    summary = run_judged(
        shop["settings"],
        searcher,
        judged,
        out=tmp_path / "model",
        epochs=2,
        batch_size=4,
        held_out=0.2,
        validation_queries=5,
    )
    assert "graded examples" in summary and "kept epoch" in summary
    assert "NDCG@10" in (tmp_path / "model" / "README.md").read_text()
