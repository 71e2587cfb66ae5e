"""Team-draft interleaving (Radlinski et al., 2008) and what a shopper's clicks say about it: pure functions.

Two teams (the arms' rankings) pick in turn, the team with fewer picks first and a coin between equals;
each picks its best product not yet shown. A click credits the team that placed the product; an
impression is won by the team with more clicked products, and the preference share over the won
impressions is tested against 1/2 with a two-sided exact binomial test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from scipy.stats import binomtest


def team_draft(a: list[str], b: list[str], size: int, seed: str) -> list[tuple[str, str]]:
    """Up to `size` (product id, team) pairs; the same seed (experiment, shopper, query) the same list."""
    rng = random.Random(seed)
    lists, picks = {"a": a, "b": b}, {"a": 0, "b": 0}
    shown: set[str] = set()
    out: list[tuple[str, str]] = []
    cursor = {"a": 0, "b": 0}
    while len(out) < size:
        order = (
            ["a", "b"] if picks["a"] < picks["b"] or (picks["a"] == picks["b"] and rng.random() < 0.5) else ["b", "a"]
        )
        for team in order:  # the other team picks when this one has nothing new left
            ranked = lists[team]
            while cursor[team] < len(ranked) and ranked[cursor[team]] in shown:
                cursor[team] += 1
            if cursor[team] < len(ranked):
                doc_id = ranked[cursor[team]]
                shown.add(doc_id)
                out.append((doc_id, team))
                picks[team] += 1
                break
        else:
            return out
    return out


def credit(teams: dict[str, str], clicked: set[str]) -> str | None:
    """The team an impression prefers: more of its products clicked; None for a tie or no click."""
    a = sum(teams.get(doc_id) == "a" for doc_id in clicked)
    b = sum(teams.get(doc_id) == "b" for doc_id in clicked)
    return "a" if a > b else "b" if b > a else None


@dataclass(frozen=True)
class Outcome:
    impressions: int
    wins_a: int
    wins_b: int

    @property
    def share_a(self) -> float:
        """The share of won impressions that prefer arm a (0.5 when none is won)."""
        won = self.wins_a + self.wins_b
        return self.wins_a / won if won else 0.5

    @property
    def p_value(self) -> float:
        won = self.wins_a + self.wins_b
        return float(binomtest(self.wins_a, won, 0.5).pvalue) if won else 1.0

    def winner(self, alpha: float = 0.05) -> str | None:
        if self.p_value >= alpha:
            return None
        return "a" if self.wins_a > self.wins_b else "b"
