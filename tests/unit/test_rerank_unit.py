"""The cross-encoder rerank stage without the engine: its math, its training pairs, training, and loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from shopsearch.errors import ConfigError
from shopsearch.lab import crossencoder
from shopsearch.lab.judgments import Judgments
from shopsearch.plugins.base import Candidates
from shopsearch.relevance.profile import load_profile
from shopsearch.relevance.scoring import rerank_shift

finite = st.floats(-1e3, 1e3, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=40), st.floats(0.01, 10))
def test_the_shift_orders_the_top_by_the_sum_of_both_z_scores(pairs: list[tuple[float, float]], weight: float) -> None:
    scores, judged = np.array(pairs).T
    shift = rerank_shift(scores, judged, weight)
    assert shift.shape == scores.shape and np.all(np.isfinite(shift))
    if judged.std() < 1e-9:
        assert not shift.any()  # a reranker that cannot tell them apart changes nothing
        return
    z = (judged - judged.mean()) / judged.std()
    spread = scores.std() if scores.std() > 1e-12 else 1.0
    assert np.allclose((scores + shift) / spread, scores / spread + weight * z)


def test_training_pairs_are_graded_products_and_a_few_unjudged_candidates() -> None:
    judged = Judgments()
    for qid, query in (("q1", "hole saw"), ("q2", "drill")):
        judged.queries[qid] = query
    judged.add("q1", "A", 2)
    judged.add("q1", "B", 1)
    judged.add("q2", "C", 0)
    texts = {d: f"text {d}" for d in "ABCDEFGH"}
    ranked = {"q1": ["A", "D", "E", "F", "G", "B"], "q2": ["H", "C"]}
    pairs = crossencoder.pairs(judged, ranked, texts, ["q1", "q2"], negatives=2, depth=4)
    by_text = {(p.query, p.text): p.target for p in pairs}
    assert by_text[("hole saw", "text A")] == 1.0 and by_text[("hole saw", "text B")] == 0.5
    assert by_text[("drill", "text C")] == 0.0 and by_text[("drill", "text H")] == 0.0
    negatives = {t for (q, t), target in by_text.items() if q == "hole saw" and t not in ("text A", "text B")}
    assert len(negatives) == 2 and negatives <= {"text D", "text E", "text F"}  # unjudged, within the depth
    assert pairs == crossencoder.pairs(judged, ranked, texts, ["q1", "q2"], negatives=2, depth=4)  # seeded


def test_training_targets_read_the_finer_relevance_where_every_pair_has_one() -> None:
    judged = Judgments({"q1": "hole saw", "q2": "drill"})
    judged.add("q1", "A", 2, 3.0)
    judged.add("q1", "B", 1, 2.33)
    judged.add("q2", "C", 0, 1.0)
    target = crossencoder.targets(judged, ["q1", "q2"])
    assert target("q1", "A") == 1.0 and target("q2", "C") == 0.0
    assert target("q1", "B") == pytest.approx(0.665)  # grade 1 alone would say 0.5
    judged.add("q2", "D", 1)  # a pair without one: grades for all, on one scale
    assert crossencoder.targets(judged, ["q1", "q2"])("q1", "B") == 0.5


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pairs = [crossencoder.Pair("chef knife", "Steel chef knife 8 in", 1.0)] * 8
    pairs += [crossencoder.Pair("chef knife", "Garden hose reel", 0.0)] * 8
    return crossencoder.train(pairs, tmp_path_factory.mktemp("ce") / "model", batch_size=8, learning_rate=5e-4)


@pytest.mark.parametrize(("scores", "kept"), [((0.6, 0.4, 0.5), 0), ((0.4, 0.6, 0.5), 1), ((0.4, 0.5, 0.6), 2)])
def test_training_keeps_the_model_the_judge_scores_best(tmp_path: Path, scores: tuple[float, ...], kept: int) -> None:
    pairs = [
        crossencoder.Pair("chef knife", "Steel chef knife 8 in", 1.0),
        crossencoder.Pair("chef knife", "Hose", 0.0),
    ]
    weights: list[bytes] = []

    def judge(model: Path) -> float:
        weights.append((model / "model.safetensors").read_bytes())
        return scores[len(weights) - 1]

    out = crossencoder.train(pairs * 4, tmp_path / "model", epochs=2, judge=judge, batch_size=4, learning_rate=5e-4)
    assert len(set(weights)) == 3  # each epoch judged, then their average: three different models
    assert (out / "model.safetensors").read_bytes() == weights[kept]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # the other models' copies are gone


def test_soup_averages_parameters_and_keeps_integer_buffers() -> None:
    first = {"w": torch.tensor([1.0, 3.0]), "ids": torch.tensor([0, 1])}
    second = {"w": torch.tensor([3.0, 5.0]), "ids": torch.tensor([0, 1])}
    averaged = crossencoder.soup([first, second])
    assert torch.equal(averaged["w"], torch.tensor([2.0, 4.0]))
    assert averaged["ids"].dtype == torch.int64 and torch.equal(averaged["ids"], second["ids"])


def test_training_starts_from_the_model_it_is_given(cross_encoder: Path, tmp_path: Path) -> None:
    from shopsearch.encoder.cross import CrossEncoder

    texts = ["Steel chef knife 8 in", "Garden hose reel"]
    pairs = [crossencoder.Pair("chef knife", "Steel chef knife 8 in", 1.0)]
    out = crossencoder.train(pairs, tmp_path / "model", base=cross_encoder, batch_size=1, learning_rate=1e-9)
    started = CrossEncoder(out).scores("chef knife", texts)
    assert np.allclose(started, CrossEncoder(cross_encoder).scores("chef knife", texts), atol=1e-3)
    assert started[0] > started[1]  # what the given model learned, not the packaged MiniLM's fresh head


def _candidates(titles: list[str]) -> Candidates:
    n = len(titles)
    return Candidates(
        ids=[f"P{i}" for i in range(n)],
        sources=[{"title": t} for t in titles],
        vectors=np.ones((n, 4)) / 2,
        bm25=np.ones(n),
        bm25_rank=np.arange(1, n + 1),
        knn_rank=np.zeros(n, dtype=int),
    )


def test_a_trained_cross_encoder_reranks_only_the_top_of_a_profile(cross_encoder: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"fields: {{title: 1}}\nsignals: {{text: {{weight: 1}}}}\nrerank: {{model: {cross_encoder}, weight: 5, top: 3}}\n"
    )
    reranker = load_profile(profile).reranker
    assert reranker is not None
    candidates = _candidates(["Garden hose reel", "Red garden hose", "Steel chef knife 8 in", "Chef knife block"])
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    moved, order, shift = reranker.rerank(scores, [0, 1, 2, 3], candidates, "chef knife")
    assert order[0] == 2 and order[-1] == 3  # the knife rises; what was past the top stays behind it
    assert shift[3] == 0 and np.allclose(moved, scores + shift)
    assert [moved[i] for i in order[:3]] == sorted(moved[:3], reverse=True)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("missing", "rerank.model: .*no cross-encoder model directory at .*missing"),
        ("garbage", "rerank.model: "),
        ("two-labels", "rerank.model: .*has 2 labels; a cross-encoder has one"),
    ],
)
def test_a_broken_cross_encoder_fails_at_profile_load(tmp_path: Path, model: str, message: str) -> None:
    if model == "garbage":
        (tmp_path / model).mkdir()
        (tmp_path / model / "config.json").write_text("{not json")
    if model == "two-labels":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from shopsearch.encoder.model_files import default_model_path

        AutoTokenizer.from_pretrained(default_model_path()).save_pretrained(tmp_path / model)
        AutoModelForSequenceClassification.from_pretrained(default_model_path(), num_labels=2).save_pretrained(
            tmp_path / model
        )
    (tmp_path / "p.yaml").write_text(
        f"fields: {{title: 1}}\nsignals: {{text: {{weight: 1}}}}\nrerank: {{model: {model}, weight: 1}}\n"
    )
    with pytest.raises(ConfigError, match=f"p.yaml: {message}"):
        load_profile(tmp_path / "p.yaml")


def test_int8_weights_keep_the_cross_encoders_judgment(cross_encoder: Path) -> None:
    from shopsearch.encoder.cross import CrossEncoder

    texts = ["Steel chef knife 8 in", "Garden hose reel"]
    full, int8 = (CrossEncoder(cross_encoder, quantize=q).scores("chef knife", texts) for q in (False, True))
    assert full[0] > full[1] and int8[0] > int8[1]
    assert not np.array_equal(full, int8)  # the Linear layers really are int8
