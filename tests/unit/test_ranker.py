"""The learned ranker without the engine: text terms, candidate features, the coverage and ltr signals."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsearch import text
from shopsearch.errors import ConfigError
from shopsearch.lab import ltr
from shopsearch.lab.judgments import Judgments
from shopsearch.plugins.base import Candidates, Context
from shopsearch.relevance import features
from shopsearch.relevance.profile import load_profile
from shopsearch.relevance.signals import CoverageParams, CoverageSignal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3/4 in. x 10 ft. Copper Pipe", ("3/4", "in", "x", "10", "ft", "copper", "pipe")),
        ("DEWALT 20-Volt MAX Drill", ("dewalt", "20", "v", "max", "drill")),
        ('1/2" PEX plugs', ("1/2", "in", "pex", "plug")),
        ("5 Gal. glass 2.5gal", ("5", "gal", "glass", "2.5", "gal")),
        ("don't quote 'me'", ("don", "t", "quote", "me")),
    ],
)
def test_terms_spell_sizes_and_units_one_way(raw: str, expected: tuple[str, ...]) -> None:
    assert text.terms(raw) == expected


def test_measures_coverage_and_phrase() -> None:
    query = text.terms("3/4 in copper pipe")
    title = text.terms("Everbilt 3/4 in. x 10 ft. Copper Pipe")
    assert text.measures(query) == {("3/4", "in")} <= text.measures(title)
    assert text.coverage(text.content_terms(text.terms("pipe for the sink")), title) == pytest.approx(1 / 2)
    assert text.contains_phrase(text.terms("copper pipe"), title)
    assert not text.contains_phrase(text.terms("pipe copper"), title)
    assert text.content_terms(text.terms("the")) == ("the",)


def test_fuzzy_coverage_forgives_typos_and_split_words() -> None:
    title = text.terms("Hampton Bay 52 in. Ceiling Fan with Back Splash Guard")
    assert text.coverage(text.terms("cieling fan"), title) == pytest.approx(0.5)
    assert text.fuzzy_coverage(text.terms("cieling fan"), title) == 1.0
    assert text.fuzzy_coverage(text.terms("backsplash"), title) == 1.0
    assert text.fuzzy_coverage(text.terms("drill"), title) == 0.0
    assert text.fuzzy_coverage((), title) == 0.0


@given(st.text(max_size=80), st.text(max_size=80))
def test_text_measures_never_fail_and_stay_in_range(query: str, title: str) -> None:
    asked, have = text.terms(query), text.terms(title)
    assert all(t and t == t.lower() for t in asked)
    assert 0.0 <= text.coverage(asked, have) <= 1.0
    assert 0.0 <= text.fuzzy_coverage(asked, have) <= 1.0
    assert all(0.0 <= v <= 1.0 for v in text.similarity(query, title))


def _candidates(
    titles: list[str], bm25: list[float], knn_rank: list[int], brand: list[str] | None = None
) -> Candidates:
    n = len(titles)
    vectors = np.eye(n, 4)[:, :4] if n <= 4 else np.ones((n, 4)) / 2
    sources = [{"title": t, **({"brand": brand[i]} if brand else {})} for i, t in enumerate(titles)]
    return Candidates(
        ids=[f"P{i}" for i in range(n)],
        sources=sources,
        vectors=vectors,
        bm25=np.array(bm25),
        bm25_rank=np.array([i + 1 if b else 0 for i, b in enumerate(bm25)]),
        knn_rank=np.array(knn_rank),
    )


def test_features_one_row_per_candidate_with_missing_as_nan() -> None:
    candidates = _candidates(
        ["Milwaukee 20 v drill", "Ryobi 18 v impact driver", "Drill bit set"],
        [5.0, 0.0, 2.0],
        [2, 1, 0],
        brand=["Milwaukee", "Ryobi", ""],
    )
    context = Context(np.array([1.0, 0, 0, 0]), None, query="milwaukee 20v drill")
    matrix = features.extract(candidates, context)
    col = {name: matrix[:, i] for i, name in enumerate(features.FEATURES)}
    assert matrix.shape == (3, len(features.FEATURES))
    assert np.isnan(col["bm25_rank"][1]) and col["bm25_rank"][0] == 1 and np.isnan(col["knn_rank"][2])
    assert col["coverage"].tolist() == [1.0, 0.25, 0.25]  # milwaukee, 20, v, drill: "v" alone or "drill" alone
    assert col["measures"].tolist() == [1.0, 0.0, 0.0] and col["phrase"][0] == 1.0
    # "v" and "drill" are in two of the three titles, "milwaukee" and "20" in one: the rare ones weigh more
    assert col["rare_coverage"] == pytest.approx([1.0, (1.05 - 2 / 3) / 2.2, (1.05 - 2 / 3) / 2.2])
    assert col["common_term"] == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    # no brand field: the title's first word stands in (Home Depot titles start with the brand)
    assert col["brand_named"].tolist() == [1.0, 0.0, 1.0] and col["last_term"].tolist() == [1.0, 0.0, 1.0]
    assert col["cosine"].tolist() == [1.0, 0.0, 0.0] and np.isnan(col["personal"]).all()
    assert features.extract(_candidates([], [], []), context).shape == (0, len(features.FEATURES))


def test_coverage_signal_counts_the_query_words_in_title_brand_and_category() -> None:
    candidates = _candidates(["Cordless drill", "Hammer"], [1.0, 1.0], [0, 0], brand=["Makita", "Estwing"])
    signal = CoverageSignal(CoverageParams(weight=1.0))
    assert signal.values(candidates, Context(None, None, query="makita drill")).tolist() == [1.0, 0.0]
    assert signal.values(candidates, Context(None, None, query="")) is None
    title_only = CoverageSignal(CoverageParams(weight=1.0, fields=["title"], fuzzy=False))
    assert title_only.values(candidates, Context(None, None, query="makita drill")).tolist() == [0.5, 0.0]


def _toy_rows() -> tuple[Judgments, dict[str, ltr.QueryRows]]:
    """Queries whose relevant product is the one covering the query, whatever BM25 says."""
    rng = np.random.default_rng(3)
    judged, rows = Judgments(), {}
    for q in range(60):
        titles = ["red cordless drill kit", "blue garden hose reel", "steel claw hammer", "white ceiling fan"]
        query = titles[q % 4].split()[-1] + " " + titles[q % 4].split()[-2]
        candidates = _candidates(titles, list(rng.uniform(1, 10, 4)), [1, 2, 3, 4])
        qid = f"q{q}"
        judged.queries[qid] = query
        judged.add(qid, f"P{q % 4}", 2)
        rows[qid] = ltr.QueryRows(candidates.ids, features.extract(candidates, Context(None, None, query=query)))
    return judged, rows


def _toy_ranker(tmp_path: Path) -> tuple[Path, Judgments, dict[str, ltr.QueryRows]]:
    judged, rows = _toy_rows()
    booster = ltr.train(
        judged, rows, [f"q{q}" for q in range(50)], [f"q{q}" for q in range(50, 60)], rounds=50, threads=1
    )
    return ltr.save(booster, tmp_path / "toy.lgb.txt"), judged, rows


def test_the_ranker_is_one_model_scoring_the_sum_of_its_seeds_boosters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    judged, rows = Judgments(), {}
    for q in range(80):  # noisy grades on random features: enough rows for the seeds' subsamples to differ
        matrix = rng.normal(size=(20, len(features.FEATURES)))
        rows[f"q{q}"] = ltr.QueryRows([f"P{i}" for i in range(20)], matrix)
        for i in range(20):
            judged.add(f"q{q}", f"P{i}", int(np.clip(matrix[i, 0] + matrix[i, 1] + rng.normal(), 0, 3)))
    fit, valid = [f"q{q}" for q in range(60)], [f"q{q}" for q in range(60, 80)]
    matrix = np.vstack([rows[q].matrix for q in valid])
    alone = []
    for seed in (7, 8, 9):
        monkeypatch.setitem(ltr.PARAMS, "seed", seed)
        alone.append(ltr.train(judged, rows, fit, valid, rounds=30, threads=1, bag=1))
    monkeypatch.setitem(ltr.PARAMS, "seed", 7)
    saved = ltr.save(ltr.train(judged, rows, fit, valid, rounds=30, threads=1, bag=3), tmp_path / "m.txt")
    bagged = lightgbm.Booster(model_file=str(saved))
    scores = [b.predict(matrix) for b in alone]
    assert not np.allclose(scores[0], scores[1])  # the seeds' row and feature subsamples differ
    assert bagged.num_trees() == sum(b.num_trees() for b in alone)
    assert np.allclose(bagged.predict(matrix), np.sum(scores, axis=0))


def test_ranker_trains_loads_as_a_signal_and_explains_by_feature(tmp_path: Path) -> None:
    model, _, _ = _toy_ranker(tmp_path)
    (tmp_path / "learned.yaml").write_text("fields: {title: 1}\nsignals:\n  ltr: {weight: 2.0, model: toy.lgb.txt}\n")
    signal = load_profile(tmp_path / "learned.yaml").signal("ltr")
    titles = ["red cordless drill kit", "blue garden hose reel", "steel claw hammer", "white ceiling fan"]
    candidates = _candidates(titles, [9.0, 8.0, 7.0, 1.0], [1, 2, 3, 4])
    context = Context(None, None, query="fan ceiling")
    values = signal.values(candidates, context)
    assert int(np.argmax(values)) == 3 and values.min() == 0.0 and values.max() == 1.0
    parts = signal.contributions(candidates, context)
    assert parts and set(parts) <= set(features.FEATURES)
    assert signal.values(candidates, Context(None, None, query="")) is None


@pytest.mark.parametrize(
    ("model_text", "message"),
    [
        (None, "no ranker model at"),
        ("not a model", "is not a LightGBM model"),
    ],
)
def test_a_broken_ranker_model_fails_at_profile_load(tmp_path: Path, model_text: str | None, message: str) -> None:
    if model_text is not None:
        (tmp_path / "m.txt").write_text(model_text)
    (tmp_path / "p.yaml").write_text("fields: {title: 1}\nsignals:\n  ltr: {weight: 1, model: m.txt}\n")
    with pytest.raises(ConfigError, match=f"p.yaml: signals.ltr.*{message}"):
        load_profile(tmp_path / "p.yaml")


def test_a_ranker_of_other_features_is_refused(tmp_path: Path) -> None:
    model, _, _ = _toy_ranker(tmp_path)
    model.write_text(model.read_text().replace("feature_names=bm25 ", "feature_names=old_bm25 "))
    (tmp_path / "p.yaml").write_text("fields: {title: 1}\nsignals:\n  ltr: {weight: 1, model: toy.lgb.txt}\n")
    with pytest.raises(ConfigError, match="trained on other features"):
        load_profile(tmp_path / "p.yaml")
