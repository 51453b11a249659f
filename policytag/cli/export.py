"""``policytag export``: ONNX and int8 ONNX for a bert model, gated on agreement."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from models.bert.export import DEFAULT_MIN_AGREEMENT, DEFAULT_POOL_SAMPLE
from policytag.cli.output import console, print_table
from policytag.settings import Settings, get_settings

if TYPE_CHECKING:
    from models.bert.export import ExportResult


def resolve_bert_dir(model: str, settings: Settings) -> Path:
    """A model directory, or a store name (``bert``, ``current``, a version)."""
    from models.errors import ModelError
    from models.registry import ModelStore, read_manifest

    path = Path(model)
    if not path.is_dir():
        stored = ModelStore(settings.store_dir).resolve(model)
        if stored is None:
            raise ModelError(
                f"no model {model!r} in {settings.store_dir}; train one with "
                f"`policytag train --type bert` or give a model directory"
            )
        path = stored
    model_type = read_manifest(path)["type"]
    if model_type != "bert":
        raise ModelError(f"{path}: a {model_type} model has nothing to export; give a bert model")
    return path


def export(
    model: str, settings: Settings, *, int8: bool, min_agreement: float, pool_sample: int
) -> ExportResult:
    """Export the resolved model with the seeds and a pool sample as agreement texts."""
    from models.bert.export import agreement_texts, export_model

    model_dir = resolve_bert_dir(model, settings)
    texts = agreement_texts(settings.gold_file, settings.pool_file, pool_sample, settings.seed)
    return export_model(
        model_dir,
        texts,
        int8=int8,
        min_agreement=min_agreement,
        num_threads=settings.torch_threads,
        progress=console.print,
    )


def export_command(
    model: Annotated[
        str, typer.Argument(help="Model directory, or a store name: bert, current, a version.")
    ] = "bert",
    int8: Annotated[
        bool, typer.Option("--int8/--no-int8", help="Also write and check int8 ONNX.")
    ] = True,
    min_agreement: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Least share of label decisions and spans that must agree."
        ),
    ] = DEFAULT_MIN_AGREEMENT,
    pool_sample: Annotated[
        int, typer.Option(min=0, help="Pool paragraphs checked besides the seeds.")
    ] = DEFAULT_POOL_SAMPLE,
) -> None:
    """Write ONNX (fp32, int8) into the model directory; fail if it disagrees with torch."""
    result = export(
        model, get_settings(), int8=int8, min_agreement=min_agreement, pool_sample=pool_sample
    )
    rows = [
        ["torch (reference)", "1.0000", "1.0000", f"{result.reference_texts_per_second:.1f}", ""]
    ]
    rows += [
        [
            f"{check.runtime} ({check.recipe})" if check.recipe else check.runtime,
            f"{check.agreement.labels:.4f}",
            f"{check.agreement.spans:.4f}",
            f"{check.texts_per_second:.1f}" if check.passed else "—",
            "listed" if check.passed else "left out",
        ]
        for check in result.checks
    ]
    print_table(
        f"exported {result.model_dir} in {result.seconds:.0f} s; auto runtime: {result.auto}",
        ["runtime", "label agreement", "span agreement", "texts/s", "manifest"],
        rows,
    )


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
