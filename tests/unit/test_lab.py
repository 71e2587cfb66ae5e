"""The relevance lab without the engine: judgment parsers, metric wiring, plots, click-log judgments, training pieces."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ranx import Qrels, Run, evaluate

from shopsearch.lab import tune
from shopsearch.lab.judgments import ESCI_GRADES, JudgmentError, Judgments, load_csv, load_trec


def test_csv_judgments_with_users(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    path.write_text("query,product_id,grade,user_id\nchef knife,K0,3,\nchef knife,K1,1,\nkitchen,K0,2,knife-fan\n")
    judged = load_csv(path)
    assert judged.queries == {"chef knife": "chef knife", "kitchen|knife-fan": "kitchen"}
    assert judged.qrels == {"chef knife": {"K0": 3, "K1": 1}, "kitchen|knife-fan": {"K0": 2}}
    assert judged.users == {"kitchen|knife-fan": "knife-fan"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("query,product_id\nx,y\n", r"j.csv:1: missing column\(s\) grade"),
        ("query,product_id,grade\nx,K0,3\nx,K1,2.5\n", r"j.csv:3: grade must be a whole number >= 0, got '2.5'"),
        ("query,product_id,grade\nx,K0,-1\n", r"j.csv:2: grade must be a whole number >= 0, got '-1'"),
        ("query,product_id,grade\nx,,3\n", r"j.csv:2: query and product_id must not be empty"),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "j.csv"
    path.write_text(text)
    with pytest.raises(JudgmentError, match=message):
        load_csv(path)


def test_csv_finer_relevance_per_pair(tmp_path: Path) -> None:
    path = tmp_path / "hd.csv"
    path.write_text("query,product_id,grade,relevance\nhole saw,A,2,2.67\nhole saw,B,1,1.67\ndrill,C,0,\n")
    judged = load_csv(path)
    assert judged.qrels == {"hole saw": {"A": 2, "B": 1}, "drill": {"C": 0}}
    assert judged.relevance == {"hole saw": {"A": 2.67, "B": 1.67}}  # an empty cell: that pair has none
    assert judged.only(["drill"]).relevance == {} and judged.only(["hole saw"]).relevance == judged.relevance
    for bad in ("high", "nan", "inf"):
        path.write_text(f"query,product_id,grade,relevance\nx,A,2,3\nx,B,1,{bad}\n")
        with pytest.raises(JudgmentError, match=f"hd.csv:3: relevance must be a number, got '{bad}'"):
            load_csv(path)


def test_any_whole_number_grade_scale(tmp_path: Path) -> None:
    path = tmp_path / "fine.csv"
    path.write_text("query,product_id,grade\ndrill,A,10\ndrill,B,7\ndrill,C,0\n")
    assert load_csv(path).qrels == {"drill": {"A": 10, "B": 7, "C": 0}}


def test_esci_labels_map_to_grades(tmp_path: Path) -> None:
    path = tmp_path / "esci.csv"
    path.write_text("query,product_id,esci_label\nshoe,A,E\nshoe,B,S\nshoe,C,I\nshoe,D,X\n")
    with pytest.raises(JudgmentError, match="esci.csv:5: grade must be a whole number >= 0 or one of E,S,C,I"):
        load_csv(path, ESCI_GRADES, "esci_label")
    path.write_text("query,product_id,esci_label\nshoe,A,E\nshoe,B,S\nshoe,C,I\n")
    assert load_csv(path, ESCI_GRADES, "esci_label").qrels == {"shoe": {"A": 3, "B": 2, "C": 0}}


def test_trec_qrels_and_queries(tmp_path: Path) -> None:
    queries, qrels = tmp_path / "queries.tsv", tmp_path / "qrels.txt"
    queries.write_text("q1\tchef knife\nq2\t菜刀\n")
    qrels.write_text("q1 0 K0 3\nq2 0 Z2 2\n")
    assert load_trec(qrels, queries).qrels == {"q1": {"K0": 3}, "q2": {"Z2": 2}}
    qrels.write_text("q1 0 K0 3\nq9 0 K0 1\n")
    with pytest.raises(JudgmentError, match=r"qrels.txt:2: query id 'q9' is not in"):
        load_trec(qrels, queries)
    qrels.write_text("q1 K0 3\n")
    with pytest.raises(JudgmentError, match=r"qrels.txt:1: expected `qid 0 docid grade`, got 3 fields"):
        load_trec(qrels, queries)


def test_ndcg_wiring_matches_a_hand_computation() -> None:
    # Ranking [b, a] with grades a=3, b=1; ranx's ndcg uses linear gains:
    # DCG = 1/log2(2) + 3/log2(3), ideal = 3/log2(2) + 1/log2(3).
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    score = evaluate(Qrels({"q": {"a": 3, "b": 1}}), Run({"q": {"b": 2.0, "a": 1.0}}), "ndcg@10")
    assert score == pytest.approx(expected)


def test_pairs_file_errors_name_the_line(tmp_path: Path) -> None:
    from shopsearch.lab.finetune import load_pairs

    path = tmp_path / "pairs.csv"
    path.write_text("query,product_id\nchef knife,K0\n,K1\n")
    with pytest.raises(JudgmentError, match=r"pairs.csv:3: query and product_id must not be empty"):
        load_pairs(path)
    path.write_text("q,p\n")
    with pytest.raises(JudgmentError, match=r"pairs.csv:1: expected columns query, product_id"):
        load_pairs(path)


def test_click_log_pairs_need_a_query() -> None:
    from shopsearch.events.model import Event
    from shopsearch.lab.finetune import pairs_from_events

    events = [
        Event(user_id="u", type="click", product_id="K0", query="knife"),
        Event(user_id="u", type="view", product_id="K1", query="knife"),
        Event(user_id="u", type="purchase", product_id="K2"),
    ]
    assert pairs_from_events(events) == [("knife", "K0")]


def test_training_on_a_tiny_bert_writes_a_usable_model(tiny_bert_dir: Path, tmp_path: Path) -> None:
    from shopsearch.encoder import Encoder
    from shopsearch.lab.finetune import TrainingRun, train, write_card

    pairs = [
        (f"{w} thing", f"a {w} product for the home")
        for w in ("red", "blue", "green", "black", "white", "grey", "big", "small")
    ] * 3
    run = train(tiny_bert_dir, pairs, tmp_path / "model", epochs=2, batch_size=8, lr=1e-3)
    assert isinstance(run, TrainingRun) and run.steps == 6 and run.losses[-1] < run.losses[0]
    write_card(
        tmp_path / "model", "tiny", run, {"ndcg@10": 0.1, "hit@10": 0.2}, {"ndcg@10": 0.3, "hit@10": 0.4}, "a test"
    )
    assert (tmp_path / "model" / "loss.png").stat().st_size > 1000
    assert "NDCG@10 0.1000 -> 0.3000" in (tmp_path / "model" / "README.md").read_text()
    assert Encoder(tmp_path / "model", max_length=64).encode_documents(["red thing"]).shape == (1, 32)


def test_plots_are_written(tmp_path: Path) -> None:
    import numpy as np

    from shopsearch.lab.plots import bootstrap_interval, delta_chart, metric_chart

    scores = np.array([0.2, 0.4, 0.6, 0.8])
    low, high = bootstrap_interval(scores)
    assert low < scores.mean() < high
    metric_chart({"a": scores, "b": scores[::-1] * 0.5}, "ndcg@10", tmp_path / "m.png")
    delta_chart(["q1", "q2", "q3", "q4"], scores, scores[::-1], ("a", "b"), "ndcg@10", tmp_path / "d.png")
    assert (tmp_path / "m.png").stat().st_size > 1000 and (tmp_path / "d.png").stat().st_size > 1000


def test_click_log_judgments_weight_by_inverse_propensity() -> None:
    from shopsearch.events.model import Event
    from shopsearch.lab.clicks import judgments_from_clicks, propensity

    assert propensity(4) == pytest.approx(0.5)
    events = [
        Event(user_id="u", type="click", product_id="A", query="knife", position=4),  # 1 / 0.5 = 2
        Event(user_id="u", type="purchase", product_id="B", query="knife", position=1),  # 3 / 1 = 3
        Event(user_id="u", type="click", product_id="C", query="knife", position=1),  # 1 / 1 = 1
        Event(user_id="u", type="view", product_id="D", query="knife", position=1),  # views don't count
        Event(user_id="u", type="click", product_id="E", query="knife"),  # no position
        Event(user_id="v", type="click", product_id="A", query="knife", position=9),
    ]  # + 1 / (1/3) = 3
    judged = judgments_from_clicks(events)
    assert judged.qrels == {"knife": {"A": 3, "B": 3, "C": 1}}


def test_adam_fit_learns_which_signal_orders_the_grades() -> None:
    import numpy as np

    judged, features = Judgments(), {}
    rng = np.random.default_rng(0)
    for q in range(8):
        qid = f"q{q}"
        grades = rng.integers(0, 4, size=12)
        judged.queries[qid] = qid
        for i, grade in enumerate(grades):
            judged.add(qid, f"d{i}", int(grade))
        features[qid] = tune.QueryFeatures(
            [f"d{i}" for i in range(12)], {"good": grades / 3.0, "noise": rng.random(12)}
        )
    start = {"good": 0.1, "noise": 1.0}
    fitted = tune.fit_adam(judged, features, list(judged.queries), start, steps=200)
    assert fitted["good"] > fitted["noise"] >= 0
    qids = list(judged.queries)
    assert tune.ndcg(judged, features, qids, fitted) > tune.ndcg(judged, features, qids, start)


def test_graded_examples_and_the_rerank_score() -> None:
    from shopsearch.lab.finetune import Example, Mined, examples_from, rerank_ndcg

    texts = {"A": "red drill", "B": "blue hose", "C": "drill bits", "D": "green hose"}
    mined = [Mined("drill", {"A": 3, "C": 1, "B": 0}, ["B", "D"], ["C", "A", "B", "D"])]
    assert examples_from(mined, texts) == [
        Example("drill", "red drill", ("blue hose", "green hose"), 1.0),
        Example("drill", "drill bits", ("blue hose", "green hose"), 1 / 3),
    ]
    # An encoder that puts "red drill" next to the query and everything else away from it: ideal order.
    axes = {"drill": [1, 0], "red drill": [1, 0], "drill bits": [0.6, 0.8], "blue hose": [0, 1], "green hose": [0, 1]}
    assert rerank_ndcg(lambda batch: np.array([axes[t] for t in batch], dtype=float), mined, texts) == 1.0
    backwards = {**axes, "red drill": [0, 1], "blue hose": [1, 0]}
    assert rerank_ndcg(lambda batch: np.array([backwards[t] for t in batch], dtype=float), mined, texts) < 0.7


def test_hard_negatives_weigh_in_and_a_bad_epoch_is_not_kept(tiny_bert_dir: Path, tmp_path: Path) -> None:
    from shopsearch.lab.finetune import Example, train

    examples = [
        Example(f"{w} thing", f"a {w} product", (f"a {v} product",), 1.0 if i % 2 else 0.5)
        for i, (w, v) in enumerate(zip(("red", "blue", "green", "black"), ("blue", "green", "black", "red")))
    ]
    scores = iter([0.3, 0.5, 0.4, 0.9])  # before training, then after each epoch
    run = train(
        tiny_bert_dir,
        examples * 2,
        tmp_path / "m",
        epochs=3,
        batch_size=4,
        lr=1e-3,
        validate=lambda encode: (encode(["x"]).shape == (1, 32)) * next(scores),
        patience=1,
    )
    assert (
        run.before == 0.3 and run.epoch_scores == [0.5, 0.4] and run.best_epoch == 1
    )  # one epoch without gain stops it
    assert (tmp_path / "m" / "config.json").is_file() and (tmp_path / "m" / "tokenizer.json").is_file()
