"""``shopsearch recs train|eval``: the fused for-you rail, trained and measured on the shop's own events;
``shopsearch cf build``: the bought-together table."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.errors import ConfigError, ShopsearchError
from shopsearch.lab.plots import metric_chart
from shopsearch.recommend import cf
from shopsearch.recommend.experiment import MIN_LENGTH, Experiment, histories_from_events, holdout_experiment, table
from shopsearch.recommend.factors import FactorParams
from shopsearch.recommend.fusion import FusionParams
from shopsearch.recommend.offline import RecsModel
from shopsearch.recommend.sequences import SequenceParams
from shopsearch.recommend.store import catalog_vectors
from shopsearch.users.store import SEQUENCE_TYPES

if TYPE_CHECKING:
    import numpy as np

    from shopsearch.users.ingest import EventIngest

F = TypeVar("F", bound=Callable[..., Any])


def _options(function: F) -> F:
    for option in reversed(
        [
            click.option(
                "--users",
                default=4000,
                show_default=True,
                help="Shoppers sampled for the held-out-last-item experiment (half fit the blend, half report).",
            ),
            click.option("--factors", default=FactorParams.factors, show_default=True, help="ALS factors."),
            click.option("--iterations", default=FactorParams.iterations, show_default=True, help="ALS iterations."),
            click.option("--seed", default=7, show_default=True),
        ]
    ):
        function = option(function)
    return function


def _experiment(
    settings: Settings, users: int, factors: int, iterations: int, seed: int
) -> tuple[EventIngest, list[str], np.ndarray, dict[str, list[str]], FactorParams, Experiment, float]:
    ingest = wiring.ingest(settings)
    copy_field = wiring.mapping(settings).vector_copy_field
    if not copy_field:
        raise ConfigError(f"{settings.index.mapping}: recs needs a vector_copy_field to read the catalog's vectors")
    click.echo("reading the catalog's vectors and the events ...")
    ids, texts = catalog_vectors(ingest.store.client, settings.index.alias, copy_field)
    histories = histories_from_events(ingest.store.scan(types=SEQUENCE_TYPES))
    usable = sum(len(items) >= MIN_LENGTH for items in histories.values())
    if usable < 2:
        raise ShopsearchError(
            f"too few shoppers with {MIN_LENGTH} or more carted or bought products in "
            f"{settings.api.events_stream} to train on (need 2, have {usable})"
        )
    factor_params = FactorParams(factors=factors, iterations=iterations, seed=seed)
    began = time.perf_counter()
    found = holdout_experiment(histories, ids, texts, SequenceParams(), factor_params, FusionParams(), users, seed)
    return ingest, ids, texts, histories, factor_params, found, time.perf_counter() - began


def _print(found: Experiment) -> None:
    click.echo(table(found.rows, found.reported_on))
    click.echo(
        f"blend weights (fitted on {found.fitted_on} other shoppers): "
        + ", ".join(f"{k}={v:g}" for k, v in found.weights.items())
    )


@click.group()
def recs() -> None:
    """Recommendations: train the fused for-you rail on the events, and measure every rail."""


@recs.command("train")
@_options
@click.pass_obj
def train_command(settings: Settings, users: int, factors: int, iterations: int, seed: int) -> None:
    """Learn the blend on held-out last purchases, then fit on every history and serve the model."""
    ingest, ids, texts, histories, factor_params, found, seconds = _experiment(
        settings, users, factors, iterations, seed
    )
    _print(found)
    began = time.perf_counter()
    model = RecsModel.fit(list(histories.values()), ids, SequenceParams(), factor_params)
    params = FusionParams(weights=found.weights)
    meta = {
        "fusion": asdict(params),
        "sequence": asdict(model.sequence),
        "factors": asdict(factor_params),
        "popular": model.popular(200),
        "max_count": float(model.counts.max(initial=0.0)),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "shoppers": len(histories),
        "held_out": {"rows": found.rows, "fitted_on": found.fitted_on, "reported_on": found.reported_on},
    }
    index = wiring.recs_store(settings, ingest.store.client).write(model, texts, meta)
    click.echo(
        f"model of {len(histories)} shoppers and {int((model.counts > 0).sum())} products -> {index} "
        f"(behind {settings.api.recs_alias}); experiment {seconds:.1f} s, final fit and write "
        f"{time.perf_counter() - began:.1f} s"
    )


@recs.command("eval")
@_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write report.json (and plots) here.")
@click.option("--plot", is_flag=True, help="Draw hit-rate and NDCG per rail with their intervals (needs --out).")
@click.pass_obj
def eval_command(
    settings: Settings, users: int, factors: int, iterations: int, seed: int, out: Path | None, plot: bool
) -> None:
    """Hold out each shopper's last purchase and report every rail against popular (nothing is written)."""
    *_, found, seconds = _experiment(settings, users, factors, iterations, seed)
    _print(found)
    click.echo(f"({seconds:.1f} s)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(
            json.dumps(
                {
                    "rows": found.rows,
                    "weights": found.weights,
                    "fitted_on": found.fitted_on,
                    "reported_on": found.reported_on,
                },
                indent=2,
            )
        )
        if plot:
            metric_chart(
                {rail: (g > 0).astype(float) for rail, g in found.gains.items()}, "hit@10", out / "hit_rate.png"
            )
            metric_chart(found.gains, "ndcg@10", out / "ndcg.png")
        click.echo(f"wrote {out}")


@click.group("cf")
def cf_group() -> None:
    """Collaborative filtering (bought-together)."""


@cf_group.command("build")
@click.option("--min-count", default=2, show_default=True, help="Fewest co-occurrences kept.")
@click.option("--max-basket", default=cf.MAX_BASKET, show_default=True, help="Larger baskets are left out.")
@click.pass_obj
def cf_build(settings: Settings, min_count: int, max_basket: int) -> None:
    """Item-to-item similarities from carts and purchases, built beside the live table and swapped in."""
    ingest = wiring.ingest(settings)
    groups, oversized = cf.capped(cf.baskets(ingest.store.scan(types=("cart", "purchase"))), max_basket)
    written = cf.store(ingest.store.client, settings.api.cf_index, cf.co_occurrence(groups, min_count=min_count))
    click.echo(
        f"bought-together: {written} products with neighbours, from {len(groups)} baskets"
        f" ({oversized} over {max_basket} products left out)"
    )
