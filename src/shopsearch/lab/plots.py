"""Charts for `shopsearch eval --plot`: each profile's metric with a 95% bootstrap interval, and
per-query differences between two profiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shopsearch.charts import pyplot


def bootstrap_interval(scores: np.ndarray, samples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean, resampling queries with replacement."""
    rng = np.random.default_rng(seed)
    means = rng.choice(scores, size=(samples, len(scores)), replace=True).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def metric_chart(per_query: dict[str, np.ndarray], metric: str, path: Path) -> None:
    plt = pyplot()
    names = list(per_query)
    means = [float(per_query[n].mean()) for n in names]
    intervals = [bootstrap_interval(per_query[n]) for n in names]
    errors = np.array(
        [[m - lo for m, (lo, _) in zip(means, intervals)], [hi - m for m, (_, hi) in zip(means, intervals)]]
    )
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.bar(names, means, yerr=errors, capsize=6, color="#4f7be8")
    axis.set(ylabel=metric, ylim=(0, 1), title=f"{metric} (95% bootstrap interval)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def delta_chart(
    queries: list[str], base: np.ndarray, other: np.ndarray, names: tuple[str, str], metric: str, path: Path
) -> None:
    plt = pyplot()
    delta = other - base
    order = np.argsort(delta)
    figure, axis = plt.subplots(figsize=(7, max(3.0, 0.22 * len(queries))))
    axis.barh(
        [queries[i] for i in order], delta[order], color=["#d9534f" if d < 0 else "#5cb85c" for d in delta[order]]
    )
    axis.axvline(0, color="#333", linewidth=0.8)
    axis.set(xlabel=f"{metric}: {names[1]} - {names[0]}", title=f"per-query change, {names[1]} vs {names[0]}")
    axis.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
