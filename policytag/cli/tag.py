"""``policytag tag``: tag a folder of reply files into a table and a report."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from models.batch import BATCH_SIZE, BatchStep, tag_inputs
from models.batch_stats import summarize
from models.errors import DataError
from models.gold import load_gold
from models.html_report import write_html_report
from models.outputs import ResultsWriter
from models.predict import Predictor, load_model
from models.readers import JSONL_SUFFIX, Input, find_inputs, iter_inputs
from models.schema import Example
from policytag.cli.output import console
from policytag.settings import Settings, get_settings

ERRORS_SHOWN = 20

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Reply files (.txt .md .docx .pdf .html), folders (read recursively) or JSONL "
        "files with a 'text' field, one document a line."
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="results.jsonl, .csv or .xlsx: one row per segment; the per-document summary "
        "goes beside it (results.documents.jsonl/.csv) or to a second sheet. Default: "
        "segment rows as JSONL on stdout.",
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="rules, tfidf, bert, current, a stored version or a directory "
        "(default: POLICYTAG_MODEL, rules).",
    ),
]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
]
ResumeOpt = Annotated[
    bool,
    typer.Option(help="Skip documents already tagged in --out; retry those that failed."),
]
BatchOpt = Annotated[int, typer.Option(min=1, help="Documents per model call.")]


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[files]:.1f} files/s"),
        TextColumn("{task.fields[segments]:.0f} segments/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _say(message: str, style: str | None = None) -> None:
    """One unwrapped line on stderr; file names and errors are never read as markup."""
    console.print(message, style=style, markup=False, highlight=False, soft_wrap=True)


def _own_files(writer: ResultsWriter, report: Path | None) -> set[Path]:
    """What this run writes, so a folder that holds its own output is not read back in."""
    return {path.resolve() for path in [*writer.written(), *([report] if report else [])]}


def _push_sources(paths: Sequence[Path], settings: Settings) -> list[str]:
    """What ``annotate push --source`` takes for our inputs: ``pool``, files and folders."""
    pool = {settings.pool_dir.resolve(), settings.pool_file.resolve()}
    sources = []
    for path in paths:
        if path.resolve() in pool:
            sources.append("pool")
        elif path.suffix.lower() != JSONL_SUFFIX:
            sources.append(str(path))
    return sources


def _training(settings: Settings) -> list[Example] | None:
    try:
        return load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    except DataError as exc:
        _say(f"the report has no drift section: {exc}", "yellow")
        return None


def _run(
    inputs: list[Input], writer: ResultsWriter, predictor: Predictor, batch_size: int
) -> BatchStep | None:
    """Tag ``inputs`` into ``writer`` with a progress bar; the last step has the totals.

    The writer is closed even when the run is interrupted, so what was tagged so far
    is written and ``--resume`` can go on from there.
    """
    last = None
    try:
        with _progress() as progress:
            task = progress.add_task("tagging", total=len(inputs), files=0.0, segments=0.0)
            for step in tag_inputs(iter_inputs(inputs), predictor, batch_size):
                writer.add(step.segments, step.documents)
                progress.update(
                    task,
                    completed=step.documents_done,
                    files=step.documents_per_second,
                    segments=step.segments_per_second,
                )
                last = step
    finally:
        writer.close()
    return last


def _print_summary(last: BatchStep | None, writer: ResultsWriter, skipped: int) -> None:
    if skipped:
        _say(f"skipped {skipped} documents already tagged in {writer.out}")
    if last is None:
        return
    failed = [d for d in writer.results.documents if d.status == "error"]
    _say(
        f"tagged {last.documents_done - len(failed)} of {last.documents_done} documents, "
        f"{last.segments_done} segments in {last.elapsed:.1f} s: "
        f"{last.documents_per_second:.1f} files/s, {last.segments_per_second:.0f} segments/s"
    )
    for document in failed[:ERRORS_SHOWN]:
        _say(f"could not read {document.error}", "red")
    if len(failed) > ERRORS_SHOWN:
        _say(f"… and {len(failed) - ERRORS_SHOWN} more (see the documents file)", "red")


def tag_command(
    paths: PathsArg,
    out: OutOpt = None,
    model: ModelOpt = None,
    report: ReportOpt = None,
    resume: ResumeOpt = False,
    batch_size: BatchOpt = BATCH_SIZE,
) -> None:
    """Tag reply files: one row per segment with labels, scores, entities and metadata."""
    if resume and out is None:
        raise typer.BadParameter(
            "--resume needs --out: the results to resume", param_hint="--resume"
        )
    settings = get_settings()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are reported per file
    found = find_inputs(paths)
    if not found:
        raise DataError(f"no documents in {', '.join(map(str, paths))}")
    model = model or settings.model
    predictor = load_model(model, settings)
    writer = ResultsWriter(out, resume=resume, stream=sys.stdout)
    own = _own_files(writer, report)
    done = writer.done_sources()
    inputs = [i for i in found if i.source not in done and i.path.resolve() not in own]
    last = _run(inputs, writer, predictor, batch_size)
    _print_summary(last, writer, sum(i.source in done for i in found))
    if writer.written():
        _say(f"wrote {', '.join(map(str, writer.written()))}")
    if report is not None:
        stats = summarize(writer.results, _training(settings))
        sources = _push_sources(paths, settings)
        write_html_report(report, stats, [str(p) for p in paths], sources, model)
        _say(f"report: {report}")


def register(app: typer.Typer) -> None:
    app.command("tag")(tag_command)
