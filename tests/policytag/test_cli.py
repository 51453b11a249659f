"""The CLI as a user runs it: a real subprocess, its exit code and its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policytag", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("segment", "metadata"):
        assert command in result.stdout


def test_cli_segment_seeds_writes_jsonl(seed_files):
    result = run_cli("segment", *map(str, seed_files))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len({r["doc_id"] for r in records}) == 5
    assert all(set(r) == {"id", "doc_id", "start", "end", "text"} for r in records)


def test_cli_metadata_seed(seed_files):
    result = run_cli("metadata", str(seed_files[2]), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["doc_number"] == "浦人社提复〔2024〕31号"


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x80\xff\xfe\x81")
    for path, message in [
        (tmp_path / "missing.txt", "no such file"),
        (empty, "file is empty"),
        (binary, "not UTF-8 or GB18030 text"),
    ]:
        result = run_cli("segment", str(path))
        assert result.returncode == 2
        assert result.stderr.strip() == f"error: {path}: {message}"
        assert "Traceback" not in result.stderr


def test_cli_segment_out_file_is_written(tmp_path, seed_files):
    out = tmp_path / "segments.jsonl"
    result = run_cli("segment", str(seed_files[0]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 13


def test_cli_eval_data_writes_documented_json(tmp_path):
    out = tmp_path / "r.json"
    result = run_cli(
        "eval",
        "--data",
        "seeds/gold.jsonl",
        "--model",
        "rules",
        "--no-baselines",
        "--json",
        str(out),
        "--report-dir",
        str(tmp_path / "card"),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 80
    assert report["model_version"].startswith("rules-")
    assert {"micro_f1", "macro_f1", "per_label"} <= report["labels"].keys()
    assert {"f1", "precision", "recall", "per_type"} <= report["entities"].keys()
    for name in ("REPORT.md", "report.json", "per_label_f1.png"):
        assert (tmp_path / "card" / name).is_file()


def test_cli_eval_rejects_invalid_data(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "算力", "labels": ["gpu"]}\n', encoding="utf-8")
    result = run_cli("eval", "--data", str(bad), "--model", "rules")
    assert result.returncode == 2
    assert f"{bad}:1:" in result.stderr and "Traceback" not in result.stderr


def test_cli_models_list_and_unknown_model(tmp_path):
    env_dir = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "policytag", "models", "list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "POLICYTAG_DATA_DIR": str(env_dir)},
    )
    assert result.returncode == 0, result.stderr
    assert "0 models" in result.stdout
    result = run_cli(
        "eval", "--data", "seeds/gold.jsonl", "--model", "no-such-model", "--no-baselines"
    )
    assert result.returncode == 2
    assert "no model 'no-such-model'" in result.stderr


def test_cli_eval_cv_scores_the_named_type_and_needs_one(tmp_path):
    out = tmp_path / "cv.json"
    result = run_cli("eval", "--cv", "lodo", "-t", "rules", "--no-baselines", "--json", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["model_version"].startswith("rules") and report["n"] > 80
    nothing = run_cli("eval", "--cv", "lodo", "--no-baselines")
    assert nothing.returncode != 0 and "--model-type" in nothing.stderr
