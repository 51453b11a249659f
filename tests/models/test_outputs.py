"""Results files: JSONL, CSV and XLSX read back into the same rows; resuming."""

from __future__ import annotations

import csv
import json

import pytest

from models.batch import DocumentRow, SegmentRow
from models.errors import DataError
from models.outputs import (
    Results,
    ResultsWriter,
    columns,
    documents_path,
    from_cells,
    read_results,
    to_cells,
)
from models.schema import MEASURE_LABELS, ReplyMetadata, Span

SCORES = {label: 0.1 for label in MEASURE_LABELS} | {"funding": 0.9}
METADATA = ReplyMetadata(agency="某市科委", date="2024-05-06", proposers=["张三", "李四"])


def segment_row(
    doc: str, number: int = 1, text: str = "设立天使母基金，支持初创企业。"
) -> SegmentRow:
    return SegmentRow(
        doc_id=doc,
        source=f"{doc}.txt",
        segment_id=f"{doc}#s{number:02d}",
        start=0,
        end=len(text),
        text=text,
        labels=["funding"],
        scores=SCORES,
        confidence=0.8,
        entities=[Span(start=2, end=7, label="FUND", text="天使母基金", score=0.7)],
        metadata=METADATA,
        model="fake-1",
    )


def document_row(doc: str, segments: int = 1) -> DocumentRow:
    return DocumentRow(
        doc_id=doc,
        source=f"{doc}.txt",
        status="ok",
        segment_count=segments,
        labels=["funding"],
        label_scores=SCORES,
        entity_count=segments,
        min_confidence=0.8,
        metadata=METADATA,
        model="fake-1",
    )


def error_row(doc: str) -> DocumentRow:
    return DocumentRow(doc_id=doc, source=f"{doc}.txt", status="error", error=f"{doc}.txt: bad")


def write(out, segments, documents, resume=False) -> ResultsWriter:
    writer = ResultsWriter(out, resume=resume)
    writer.add(segments, documents)
    writer.close()
    return writer


def test_outputs_cells_round_trip_and_columns_are_flat():
    row = segment_row("a")
    cells = to_cells(row)
    assert list(cells) == columns(SegmentRow)
    assert cells["scores.funding"] == 0.9 and cells["metadata.agency"] == "某市科委"
    assert json.loads(cells["entities"])[0]["text"] == "天使母基金"
    as_text = {name: "" if value is None else str(value) for name, value in cells.items()}
    assert from_cells(SegmentRow, as_text, "x") == row
    assert from_cells(DocumentRow, to_cells(error_row("b")), "x") == error_row("b")


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "xlsx"])
def test_outputs_every_format_reads_back_the_same_rows(tmp_path, suffix):
    out = tmp_path / f"results.{suffix}"
    segments = [segment_row("a", 1), segment_row("a", 2, "加强人才引进。")]
    documents = [document_row("a", 2), error_row("b")]
    writer = write(out, segments, documents)
    assert writer.written() == list(dict.fromkeys([out, documents_path(out)]))
    assert read_results(out) == Results(segments, documents)


def test_outputs_csv_is_utf8_with_bom_for_excel(tmp_path):
    out = tmp_path / "results.csv"
    write(out, [segment_row("a")], [document_row("a")])
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["text"] == "设立天使母基金，支持初创企业。" and row["labels"] == '["funding"]'
    assert (tmp_path / "results.documents.csv").is_file()


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "xlsx"])
def test_outputs_resume_keeps_done_documents_and_drops_failures(tmp_path, suffix):
    out = tmp_path / f"results.{suffix}"
    write(out, [segment_row("a"), segment_row("c")], [document_row("a"), error_row("b")])

    writer = ResultsWriter(out, resume=True)
    # "c" has segments but no document row (cut off mid-write): it is not done.
    assert writer.done_sources() == {"a.txt"}
    writer.add([segment_row("b")], [document_row("b")])
    writer.close()

    results = read_results(out)
    assert [s.doc_id for s in results.segments] == ["a", "b"]
    assert [(d.doc_id, d.status) for d in results.documents] == [("a", "ok"), ("b", "ok")]


def test_outputs_jsonl_is_appended_as_the_batch_runs(tmp_path):
    out = tmp_path / "results.jsonl"
    writer = ResultsWriter(out)
    writer.add([segment_row("a")], [document_row("a")])
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1  # before close
    writer.close()


def test_outputs_jsonl_cut_off_last_line_is_dropped_other_bad_lines_are_errors(tmp_path):
    out = tmp_path / "results.jsonl"
    write(out, [segment_row("a"), segment_row("b")], [document_row("a"), document_row("b")])
    text = out.read_text(encoding="utf-8")
    out.write_text(text[:-40], encoding="utf-8")
    assert [s.doc_id for s in read_results(out).segments] == ["a"]
    out.write_text("{}\n" + text, encoding="utf-8")
    with pytest.raises(DataError, match=r"results\.jsonl:1: not a SegmentRow row"):
        read_results(out)


def test_outputs_stdout_gets_segment_rows(tmp_path, capsys):
    import sys

    writer = ResultsWriter(None, stream=sys.stdout)
    writer.add([segment_row("a")], [document_row("a")])
    writer.close()
    [line] = capsys.readouterr().out.splitlines()
    assert SegmentRow.model_validate_json(line) == segment_row("a")
    assert writer.written() == []


def test_outputs_refuse_unknown_formats_and_missing_results(tmp_path):
    with pytest.raises(DataError, match=r"\.jsonl, \.csv or \.xlsx"):
        ResultsWriter(tmp_path / "results.parquet")
    with pytest.raises(DataError, match="no such results file"):
        read_results(tmp_path / "missing.jsonl")
