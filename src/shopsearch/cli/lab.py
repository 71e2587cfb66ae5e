"""``shopsearch eval``, ``tune``, ``learn`` and ``finetune``: relevance measured and learned offline."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from shopsearch import wiring
from shopsearch.config import Settings
from shopsearch.lab import evaluate, finetune, tune
from shopsearch.lab.clicks import judgments_from_clicks
from shopsearch.lab.judgments import Judgments, load_csv, load_trec
from shopsearch.lab.learn import RERANK_EPOCHS, learn


def _grade_map(text: str | None) -> dict[str, int] | None:
    """'E=3,S=2,C=1,I=0' -> {'E': 3, ...}."""
    if not text:
        return None
    try:
        return {key.strip(): int(value) for key, value in (pair.split("=") for pair in text.split(","))}
    except ValueError:
        raise click.BadParameter("use LABEL=GRADE pairs, e.g. E=3,S=2,C=1,I=0", param_hint="--grade-map") from None


def load_judgments(path: Path | None, queries: Path | None, grade_map: str | None, grade_column: str) -> Judgments:
    if path is None:
        raise click.UsageError("--judgments FILE is required")
    if queries is not None:
        return load_trec(path, queries, _grade_map(grade_map))
    return load_csv(path, _grade_map(grade_map), grade_column)


_judgment_options = [
    click.option(
        "--judgments",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CSV (query,product_id,grade[,user_id]) or TREC qrels (with --queries).",
    ),
    click.option(
        "--queries",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="TREC queries file (qid<TAB>text); makes --judgments a qrels file.",
    ),
    click.option("--grade-map", help="Map labels to grades, e.g. E=3,S=2,C=1,I=0 (ESCI)."),
    click.option("--grade-column", default="grade", show_default=True, help="CSV column holding the grade."),
]


def judgment_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_judgment_options):
        command = option(command)
    return command


@click.command("eval")
@judgment_options
@click.option("--profiles", default="default,bm25,semantic", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("eval"), show_default=True)
@click.option("--per-query", is_flag=True, help="Show the queries where the first profile is worse than the second.")
@click.option("--plot", is_flag=True, help="Write metrics.png and deltas.png (first two profiles) to --out.")
@click.pass_obj
def eval_command(
    settings: Settings,
    judgments: Path,
    queries: Path | None,
    grade_map: str | None,
    grade_column: str,
    profiles: str,
    out: Path,
    per_query: bool,
    plot: bool,
) -> None:
    """Compare relevance profiles on judged queries (NDCG@10, MRR, Recall@100, P@10)."""

    judged = load_judgments(judgments, queries, grade_map, grade_column)
    searcher = wiring.searcher(settings)
    runs = [evaluate.run_profile(searcher, judged, name) for name in profiles.split(",")]
    result = evaluate.report(judged, runs)
    evaluate.write_outputs(out, runs, result)
    click.echo(evaluate.table(result))
    if per_query and len(runs) > 1:
        click.echo(f"\nqueries where {runs[0].name} is worse than {runs[1].name} (ndcg@10):")
        for text, baseline, candidate in evaluate.per_query(judged, runs[1], runs[0]):
            if candidate >= baseline:
                break
            click.echo(f"  {candidate:.3f} < {baseline:.3f}  {text}")
    if plot:
        evaluate.plot(judged, runs, out)
    click.echo(f"run files and report.json{', metrics.png, deltas.png' if plot else ''} in {out}/")


def _learning_options(base_help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """What tune and learn both take: judgments or the click log, handed to the command as `judged` and
    `source` (what they came from), and the profile to start from."""

    def apply(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def resolved(
            judgments: Path | None,
            queries: Path | None,
            grade_map: str | None,
            grade_column: str,
            clicks: bool,
            **rest: Any,
        ) -> None:
            if clicks and judgments:
                raise click.UsageError("give --judgments FILE or --clicks, not both")
            if clicks:
                judged, source = _click_judgments(click.get_current_context().obj), "the click log"
            else:
                judged = load_judgments(judgments, queries, grade_map, grade_column)
                source = judgments.name if judgments else ""
            command(judged=judged, source=source, **rest)

        resolved = click.option("--profile", "base", default="default", show_default=True, help=base_help)(resolved)
        clicks = "Learn from the click log instead (IPW-corrected for position)."
        return judgment_options(click.option("--clicks", is_flag=True, help=clicks)(resolved))

    return apply


@click.command("tune")
@_learning_options("Profile to start from.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the tuned profile; inside api.profiles_dir it is served by its file name"
    " (e.g. src/shopsearch/mappings/profiles/tuned.yaml in a checkout, then profile=tuned).",
)
@click.pass_obj
def tune_command(settings: Settings, judged: Judgments, source: str, base: str, out: Path) -> None:
    """Fit the signal weights (w_text, w_sem, α, β) by coordinate ascent and by Adam (ListNet); keep
    whichever does better on the held-out queries and write it as a profile."""
    searcher = wiring.searcher(settings)
    profile = searcher.profiles.get(base)
    features = tune.collect(searcher, judged, base)
    train, held_out = tune.split(judged)
    start = {signal.name: signal.weight for signal in profile.signals}
    fits = {
        base: start,
        "coordinate ascent": tune.coordinate_ascent(judged, features, train, start),
        "adam (ListNet)": tune.fit_adam(judged, features, train, start),
    }
    scores = {
        name: (tune.ndcg(judged, features, train, w), tune.ndcg(judged, features, held_out, w))
        for name, w in fits.items()
    }
    for name, (on_train, on_held_out) in scores.items():
        click.echo(
            f"{name:18} ndcg@10 train {on_train:.4f} ({len(train)} queries)  held-out {on_held_out:.4f}"
            f" ({len(held_out)} queries)"
        )
    best = max(("coordinate ascent", "adam (ListNet)"), key=lambda name: scores[name][1])
    click.echo(f"kept {best}: " + ", ".join(f"{k} {start[k]:g} -> {fits[best][k]:.3g}" for k in sorted(start)))
    note = (
        f"tuned from {base} on {source} by {best} ({len(train)} training queries): held-out ndcg@10 "
        f"{scores[base][1]:.4f} -> {scores[best][1]:.4f}"
    )
    tune.write_profile(profile, fits[best], out, note)
    click.echo(f"wrote {out}")


@click.command("learn")
@_learning_options("Profile whose candidates to rank.")
@click.option(
    "--name",
    default="learned",
    show_default=True,
    help="Writes <name>.yaml (ranker), <name>.lgb.txt and <name>-linear.yaml to the profiles directory.",
)
@click.option(
    "--held-out",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0.05, 0.5),
    help="Share of the queries kept aside and only measured.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("learn"),
    show_default=True,
    help="Report, run files and plots.",
)
@click.option("--plot", is_flag=True, help="Write metrics.png and deltas.png (ranker vs baseline) to --out.")
@click.option(
    "--rerank",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also train a cross-encoder into this directory (kept if it has one) and write <name>-reranked.yaml.",
)
@click.option(
    "--rerank-from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The BERT-family model the cross-encoder starts from (default: the packaged MiniLM), e.g. a fine-tuned one.",
)
@click.option(
    "--rerank-epochs",
    type=click.IntRange(1, 20),
    default=RERANK_EPOCHS,
    show_default=True,
    help="Cross-encoder epochs at most; the one kept scores best on the validation queries.",
)
@click.pass_obj
def learn_command(
    settings: Settings,
    judged: Judgments,
    source: str,
    base: str,
    name: str,
    held_out: float,
    out: Path,
    plot: bool,
    rerank: Path | None,
    rerank_from: Path | None,
    rerank_epochs: int,
) -> None:
    """Learn relevance from judgments or clicks: fit the linear blend and a LambdaMART ranker on the
    training queries, write both as profiles, and compare them with BM25 on the held-out queries."""
    searcher = wiring.searcher(settings)
    rerank = rerank.resolve() if rerank else None
    result = learn(
        searcher,
        judged,
        base=base,
        name=name,
        held_out=held_out,
        note=f" from {source}",
        rerank=rerank,
        rerank_from=rerank_from.resolve() if rerank_from else None,
        rerank_epochs=rerank_epochs,
    )
    if result.rerank:
        click.echo(
            "rerank weight on the validation queries: " + ", ".join(f"{w:g}: {v:.4f}" for w, v in result.rerank.items())
        )
        click.echo(
            "cross-encoder's best by epoch there, then their average: "
            + ", ".join(f"{v:.4f}" for v in result.rerank_epochs)
        )
    evaluate.write_outputs(out, result.runs, result.report)
    click.echo(f"{len(result.train)} training queries, {len(result.held_out)} held out; on the held-out queries:")
    click.echo(evaluate.table(result.report))
    baseline = result.profiles[0]
    for other in result.profiles[1:]:
        p = result.report["p_values"][other][baseline]["ndcg@10"]
        ratio = result.report["scores"][other]["ndcg@10"] / max(result.report["scores"][baseline]["ndcg@10"], 1e-12)
        click.echo(f"{other:>16} ndcg@10 {ratio:.3f} x {baseline} (paired t-test p = {p:.2g})")
    click.echo("ranker leans on: " + ", ".join(f"{n} {share:.0%}" for n, share in result.importance[:6]))
    if plot:
        evaluate.plot(judged.only(result.held_out), [result.runs[-1], result.runs[0]], out)
    written = f"{name}.yaml, {name}-reranked.yaml" if rerank else f"{name}.yaml"
    click.echo(f"wrote profiles {written} and {name}-linear.yaml; report in {out}/")


def _click_judgments(settings: Settings) -> Judgments:
    store = wiring.event_store(settings, wiring.client(settings))
    judged = judgments_from_clicks(store.scan(types=("click", "cart", "purchase")))
    if len(judged.queries) < 3:
        raise click.UsageError(f"the click log has {len(judged.queries)} queries with clicks; need at least 3")
    return judged


@click.command("finetune")
@click.option(
    "--pairs", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="CSV of query,product_id pairs."
)
@click.option("--clicks", is_flag=True, help="Use the click log: events with a query (click, cart, purchase).")
@judgment_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="New model directory.")
@click.option("--epochs", type=click.IntRange(1), help="Default: 3 with --judgments (it stops early), else 1.")
@click.option("--batch-size", default=32, show_default=True)
@click.option("--max-pairs", default=3000, show_default=True, help="Distinct pairs (or judged examples) used at most.")
@click.option(
    "--hard-negatives",
    default=3,
    show_default=True,
    type=click.IntRange(0),
    help="With --judgments: mined negatives per query (judged 0, or unjudged below the top 10).",
)
@click.pass_obj
def finetune_command(
    settings: Settings,
    pairs: Path | None,
    clicks: bool,
    judgments: Path | None,
    queries: Path | None,
    grade_map: str | None,
    grade_column: str,
    out: Path,
    epochs: int | None,
    batch_size: int,
    max_pairs: int,
    hard_negatives: int,
) -> None:
    """Fine-tune the encoder on (query, product) pairs, or on graded judgments with hard negatives
    (the training queries of `learn`'s split only); print held-out NDCG@10 before and after."""

    if sum((bool(pairs), clicks, bool(judgments))) != 1:
        raise click.UsageError("give exactly one of --pairs FILE, --clicks or --judgments FILE")
    if judgments:
        judged = load_judgments(judgments, queries, grade_map, grade_column)
        report = finetune.run_judged(
            settings,
            wiring.searcher(settings),
            judged,
            out=out,
            epochs=epochs or 3,
            batch_size=batch_size,
            max_examples=max_pairs,
            negatives=hard_negatives,
            source=judgments.name,
        )
    else:
        client = wiring.client(settings)
        if pairs is not None:
            raw, source = finetune.load_pairs(pairs), str(pairs)
        else:
            clicked = wiring.event_store(settings, client).scan(types=("click", "cart", "purchase"))
            raw, source = finetune.pairs_from_events(clicked), "the click log"
        report = finetune.run(
            settings,
            client,
            wiring.encoder(settings),
            raw,
            source,
            epochs=epochs or 1,
            batch_size=batch_size,
            max_pairs=max_pairs,
            out=out,
        )
    click.echo(report)
