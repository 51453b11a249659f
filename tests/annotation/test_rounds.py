"""Round files: stand-off pool records joined with the pool, inline records, numbering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.rounds import (
    RoundManifest,
    StandoffRecord,
    load_round,
    manifest_path,
    next_round_number,
    round_hashes,
)
from models.errors import DataError
from models.gold import load_gold
from models.pool import read_pool, text_sha256
from models.schema import Example, Span
from tests.annotation.fakes import POOL_DIR, REPO

POOL = POOL_DIR / "pool.jsonl"


def _pool_example(pool_id: str = "p01353", start: int = 0, end: int = 30) -> Example:
    text = read_pool(POOL)[pool_id].text[start:end]
    name = "智算应用援疆"
    at = text.find(name)
    return Example(
        id=f"{pool_id}#s01",
        text=text,
        labels=["compute"],
        entities=[Span(start=at, end=at + len(name), label="PROGRAM", text=name)]
        if at >= 0
        else [],
        doc_id="pool-d088",
        start=start,
        end=end,
        source="pool",
    )


def _write(path: Path, *records: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    manifest = RoundManifest(
        round=1,
        file=path.name,
        created="2025-01-01T00:00:00+00:00",
        label_studio_url="http://ls",
        project_id=1,
        project_title="t",
        label_config_sha256="0" * 64,
        task_ids=[],
        annotators=1,
        annotator_ids=[1],
        model_versions=[],
        counts={},
        label_counts={},
        entity_counts={},
    )
    manifest_path(path).write_text(manifest.model_dump_json(), encoding="utf-8")
    return path


def test_rounds_standoff_record_holds_no_text_and_joins_back(tmp_path):
    example = _pool_example()
    record = StandoffRecord.of(example, "p01353")
    line = record.model_dump_json()
    assert example.text not in line and "智算应用援疆" not in line
    assert record.sha256 == text_sha256(example.text)
    path = _write(tmp_path / "round-001.jsonl", record.model_dump())
    assert load_round(path, POOL) == [example]


def test_rounds_hash_mismatch_is_refused_with_file_line_and_id(tmp_path):
    good = StandoffRecord.of(_pool_example("p01354", 0, 20), "p01354").model_dump()
    stale = StandoffRecord.of(_pool_example(), "p01353").model_dump() | {"sha256": "0" * 64}
    path = _write(tmp_path / "round-001.jsonl", good, stale)
    with pytest.raises(DataError) as error:
        load_round(path, POOL)
    message = str(error.value)
    assert f"{path}:2: id 'p01353#s01': text hash mismatch" in message


def test_rounds_unknown_pool_id_and_bad_offsets_are_refused(tmp_path):
    record = StandoffRecord.of(_pool_example(), "p01353").model_dump()
    path = _write(
        tmp_path / "round-001.jsonl",
        record | {"pool_id": "p99999"},
        record | {"id": "x#s01", "end": 10_000},
    )
    with pytest.raises(DataError) as error:
        load_round(path, POOL)
    assert "pool id 'p99999' is not in the pool" in str(error.value)
    assert f"{path}:2: id 'x#s01': offsets [0, 10000) do not fit" in str(error.value)


def test_rounds_inline_records_need_no_pool(tmp_path):
    example = Example(id="mine#s01", text="设立引领区基金。", labels=["funding"], doc_id="mine")
    path = _write(tmp_path / "round-001.jsonl", example.model_dump(exclude_none=True))
    assert load_round(path, lambda: pytest.fail("the pool must not be read")) == [example]


def test_rounds_missing_pool_is_a_data_error(tmp_path):
    path = _write(
        tmp_path / "round-001.jsonl", StandoffRecord.of(_pool_example(), "p01353").model_dump()
    )
    with pytest.raises(DataError, match="no pool file"):
        load_round(path, tmp_path / "nowhere.jsonl")


def test_rounds_load_gold_joins_rounds_with_the_given_pool(tmp_path):
    rounds = tmp_path / "rounds"
    example = _pool_example()
    _write(rounds / "round-001.jsonl", StandoffRecord.of(example, "p01353").model_dump())
    gold = load_gold(REPO / "seeds", rounds, POOL)
    assert gold[-1] == example
    assert len(gold) == len(load_gold(REPO / "seeds", tmp_path / "none")) + 1


def test_rounds_numbering_redoes_an_interrupted_round(tmp_path):
    assert next_round_number(tmp_path) == 1
    record = StandoffRecord.of(_pool_example(), "p01353").model_dump()
    _write(tmp_path / "round-001.jsonl", record)
    assert next_round_number(tmp_path) == 2
    (tmp_path / "round-002.jsonl").write_text("", encoding="utf-8")
    assert next_round_number(tmp_path) == 2
    assert round_hashes(tmp_path) == {record["sha256"]}
