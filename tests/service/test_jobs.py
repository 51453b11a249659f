from __future__ import annotations

import csv
import io
import json
import threading
import zipfile

import pytest

from models.predict import load_model
from models.tagging import tag_documents
from service.app import create_app
from service.jobs import JobStore
from tests.service.fakes import (
    FakePredictor,
    loader_for,
    make_settings,
    running,
    seed_texts,
    wait_for_job,
)


def _results(client, job_id: str, fmt: str = "jsonl") -> list:
    response = client.get(f"/jobs/{job_id}/results", params={"format": fmt})
    assert response.status_code == 200, response.text
    if fmt == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.text)))
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_job_from_a_json_list_equals_the_batch_engine(client, settings):
    texts = seed_texts()
    created = client.post("/jobs", json=texts)
    assert created.status_code == 202
    job = created.json()
    assert created.headers["Location"] == f"/jobs/{job['id']}"
    assert job["progress"] == {"total": 5, "done": 0, "failed": 0}
    finished = wait_for_job(client, job["id"])
    assert finished["status"] == "completed"
    assert finished["progress"] == {"total": 5, "done": 5, "failed": 0}
    assert finished["model_versions"][0].startswith("rules-")
    expected = tag_documents(texts, load_model("rules", settings))
    assert _results(client, job["id"]) == [d.model_dump(mode="json") for d in expected]


def test_job_object_form_keeps_ids_and_options(fake_client):
    body = {
        "documents": [{"id": "a", "text": "加强人才培养。\n二是建设算力。"}, "实施启明星计划。"],
        "segment": False,
        "include_metadata": False,
    }
    job = fake_client.post("/jobs", json=body).json()
    assert job["options"] == {"segment": False, "include_metadata": False}
    wait_for_job(fake_client, job["id"])
    lines = _results(fake_client, job["id"])
    assert [line["id"] for line in lines] == ["a", "doc-2"]
    assert [len(line["segments"]) for line in lines] == [1, 1]
    assert lines[0]["metadata"] is None


def test_job_one_bad_document_fails_alone(fake_client):
    texts = ["加强人才培养。", "BOOM 这一篇让模型出错。", "   ", "建设算力。"]
    job = wait_for_job(fake_client, fake_client.post("/jobs", json=texts).json()["id"])
    assert job["status"] == "completed"
    assert job["progress"] == {"total": 4, "done": 4, "failed": 2}
    errors = {e["index"]: e for e in job["errors"]}
    assert "BOOM" in errors[1]["error"]
    assert "empty" in errors[2]["error"]
    lines = _results(fake_client, job["id"])
    assert [("error" in line) for line in lines] == [False, True, True, False]
    assert lines[0]["labels"] == ["talent"]


def test_job_results_as_csv_have_a_row_per_segment(fake_client):
    texts = ["一是加强人才培养，实施启明星计划。", ""]
    job_id = fake_client.post("/jobs", json=texts).json()["id"]
    wait_for_job(fake_client, job_id)
    rows = _results(fake_client, job_id, "csv")
    assert rows[0]["document_id"] == "doc-1"
    assert rows[0]["labels"] == "talent"
    assert float(rows[0]["score_talent"]) == pytest.approx(0.9)
    assert json.loads(rows[0]["entities"])[0]["text"] == "启明星计划"
    assert rows[-1]["document_id"] == "doc-2"
    assert "empty" in rows[-1]["error"]


def test_job_from_a_jsonl_upload_fails_bad_lines_alone(fake_client):
    lines = [
        json.dumps({"id": "first", "text": "加强人才培养。", "labels": []}, ensure_ascii=False),
        "",
        "{not json",
        json.dumps("一条字符串。", ensure_ascii=False),
        json.dumps({"id": "no-text"}),
    ]
    data = "\n".join(lines).encode("utf-8") + b"\n\xff\xfe\xfd\n" + "建设算力。".encode("gb18030")
    response = fake_client.post(
        "/jobs",
        files={"file": ("docs.jsonl", data, "application/x-ndjson")},
        data={"segment": "false"},
    )
    assert response.status_code == 202, response.text
    job = wait_for_job(fake_client, response.json()["id"])
    assert job["options"]["segment"] is False
    assert job["progress"]["total"] == 6
    errors = {e["id"]: e["error"] for e in job["errors"]}
    assert "not valid JSON" in errors["line-3"]
    assert "expected" in errors["line-5"]
    assert "not UTF-8 or GB18030" in errors["line-6"]
    ids = [line["id"] for line in _results(fake_client, job["id"])]
    assert ids == ["first", "line-3", "line-4", "line-5", "line-6", "line-7"]


def test_job_from_a_zip_of_text_files(fake_client):
    data = _zip(
        {
            "replies/a.txt": "加强人才培养，实施启明星计划。".encode(),
            "replies/b.txt": "建设算力。".encode("gb18030"),
            "replies/bad.txt": b"\xff\xfe\xfd",
            "__MACOSX/replies/._a.txt": b"junk",
            "replies/readme.md": b"not a document",
        }
    )
    response = fake_client.post("/jobs", files={"file": ("replies.zip", data, "application/zip")})
    assert response.status_code == 202, response.text
    job = wait_for_job(fake_client, response.json()["id"])
    assert job["progress"] == {"total": 3, "done": 3, "failed": 1}
    assert job["errors"][0]["id"] == "replies/bad"
    lines = _results(fake_client, job["id"])
    assert [line["id"] for line in lines] == ["replies/a", "replies/b", "replies/bad"]
    assert lines[1]["segments"][0]["text"] == "建设算力。"


def test_job_from_one_text_file(fake_client):
    response = fake_client.post(
        "/jobs", files={"file": ("reply.txt", "加强人才培养。".encode(), "text/plain")}
    )
    job = wait_for_job(fake_client, response.json()["id"])
    assert _results(fake_client, job["id"])[0]["id"] == "reply"


def test_job_zip_bombs_are_refused_before_extraction(tmp_path):
    settings = make_settings(tmp_path, max_zip_members=3, max_unzipped_bytes=100_000)
    with running(create_app(settings, loader=loader_for(FakePredictor()))) as client:
        many = _zip({f"{i}.txt": b"a" for i in range(4)})
        response = client.post("/jobs", files={"file": ("many.zip", many)})
        assert response.status_code == 413
        assert "max_zip_members" in response.json()["detail"]
        bomb = _zip({"bomb.txt": b"0" * 1_000_000})
        assert len(bomb) < 10_000
        response = client.post("/jobs", files={"file": ("bomb.zip", bomb)})
        assert response.status_code == 413
        assert "max_unzipped_bytes" in response.json()["detail"]


def test_job_upload_over_the_size_limit_answers_413(tmp_path):
    settings = make_settings(tmp_path, max_upload_bytes=10_000)
    with running(create_app(settings, loader=loader_for(FakePredictor()))) as client:
        response = client.post("/jobs", files={"file": ("big.jsonl", b'"x"\n' * 5000)})
        assert response.status_code == 413
        assert "max_upload_bytes" in response.json()["detail"]


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"files": {"file": ("x.zip", b"PK\x03\x04 garbage")}}, 422, "not a valid zip"),
        ({"files": {"file": ("empty.zip", _zip({}))}}, 422, "no .txt files"),
        ({"files": {"file": ("empty.jsonl", b"\n\n")}}, 422, "no documents"),
        ({"files": {"other": ("a.jsonl", b'"x"')}}, 422, "field named 'file'"),
        ({"files": {"file": ("a.jsonl", b'"x"')}, "data": {"segment": "perhaps"}}, 422, "segment"),
        ({"json": []}, 422, "too_short"),
        ({"json": {"documents": [5]}}, 422, "documents"),
        ({"content": b"text", "headers": {"Content-Type": "text/plain"}}, 415, "multipart"),
        ({"content": b"{", "headers": {"Content-Type": "application/json"}}, 422, "not valid JSON"),
    ],
)
def test_job_bad_requests_are_refused(fake_client, kwargs, status, fragment):
    response = fake_client.post("/jobs", **kwargs)
    assert response.status_code == status, response.text
    assert fragment in json.dumps(response.json()["detail"])


def test_job_unknown_ids_answer_404(fake_client):
    assert fake_client.get("/jobs/nope").status_code == 404
    assert fake_client.get("/jobs/nope/results").status_code == 404
    assert "nope" in fake_client.get("/jobs/nope").json()["detail"]


def test_job_results_before_completion_answer_409(tmp_path):
    gate = threading.Event()
    app = create_app(make_settings(tmp_path), loader=loader_for(FakePredictor(gate=gate)))
    with running(app) as client:
        job_id = client.post("/jobs", json=["加强人才培养。"]).json()["id"]
        response = client.get(f"/jobs/{job_id}/results")
        assert response.status_code == 409
        assert "0/1 done" in response.json()["detail"]
        gate.set()
        assert wait_for_job(client, job_id)["status"] == "completed"


def test_jobs_list_shows_the_latest_first(fake_client):
    first = fake_client.post("/jobs", json=["a"]).json()["id"]
    second = fake_client.post("/jobs", json=["b"]).json()["id"]
    listed = [job["id"] for job in fake_client.get("/jobs").json()["jobs"]]
    assert listed[:2] == [second, first]


def test_job_results_survive_a_restart(tmp_path):
    settings = make_settings(tmp_path)
    with running(create_app(settings, loader=loader_for(FakePredictor()))) as client:
        job_id = client.post("/jobs", json=["加强人才培养。", "建设算力。"]).json()["id"]
        wait_for_job(client, job_id)
        before = _results(client, job_id)
    with running(create_app(settings, loader=loader_for(FakePredictor("fake-2")))) as client:
        job = client.get(f"/jobs/{job_id}").json()
        assert job["status"] == "completed"
        assert _results(client, job_id) == before
        (tmp_path / "data" / "jobs" / "results" / f"{job_id}.jsonl").unlink()
        assert _results(client, job_id) == before  # rewritten from the database


def test_jobs_of_a_crashed_server_resume_or_fail_with_a_reason(tmp_path):
    settings = make_settings(tmp_path)
    crashed = JobStore(settings.data_dir / "jobs")
    crashed.open()
    from service.jobs import DocumentInput, Outcome

    texts = ["加强人才培养。", "建设算力。", "实施启明星计划。"]
    documents = [DocumentInput(f"d{i}", text) for i, text in enumerate(texts)]
    job = crashed.create_classify_job(documents, {"segment": True, "include_metadata": True})
    assert crashed.claim_next().id == job.id
    crashed.record(job.id, [Outcome(0, '{"id": "d0", "done before the crash": true}', None)])
    training, _ = crashed.create_train_job({"model_type": "rules", "activate": True})
    crashed.lease.release()  # as if killed: the lease is free, the rows still say running

    with running(create_app(settings, loader=loader_for(FakePredictor()))) as client:
        resumed = wait_for_job(client, job.id)
        assert resumed["status"] == "completed"
        assert resumed["note"] == "resumed after a server restart"
        assert resumed["progress"] == {"total": 3, "done": 3, "failed": 0}
        lines = _results(client, job.id)
        assert lines[0] == {"id": "d0", "done before the crash": True}
        assert [line["id"] for line in lines[1:]] == ["d1", "d2"]
        failed = client.get(f"/jobs/{training.id}").json()
        assert failed["status"] == "failed"
        assert "interrupted" in failed["error"]
