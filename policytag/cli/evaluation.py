"""``policytag eval``: score models on gold data, or cross-validate across documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from models import atomic
from models.crossval import cross_validate
from models.evaluate import Report, errors, evaluate, write_errors
from models.examples import load_examples
from models.gold import load_gold
from models.predict import load_model
from models.report import write_report
from models.schema import MEASURE_LABELS
from policytag.cli.output import console, print_table
from policytag.settings import get_settings

BASELINES = ("rules", "tfidf")


class CrossValidationKind(StrEnum):
    lodo = "lodo"


def _comparison_table(title: str, reports: dict[str, Report]) -> None:
    columns = ["model", "n", "micro-F1", "macro-F1", "entity F1", "partial F1"]
    columns += list(MEASURE_LABELS)
    rows = []
    for name, report in reports.items():
        per_label = report.labels.per_label
        rows.append(
            [
                name,
                str(report.n),
                f"{report.labels.micro_f1:.3f}",
                f"{report.labels.macro_f1:.3f}",
                f"{report.entities.f1:.3f}",
                f"{report.entities.partial_f1:.3f}",
                *(f"{per_label[label].f1:.3f}" for label in MEASURE_LABELS),
            ]
        )
    print_table(title, columns, rows)


def _report_dir(requested: Path | None) -> Path:
    if requested is not None:
        return requested
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return get_settings().data_dir / "reports" / stamp


def _save(
    reports: dict[str, Report],
    title: str,
    json_out: Path | None,
    report_dir: Path | None,
    extra: dict,
) -> None:
    out_dir = _report_dir(report_dir)
    write_report(out_dir, reports, title)
    console.print(f"model card: {out_dir / 'REPORT.md'}")
    if json_out is not None:
        primary, *_ = reports.values()
        payload = {
            **primary.model_dump(),
            **extra,
            "models": {k: v.model_dump() for k, v in reports.items()},
        }
        atomic.write_text(json_out, json.dumps(payload, ensure_ascii=False, indent=2))
        console.print(f"wrote {json_out}")


def run_data_eval(
    data: Path,
    names: list[str],
    baselines: bool,
    json_out: Path | None,
    errors_out: Path | None,
    report_dir: Path | None,
) -> dict[str, Report]:
    """Score each model on ``data``; baselines join so every run compares against them."""
    settings = get_settings()
    gold = load_examples(data)
    documents = {ex.document for ex in gold}
    wanted = list(dict.fromkeys(names + (list(BASELINES) if baselines else [])))
    if not wanted:
        raise typer.BadParameter("name a --model, or keep --baselines")
    reports: dict[str, Report] = {}
    for name in wanted:
        console.print(f"scoring {name} on {len(gold)} segments from {data}")
        model = load_model(name, settings, exclude_documents=documents)
        predictions = model.predict([ex.text for ex in gold])
        predicted = [p.as_example(ex.id, ex.text) for p, ex in zip(predictions, gold, strict=True)]
        reports[name] = evaluate(gold, predicted, model_version=model.version)
        if errors_out is not None and name == wanted[0]:
            write_errors(errors_out, errors(gold, predicted))
            console.print(f"wrote errors of {name} to {errors_out}")
    _comparison_table(f"{data} ({len(gold)} segments)", reports)
    _save(reports, f"policytag eval on {data}", json_out, report_dir, {})
    return reports


def run_cross_validation(
    model_types: list[str], json_out: Path | None, errors_out: Path | None, report_dir: Path | None
) -> dict[str, Report]:
    """Leave-one-document-out over all gold: seeds and annotation rounds."""
    settings = get_settings()
    gold = load_gold(settings.seeds_dir, settings.rounds_dir)
    reports: dict[str, Report] = {}
    folds: dict[str, dict[str, dict]] = {}
    for model_type in model_types:
        result = cross_validate(gold, model_type, settings, progress=console.print)
        reports[model_type] = result.report.pooled
        per_fold = dict(zip(result.fold_names, result.report.folds, strict=True))
        _comparison_table(
            f"{model_type}: per held-out document",
            {document[:16]: report for document, report in per_fold.items()},
        )
        folds[model_type] = {document: report.model_dump() for document, report in per_fold.items()}
        if errors_out is not None and model_type == model_types[0]:
            write_errors(errors_out, errors(result.gold, result.predictions))
    _comparison_table(f"leave-one-document-out, pooled ({len(gold)} segments)", reports)
    _save(
        reports,
        "policytag leave-one-document-out",
        json_out,
        report_dir,
        {"cv": "lodo", "folds": folds},
    )
    return reports


def eval_command(
    data: Annotated[
        Path | None,
        typer.Option(help="Gold JSONL in the guidelines' format; each line is one segment."),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="rules, tfidf, or a model directory; repeatable."),
    ] = None,
    cv: Annotated[
        CrossValidationKind | None,
        typer.Option(help="Cross-validate over all gold instead of --data."),
    ] = None,
    model_type: Annotated[
        list[str] | None,
        typer.Option(
            "--model-type",
            "-t",
            help="Model types for --cv (rules, tfidf, bert); repeatable. The baselines join "
            "unless --no-baselines.",
        ),
    ] = None,
    baselines: Annotated[
        bool, typer.Option(help="Also score the rules and tfidf baselines.")
    ] = True,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON report here.")
    ] = None,
    errors_out: Annotated[
        Path | None,
        typer.Option("--errors", help="Write every wrong example of the first model here (JSONL)."),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where REPORT.md, report.json and the chart go (default: <data_dir>/reports/<time>)."
        ),
    ] = None,
) -> None:
    """Score models on gold data (--data) or by leave-one-document-out (--cv lodo)."""
    if cv is None and data is None:
        raise typer.BadParameter("give --data FILE.jsonl or --cv lodo")
    if cv is not None:
        types = list(dict.fromkeys((model_type or []) + (list(BASELINES) if baselines else [])))
        if not types:
            raise typer.BadParameter("name a --model-type, or keep --baselines")
        run_cross_validation(types, json_out, errors_out, report_dir)
    else:
        run_data_eval(data, model or [], baselines, json_out, errors_out, report_dir)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
