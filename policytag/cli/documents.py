"""``policytag segment`` and ``policytag metadata``: look inside reply files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.metadata import extract_metadata
from models.readers import doc_id_for, read_text
from models.segment import segment
from policytag.cli.output import Format, print_table, resolve_format, write_jsonl

FilesArg = Annotated[list[Path], typer.Argument(help="Reply or policy text files (.txt).")]
FormatOpt = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="jsonl or table (default: table on a terminal)."),
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write JSONL here.")]


def segment_command(files: FilesArg, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Split replies into measure-level segments with offsets into the original file."""
    records = []
    for path in files:
        records.extend(s.model_dump() for s in segment(read_text(path), doc_id_for(path)))
    if resolve_format(fmt, out) is Format.table:
        rows = [[r["id"], f"{r['start']}-{r['end']}", r["text"][:80]] for r in records]
        print_table(f"{len(records)} segments", ["id", "offsets", "text"], rows)
    else:
        write_jsonl(records, out)


def metadata_command(files: FilesArg, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Show the reply header fields: numbers, session, proposer, agency, date, contact."""
    records = [
        {"file": str(path), **extract_metadata(read_text(path)).model_dump()} for path in files
    ]
    if resolve_format(fmt, out) is Format.table:
        fields = [f for f in records[0] if f != "file"] if records else []
        rows = [[field, *(_show(r[field]) for r in records)] for field in fields]
        print_table("reply metadata", ["field", *(Path(r["file"]).stem for r in records)], rows)
    else:
        write_jsonl(records, out)


def _show(value: object) -> str:
    if value is None:
        return "—"
    return "、".join(value) if isinstance(value, list) else str(value)


def register(app: typer.Typer) -> None:
    app.command("segment")(segment_command)
    app.command("metadata")(metadata_command)
