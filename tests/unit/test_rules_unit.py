"""Query rules without the engine: loading, matching, placing pins, and the `shopsearch rules` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from shopsearch.cli import cli
from shopsearch.errors import ConfigError
from shopsearch.relevance import rules
from shopsearch.relevance.rules import RuleSet, When, Where, load_rules


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_contains_matches_whole_words_and_exact_the_whole_query() -> None:
    when = When(contains=["Knife"])
    assert when.matches("chef  knife", None, None)
    assert not when.matches("knifes", None, None)
    exact = When(exact=["gift card"], brand="Acme")
    assert exact.matches("Gift Card", None, "Acme")
    assert not exact.matches("gift card", None, None)
    assert not exact.matches("gift cards", None, "Acme")


def test_where_matches_a_category_and_what_is_below_it() -> None:
    where = Where(category="Home > Kitchen", price_max=50)
    assert where.matches("a", {"category": "Home > Kitchen > Knives", "price": 30})
    assert not where.matches("a", {"category": "Home > Kitchenware", "price": 30})
    assert not where.matches("a", {"category": "Home > Kitchen", "price": 80})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("rules: [{id: a, when: {}, then: {hide: [P1]}}]", "rules.0.when"),
        ("rules: [{id: a, when: {contains: [x]}, then: {}}]", "rules.0.then"),
        (
            "rules: [{id: a, when: {contains: [x]}, then: {pin: [{id: P1, position: 0}]}}]",
            "rules.0.then.pin.0.position",
        ),
        ("rules: [{id: a, when: {contains: [x]}, then: {redirect: 'not a url'}}]", "rules.0.then.redirect"),
        ("rules: [{id: a, when: {contains: [x]}, then: {boost: [{where: {}, by: 1}]}}]", "rules.0.then.boost.0.where"),
        ("rules: [{id: a, when: {contains: [x]}, then: {bury: [{brand: null}]}}]", "rules.0.then.bury.0"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigError, match=f"bad.yaml: {key}"):
        load_rules(path)


def test_rule_ids_repeat_in_a_file_is_refused(tmp_path: Path) -> None:
    rule = "{id: a, when: {contains: [x]}, then: {hide: [P1]}}"
    _write(tmp_path, "twice.yaml", f"rules: [{rule}, {rule}]")
    with pytest.raises(ConfigError, match="unique"):
        RuleSet(tmp_path)


def test_no_directory_means_no_rules(tmp_path: Path) -> None:
    assert RuleSet(tmp_path / "missing").firing("anything", None, None) == []


def test_a_broken_edit_keeps_the_previous_rules(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.yaml", "rules: [{id: a, when: {contains: [x]}, then: {hide: [P1]}}]")
    rule_set = RuleSet(tmp_path)
    path.write_text("rules: [{id: a, when: {}, then: {hide: [P1]}}]", encoding="utf-8")
    assert [r.id for r in rule_set.firing("x", None, None)] == ["a"]


def test_the_first_pin_of_a_position_wins_and_hidden_products_are_not_pinned() -> None:
    fired = [
        rules.Rule.model_validate({"id": r, "when": {"contains": ["x"]}, "then": {"pin": pins}})
        for r, pins in (
            ("one", [{"id": "A", "position": 1}, {"id": "H", "position": 2}]),
            ("two", [{"id": "B", "position": 1}, {"id": "A", "position": 3}]),
        )
    ]
    assert rules.pins(fired, ["H"]) == {"A": (0, "one")}


@given(
    st.lists(st.sampled_from("abcdefghij"), unique=True),
    st.dictionaries(st.sampled_from("abcdefghijxyz"), st.integers(0, 12), max_size=4),
)
def test_placing_pins_keeps_every_product_once_and_pins_where_the_list_reaches(ranked, wanted) -> None:
    positions = {}
    for doc_id, position in wanted.items():  # one product per position, as rules.pins guarantees
        if position not in positions.values():
            positions[doc_id] = position
    placed = {doc_id: (position, "r") for doc_id, position in positions.items()}
    out = rules.place(ranked, placed)
    assert sorted(out) == sorted(set(ranked) | set(placed))
    for doc_id, position in sorted(positions.items(), key=lambda item: item[1]):
        if position < len(out) - sum(p > position for p in positions.values()):
            assert out.index(doc_id) == position


def test_rules_cli_lists_and_tests_rules(tmp_path: Path) -> None:
    _write(
        tmp_path / "rules",
        "promo.yaml",
        "rules: [{id: knives, when: {contains: [knife]}, then: {hide: [K1]}},"
        " {id: later, enabled: false, when: {contains: [knife]}, then: {hide: [K2]}}]",
    )
    env = {"SHOPSEARCH_API_RULES_DIR": str(tmp_path / "rules")}
    checked = CliRunner().invoke(cli, ["rules", "check"], env=env)
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["enabled"] == ["knives"]
    fired = CliRunner().invoke(cli, ["rules", "test", "Chef Knife"], env=env)
    assert json.loads(fired.output) == [{"id": "knives", "description": "", "then": {"hide": ["K1"]}}]
    assert json.loads(CliRunner().invoke(cli, ["rules", "test", "pan"], env=env).output) == []


def test_an_unreadable_edit_keeps_the_previous_rules(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.yaml", "rules: [{id: a, when: {contains: [x]}, then: {hide: [P1]}}]")
    rule_set = RuleSet(tmp_path)
    path.write_bytes(b"rules: [{id: a, description: caf\xe9, when: {contains: [x]}, then: {hide: [P1]}}]")
    assert [r.id for r in rule_set.firing("x", None, None)] == ["a"]
