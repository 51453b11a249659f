"""``policytag tag`` as a user runs it: files of every type in, rows and a report out."""

from __future__ import annotations

import json

from models.outputs import read_results
from tests import reply_files
from tests.policytag.test_cli import run_cli


def test_tag_cli_folder_and_jsonl_to_jsonl_with_report(tmp_path):
    files = reply_files.write_all(tmp_path / "in")
    jsonl = tmp_path / "pool.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "doc_id": "d1", "text": text}, ensure_ascii=False) + "\n"
            for i, text in enumerate(["设立天使母基金，支持初创企业。", "加强数据安全监管。"])
        ),
        encoding="utf-8",
    )
    out, report = tmp_path / "out" / "results.jsonl", tmp_path / "out" / "report.html"

    result = run_cli(
        "tag",
        str(tmp_path / "in"),
        str(jsonl),
        "--out",
        str(out),
        "--report",
        str(report),
        "--model",
        "rules",
    )

    assert result.returncode == 0, result.stderr
    assert "files/s" in result.stderr and "segments/s" in result.stderr
    assert "tagged 6 of 11 documents" in result.stderr
    results = read_results(out)
    status = {d.source: (d.status, d.error) for d in results.documents}
    assert len(status) == 11
    for name in ("txt", "docx", "html", "pdf"):
        assert status[str(files[name])] == ("ok", None)
    assert status[f"{jsonl}:1"][0] == status[f"{jsonl}:2"][0] == "ok"
    for name, problem in [
        ("scanned", "no text layer"),
        ("encrypted", "encrypted with a password"),
        ("corrupt_docx", "not a valid .docx"),
        ("unknown", "unsupported file type '.xyz'"),
        ("empty", "file is empty"),
    ]:
        assert status[str(files[name])][0] == "error"
        assert problem in status[str(files[name])][1]
        assert f"could not read {files[name]}: " in result.stderr
    by_doc = {s.doc_id: s for s in results.segments}
    assert by_doc["reply"].metadata.agency  # metadata is on every segment row
    assert by_doc["p0"].labels == ["funding"] and by_doc["p0"].entities
    assert {s.source for s in results.segments} >= {str(files["docx"]), f"{jsonl}:1"}
    page = report.read_text(encoding="utf-8")
    assert 'id="drift"' in page and "could not be read" in page


def test_tag_cli_resume_skips_done_files_and_retries_failed_ones(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    reply_files.write_txt_gb18030(folder / "a.txt")
    reply_files.write_docx(folder / "b.docx")
    (folder / "c.txt").write_bytes(b"")
    out = tmp_path / "results.xlsx"

    first = run_cli("tag", str(folder), "--out", str(out), "--model", "rules")
    assert first.returncode == 0, first.stderr
    assert [d.status for d in read_results(out).documents] == ["ok", "ok", "error"]

    (folder / "c.txt").write_text("三、加强数据安全监管。\n", encoding="utf-8")
    reply_files.write_html(folder / "d.html")
    second = run_cli("tag", str(folder), "--out", str(out), "--model", "rules", "--resume")

    assert second.returncode == 0, second.stderr
    assert "skipped 2 documents already tagged" in second.stderr
    assert "tagged 2 of 2 documents" in second.stderr
    results = read_results(out)
    assert [(d.doc_id, d.status) for d in results.documents] == [
        ("a", "ok"),
        ("b", "ok"),
        ("c", "ok"),
        ("d", "ok"),
    ]
    segment_ids = [s.segment_id for s in results.segments]
    assert len(segment_ids) == len(set(segment_ids))


def test_tag_cli_stdout_and_usage_errors(tmp_path):
    reply = reply_files.write_txt_gb18030(tmp_path / "reply.txt")
    result = run_cli("tag", str(reply), "--model", "rules")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["segment_id"] for r in rows] == ["reply#s01", "reply#s02", "reply#s03"]

    for args, message in [
        (["--resume"], "--resume needs --out"),
        (["--out", str(tmp_path / "results.parquet")], "a .jsonl, .csv or .xlsx file"),
    ]:
        result = run_cli("tag", str(reply), "--model", "rules", *args)
        assert result.returncode == 2 and message in result.stderr
        assert "Traceback" not in result.stderr
    (tmp_path / "empty").mkdir()
    result = run_cli("tag", str(tmp_path / "empty"))
    assert result.returncode == 2 and f"no documents in {tmp_path / 'empty'}" in result.stderr
