"""The CLI as a user runs it: a real subprocess, its exit code and its output."""

from __future__ import annotations

import json
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
