"""The model card writer: files, JSON shape and the numbers it shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.evaluate import Report, evaluate
from models.report import write_report
from models.schema import ENTITY_TYPES, MEASURE_LABELS, Example, Span

TEXT_A = "设立人才专项资金"
TEXT_B = "建设算力平台"
TEXT_C = "推进道路整修"


def gold_set() -> list[Example]:
    return [
        Example(
            id="a",
            text=TEXT_A,
            labels=["talent", "funding"],
            entities=[Span(start=4, end=8, label="FUND", text="专项资金")],
        ),
        Example(
            id="b",
            text=TEXT_B,
            labels=["compute"],
            entities=[Span(start=2, end=6, label="PLATFORM", text="算力平台")],
        ),
        Example(id="c", text=TEXT_C),
    ]


def reports() -> dict[str, Report]:
    gold = gold_set()
    weak = [
        Example(id="a", text=TEXT_A, labels=["talent"]),
        Example(id="b", text=TEXT_B, labels=["compute", "corpus"]),
        Example(id="c", text=TEXT_C),
    ]
    return {"rules": evaluate(gold, weak, "rules-0.1"), "bert": evaluate(gold, gold, "bert-0.3")}


def test_report_writes_json_markdown_and_png(tmp_path: Path) -> None:
    scored = reports()
    out = tmp_path / "run"
    write_report(out, scored, "Seeds, leave-one-document-out")

    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["title"] == "Seeds, leave-one-document-out"
    assert set(data["reports"]) == {"rules", "bert"}
    for name, report in data["reports"].items():
        assert report == scored[name].model_dump(mode="json")
        assert Report.model_validate(report) == scored[name]
        assert set(report["labels"]["per_label"]) == set(MEASURE_LABELS)
        assert set(report["entities"]["per_type"]) == set(ENTITY_TYPES)
        assert {"micro_f1", "macro_f1"} <= set(report["labels"])
        assert {"f1", "precision", "recall", "partial_f1"} <= set(report["entities"])

    markdown = (out / "REPORT.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Seeds, leave-one-document-out\n")
    # rules: talent tp, funding fn, compute tp, corpus fp -> micro P 2/3, R 2/3, F1 0.667
    assert scored["rules"].labels.micro_f1 == pytest.approx(2 / 3)
    for name, report in scored.items():
        assert f"| {name} | {report.labels.micro_f1:.3f} | {report.labels.macro_f1:.3f} |" in (
            markdown
        )
    assert "| rules | 0.667 |" in markdown
    assert "| bert | 1.000 |" in markdown
    assert scored["bert"].data_hash in markdown
    for label in MEASURE_LABELS:
        assert f"| {label} |" in markdown

    png = (out / "per_label_f1.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(out.glob(".*.tmp"))


def test_report_overwrites_existing_files(tmp_path: Path) -> None:
    scored = reports()
    write_report(tmp_path, {"rules": scored["rules"]}, "first")
    write_report(tmp_path, scored, "second")
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["title"] == "second"
    assert set(data["reports"]) == {"rules", "bert"}


def test_report_refuses_different_data(tmp_path: Path) -> None:
    scored = reports()
    other = gold_set()[:2]
    mismatched = {"rules": scored["rules"], "other": evaluate(other, other, "x")}
    with pytest.raises(ValueError, match="different data"):
        write_report(tmp_path, mismatched, "t")
    with pytest.raises(ValueError, match="no reports"):
        write_report(tmp_path, {}, "t")
    assert not list(tmp_path.iterdir())
