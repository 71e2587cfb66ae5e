"""Encoder runtimes on the Home Depot catalog: torch fp32 against ONNX Runtime fp32 and int8.

    python benchmarks/encoder_runtime.py [--queries N]

Needs the engine. Exports the packaged model (`shopsearch model export --int8`), then for each
runtime reindexes the 54,667 titles from an empty vector cache under the alias `homedepot-rt`
(`shopsearch index reindex`, end to end: read, encode, bulk, refresh) and times it, and evaluates
the default and semantic profiles on the held-out queries of `tune.split` (the queries are encoded
by the same runtime). Prints docs/s, the speed-up over torch, and NDCG@10 with its change relative
to torch fp32.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import merges_done, timed_reindex

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "homedepot"
ALIAS = "homedepot-rt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=0, help="evaluate only the first N held-out queries")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shopsearch-runtimes-"))
    exported = work / "minilm-onnx"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "shopsearch.cli",
            "model",
            "export",
            "--int8",
            "--out",
            str(exported),
            "--catalog",
            str(DATA / "catalog.jsonl"),
        ],
        check=True,
    )

    from shopsearch import wiring
    from shopsearch.config import load_settings
    from shopsearch.lab.evaluate import report, run_profile
    from shopsearch.lab.judgments import load_csv
    from shopsearch.lab.tune import split

    judged = load_csv(DATA / "judgments.csv")
    held = split(judged, 0.2)[1]
    held = judged.only(held[: args.queries] if args.queries else held)
    products = sum(1 for _ in (DATA / "catalog.jsonl").open(encoding="utf-8"))
    runtimes = {
        "torch fp32": {},
        "onnx fp32": {"runtime": "onnx", "path": str(exported)},
        "onnx int8": {"runtime": "onnx", "path": str(exported), "quantize": "true"},
    }
    rows = []
    for n, (label, model) in enumerate(runtimes.items()):
        rate = products / timed_reindex(DATA / "catalog.jsonl", ALIAS, model, work / f"vectors-{n}.sqlite")
        merges_done(wiring.client(load_settings()))  # the reindex's background merge, before anything else runs
        settings = load_settings(index={"alias": ALIAS}, model=model)
        searcher = wiring.searcher(settings)
        runs = [run_profile(searcher, held, name) for name in ("default", "semantic")]
        scores = report(held, runs)["scores"]
        rows.append((label, rate, scores["default"]["ndcg@10"], scores["semantic"]["ndcg@10"]))
    client = wiring.client(load_settings())
    client.indices.delete(index=f"{ALIAS}-*", ignore_unavailable=True)
    torch_rate, torch_default, torch_semantic = rows[0][1:]
    print(f"\nHome Depot: {products} titles reindexed from an empty vector cache; {len(held.queries)} held-out queries")
    print(f"{'runtime':12}{'docs/s':>8}{'x torch':>9}{'default NDCG@10':>17}{'change':>8}{'semantic':>10}{'change':>8}")
    for label, rate, default, semantic in rows:
        print(
            f"{label:12}{rate:8.0f}{rate / torch_rate:9.2f}{default:17.4f}{default / torch_default - 1:+8.1%}"
            f"{semantic:10.4f}{semantic / torch_semantic - 1:+8.1%}"
        )


if __name__ == "__main__":
    main()
