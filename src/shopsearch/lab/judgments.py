"""Judgment files: TREC qrels (+ a queries file), CSV, and public product-search label layouts.

Grades are whole numbers from 0 (not relevant) up, on whatever scale the shop judges with: ESCI's
0-3, Home Depot's 0-2, or a finer 0-10. Gains are linear in the grade (NDCG counts a 3 three times a
1). A CSV may also give each pair a finer `relevance` (Home Depot's raters' mean, 1-3): what the
cross-encoder learns from, since it tells a 2.33 from a 1.67 that both round to grade 1. Every
parse error names the file and the line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from shopsearch.errors import ShopsearchError

ESCI_GRADES = {"E": 3, "S": 2, "C": 1, "I": 0}


class JudgmentError(ShopsearchError, ValueError):
    """A judgment file is malformed; the message names the file and the line."""


@dataclass
class Judgments:
    queries: dict[str, str] = field(default_factory=dict)  # qid -> query text
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)  # qid -> {product id: grade}
    users: dict[str, str] = field(default_factory=dict)  # qid -> user id, for personalised queries
    relevance: dict[str, dict[str, float]] = field(default_factory=dict)  # qid -> {product id: finer score}

    def add(self, qid: str, product_id: str, grade: int, relevance: float | None = None) -> None:
        self.qrels.setdefault(qid, {})[product_id] = grade
        if relevance is not None:
            self.relevance.setdefault(qid, {})[product_id] = relevance

    def only(self, qids: list[str]) -> Judgments:
        """The same judgments restricted to some queries (a training or held-out part)."""
        keep = set(qids)
        return Judgments(
            {q: t for q, t in self.queries.items() if q in keep},
            {q: g for q, g in self.qrels.items() if q in keep},
            {q: u for q, u in self.users.items() if q in keep},
            {q: r for q, r in self.relevance.items() if q in keep},
        )


def _grade(raw: str, where: str, grade_map: dict[str, int] | None = None) -> int:
    value = raw.strip()
    if grade_map is not None and value in grade_map:
        return grade_map[value]
    if not value.isdigit():
        raise JudgmentError(
            f"{where}: grade must be a whole number >= 0"
            f"{' or one of ' + ','.join(grade_map) if grade_map else ''}, got {raw!r}"
        )
    return int(value)


def _relevance(raw: str | None, where: str) -> float | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        score = float("nan")
    if not math.isfinite(score):
        raise JudgmentError(f"{where}: relevance must be a number, got {raw!r}")
    return score


def load_csv(path: Path, grade_map: dict[str, int] | None = None, grade_column: str = "grade") -> Judgments:
    """Columns query, product_id, grade (or `grade_column`, e.g. esci_label with ESCI_GRADES) and,
    optionally, user_id and relevance (a finer score per pair); one query id per (query, user)."""
    judged = Judgments()
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"query", "product_id", grade_column} - set(reader.fieldnames or [])
        if missing:
            raise JudgmentError(f"{path}:1: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            query, product = (row.get("query") or "").strip(), (row.get("product_id") or "").strip()
            if not query or not product:
                raise JudgmentError(f"{where}: query and product_id must not be empty")
            user = (row.get("user_id") or "").strip()
            qid = f"{query}|{user}" if user else query
            judged.queries[qid] = query
            if user:
                judged.users[qid] = user
            grade = _grade(row[grade_column] or "", where, grade_map)
            judged.add(qid, product, grade, _relevance(row.get("relevance"), where))
    return judged


def load_trec(qrels_path: Path, queries_path: Path, grade_map: dict[str, int] | None = None) -> Judgments:
    """TREC qrels lines `qid 0 docid grade` and a queries file of `qid<TAB>text` lines."""
    judged = Judgments()
    for number, line in enumerate(Path(queries_path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            qid, sep, text = line.partition("\t")
            if not sep or not text.strip():
                raise JudgmentError(f"{queries_path}:{number}: expected `qid<TAB>query text`")
            judged.queries[qid.strip()] = text.strip()
    for number, line in enumerate(Path(qrels_path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        where = f"{qrels_path}:{number}"
        if len(parts) != 4:
            raise JudgmentError(f"{where}: expected `qid 0 docid grade`, got {len(parts)} fields")
        if parts[0] not in judged.queries:
            raise JudgmentError(f"{where}: query id {parts[0]!r} is not in {queries_path}")
        judged.add(parts[0], parts[2], _grade(parts[3], where, grade_map))
    return judged
