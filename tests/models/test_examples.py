"""Gold JSONL loading: every problem is reported with file and line, nothing dropped."""

from __future__ import annotations

import json

import pytest

from models.examples import DataError, load_examples, write_examples
from models.schema import Example, Span


def _write(tmp_path, records) -> object:
    path = tmp_path / "gold.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = {
    "id": "d1#s01",
    "text": "设立引领区基金，支持企业。",
    "labels": ["funding"],
    "entities": [{"start": 2, "end": 7, "label": "FUND", "text": "引领区基金"}],
}


def test_examples_round_trip(tmp_path):
    path = _write(tmp_path, [GOOD])
    [example] = load_examples(path)
    assert example.entities[0].text == "引领区基金"
    assert example.document == "d1"
    out = tmp_path / "out.jsonl"
    write_examples(out, [example])
    assert load_examples(out) == [example]
    assert "引领区基金" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": ["talnet"]}, "labels.0"),
        ({"entities": [{"start": 2, "end": 7, "label": "ORG", "text": "引领区基金"}]}, "label"),
        ({"entities": [{"start": 2, "end": 40, "label": "FUND", "text": "引领区基金"}]}, "length"),
        (
            {"entities": [{"start": 10, "end": 15, "label": "FUND", "text": "引领区基金"}]},
            "past the end",
        ),
        (
            {"entities": [{"start": 1, "end": 6, "label": "FUND", "text": "引领区基金"}]},
            "text there is",
        ),
        ({"labels": ["funding", "funding"]}, "repeat"),
        ({"text": ""}, "text"),
        ({"extra": 1}, "extra"),
    ],
)
def test_examples_invalid_line_names_file_line_and_problem(tmp_path, change, message):
    path = _write(tmp_path, [GOOD, {**GOOD, "id": "d1#s02", **change}])
    with pytest.raises(DataError) as info:
        load_examples(path)
    assert f"{path}:2:" in str(info.value)
    assert message in str(info.value)


def test_examples_duplicate_ids_refused(tmp_path):
    path = _write(tmp_path, [GOOD, GOOD])
    with pytest.raises(DataError, match="duplicate id 'd1#s01' \\(first on line 1\\)"):
        load_examples(path)


def test_examples_bad_json_and_non_objects(tmp_path):
    path = _write(tmp_path, ["{not json", "[1, 2]"])
    with pytest.raises(DataError) as info:
        load_examples(path)
    assert "2 invalid line(s)" in str(info.value)
    assert ":1: not valid JSON" in str(info.value)
    assert ":2: expected a JSON object, got list" in str(info.value)


def test_examples_missing_empty_and_non_utf8_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_examples(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="no examples"):
        load_examples(empty)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DataError, match="not UTF-8"):
        load_examples(binary)


def test_span_rejects_inconsistent_boundaries():
    with pytest.raises(ValueError, match="greater than start"):
        Span(start=3, end=3, label="FUND", text="x")
    example = Example(id="a", text="明珠计划", labels=["talent"])
    assert example.entities == []
