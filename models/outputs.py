"""Writing and reading batch results as JSONL, CSV or XLSX.

Segment rows go to the output file; the per-document summary goes beside it
(``results.documents.jsonl`` / ``.csv``) or, for XLSX, to a second sheet.
JSONL is appended as the batch runs, so an interrupted run keeps its work; CSV
and XLSX are written atomically once at the end. Tables flatten ``scores`` and
``metadata`` into ``scores.talent``, ``metadata.agency``… columns and hold lists
(labels, entities) as JSON, so a table reads back into the same rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from models import atomic
from models.batch import DocumentRow, SegmentRow
from models.errors import DataError
from models.schema import MEASURE_LABELS, ReplyMetadata

SEGMENTS_SHEET = "segments"
DOCUMENTS_SHEET = "documents"
_LABEL_DICTS = ("scores", "label_scores")
_LIST_COLUMNS = frozenset({"labels", "entities", "metadata.proposers"})
RowT = TypeVar("RowT", bound=BaseModel)


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


def output_format(path: Path) -> OutputFormat:
    """The format named by the file's extension."""
    suffix = Path(path).suffix.lower().lstrip(".")
    try:
        return OutputFormat(suffix)
    except ValueError:
        raise DataError(f"{path}: write results to a .jsonl, .csv or .xlsx file") from None


def documents_path(out: Path) -> Path:
    """Where the per-document summary of ``out`` goes (the same file for XLSX)."""
    out = Path(out)
    if output_format(out) is OutputFormat.xlsx:
        return out
    return out.with_name(f"{out.stem}.documents{out.suffix}")


@dataclass
class Results:
    """All rows of a batch, in input order."""

    segments: list[SegmentRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)

    def done_sources(self) -> set[str]:
        """Sources tagged without error; ``--resume`` skips them, failed ones are retried."""
        return {d.source for d in self.documents if d.status == "ok"}

    def without_failures(self) -> Results:
        done = self.done_sources()
        return Results(
            [s for s in self.segments if s.source in done],
            [d for d in self.documents if d.status == "ok"],
        )


# ---------------------------------------------------------------------------
# Table cells


def columns(model: type[BaseModel]) -> list[str]:
    """The flat columns of a row model, in field order."""
    names: list[str] = []
    for name in model.model_fields:
        if name in _LABEL_DICTS:
            names += [f"{name}.{label}" for label in MEASURE_LABELS]
        elif name == "metadata":
            names += [f"metadata.{key}" for key in ReplyMetadata.model_fields]
        else:
            names.append(name)
    return names


def to_cells(row: BaseModel) -> dict[str, Any]:
    """One row as flat cells: nested objects dotted, lists as JSON, missing as ``None``."""
    cells: dict[str, Any] = {}

    def put(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                put(f"{name}.{key}", item)
        elif isinstance(value, list):
            cells[name] = json.dumps(value, ensure_ascii=False)
        else:
            cells[name] = value

    for name, value in row.model_dump(mode="json").items():
        put(name, value)
    return cells


def from_cells(model: type[RowT], cells: dict[str, Any], where: str) -> RowT:
    """The inverse of ``to_cells``; an empty cell is a missing value."""
    nested: dict[str, Any] = {}
    try:
        for column, value in cells.items():
            if value is None or value == "":
                continue
            if column in _LIST_COLUMNS:
                value = json.loads(value)
            *parents, leaf = column.split(".")
            target = nested
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        return model.model_validate(nested)
    except (ValueError, ValidationError) as exc:
        raise DataError(f"{where}: not a {model.__name__} row ({exc})") from exc


# ---------------------------------------------------------------------------
# Reading


def _read_jsonl(path: Path, model: type[RowT]) -> list[RowT]:
    """Rows of a JSONL file; a cut-off last line (an interrupted write) is dropped."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate_json(line))
        except ValidationError as exc:
            if number == len(lines) and not text.endswith("\n"):
                break
            raise DataError(f"{path}:{number}: not a {model.__name__} row ({exc})") from exc
    return rows


def _read_csv(path: Path, model: type[RowT]) -> list[RowT]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            from_cells(model, cells, f"{path}:{number}")
            for number, cells in enumerate(csv.DictReader(handle), start=2)
        ]


def _read_sheet(path: Path, sheet: str, model: type[RowT]) -> list[RowT]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet not in workbook.sheetnames:
            raise DataError(f"{path}: no sheet {sheet!r}")
        rows = workbook[sheet].iter_rows(values_only=True)
        header = [str(name) for name in next(rows, ())]
        return [
            from_cells(model, dict(zip(header, values, strict=False)), f"{path}[{sheet}]:{n}")
            for n, values in enumerate(rows, start=2)
        ]
    finally:
        workbook.close()


def read_results(out: Path) -> Results:
    """The rows an earlier run wrote to ``out`` (and its documents file or sheet)."""
    out = Path(out)
    if not out.is_file():
        raise DataError(f"{out}: no such results file")
    fmt = output_format(out)
    if fmt is OutputFormat.xlsx:
        return Results(
            _read_sheet(out, SEGMENTS_SHEET, SegmentRow),
            _read_sheet(out, DOCUMENTS_SHEET, DocumentRow),
        )
    read = _read_jsonl if fmt is OutputFormat.jsonl else _read_csv
    return Results(read(out, SegmentRow), read(documents_path(out), DocumentRow))


# ---------------------------------------------------------------------------
# Writing


def _jsonl(rows: Iterable[BaseModel]) -> str:
    return "".join(row.model_dump_json() + "\n" for row in rows)


def _csv(rows: Iterable[BaseModel], model: type[BaseModel]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(model), lineterminator="\n")
    writer.writeheader()
    writer.writerows(to_cells(row) for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def _xlsx(results: Results) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    for sheet, model, rows in (
        (SEGMENTS_SHEET, SegmentRow, results.segments),
        (DOCUMENTS_SHEET, DocumentRow, results.documents),
    ):
        worksheet = workbook.create_sheet(sheet)
        header = columns(model)
        worksheet.append(header)
        for row in rows:
            cells = to_cells(row)
            worksheet.append(
                [
                    ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
                    for value in (cells.get(name) for name in header)
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class ResultsWriter:
    """Collects a batch's rows and writes them to ``out`` in its format.

    With ``resume``, the rows of documents ``out`` already holds without error are
    kept (``done_sources`` tells the caller what to skip) and the rest is dropped,
    so a retried file is never listed twice. With no ``out``, segment rows go to
    ``stream`` as JSONL.
    """

    def __init__(self, out: Path | None, resume: bool = False, stream: IO[str] | None = None):
        self.out = Path(out) if out is not None else None
        self.format = output_format(self.out) if self.out is not None else OutputFormat.jsonl
        self.results = Results()
        if resume and self.out is not None and self.out.exists():
            self.results = read_results(self.out).without_failures()
        self._handles: list[IO[str]] = []
        if self.out is None:
            self._handles = [stream] if stream is not None else []
        elif self.format is OutputFormat.jsonl:
            paths = (self.out, documents_path(self.out))
            atomic.write_text(paths[0], _jsonl(self.results.segments))
            atomic.write_text(paths[1], _jsonl(self.results.documents))
            self._handles = [path.open("a", encoding="utf-8") for path in paths]

    def done_sources(self) -> set[str]:
        return self.results.done_sources()

    def add(self, segments: list[SegmentRow], documents: list[DocumentRow]) -> None:
        self.results.segments.extend(segments)
        self.results.documents.extend(documents)
        # stdout has one handle, so it gets the segment rows only
        for handle, rows in zip(self._handles, (segments, documents), strict=False):
            handle.write(_jsonl(rows))
            handle.flush()

    def close(self) -> None:
        """Finish the files: close JSONL, or write the whole CSV or XLSX atomically."""
        if self.out is None:
            return
        if self.format is OutputFormat.jsonl:
            for handle in self._handles:
                handle.close()
        elif self.format is OutputFormat.csv:
            atomic.write_bytes(self.out, _csv(self.results.segments, SegmentRow))
            atomic.write_bytes(documents_path(self.out), _csv(self.results.documents, DocumentRow))
        else:
            atomic.write_bytes(self.out, _xlsx(self.results))

    def written(self) -> list[Path]:
        """The files this writer fills, the segment file first."""
        if self.out is None:
            return []
        return list(dict.fromkeys([self.out, documents_path(self.out)]))
