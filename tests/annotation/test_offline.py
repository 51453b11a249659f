"""Offline annotation: export open tasks, submit lines as a named annotator."""

from __future__ import annotations

import json

from annotation.offline import export_open_tasks, submit_file
from annotation.project import setup_project
from annotation.push import build_task
from annotation.sources import Candidate
from models.schema import MEASURE_LABELS, Prediction
from tests.annotation.fakes import FakeLabelStudio, FakePredictor, make_settings


def _project_with_tasks(tmp_path):
    client = FakeLabelStudio()
    settings = make_settings(tmp_path)
    project_id = setup_project(client, settings).project_id
    texts = ["设立天使母基金，支持初创企业。", "建设智算中心，发放算力券。"]
    prediction = Prediction(
        labels=["funding"], scores=dict.fromkeys(MEASURE_LABELS, 0.6), entities=[]
    )
    tasks = []
    for i, text in enumerate(texts):
        candidate = Candidate(
            id=f"d#s{i}", doc_id="d", text=text, start=0, end=len(text), source="file"
        )
        tasks.append(build_task(candidate, prediction, FakePredictor()))
    client.import_tasks(project_id, tasks)
    return client, settings


def test_offline_export_then_submit_round_trip(tmp_path):
    client, settings = _project_with_tasks(tmp_path)
    out = tmp_path / "open.jsonl"
    assert export_open_tasks(client, settings, out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["labels"] == ["funding"] and lines[0]["text"].startswith("设立")
    lines[0]["entities"] = [{"start": 2, "end": 7, "label": "FUND", "text": "天使母基金"}]
    lines[1]["labels"] = ["compute", "funding"]
    lines.append(
        {
            "task_id": lines[1]["task_id"],
            "labels": [],
            "entities": [{"start": 0, "end": 2, "label": "FUND", "text": "不对"}],
        }
    )
    done = tmp_path / "done.jsonl"
    done.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    result = submit_file(client, settings, done, "alice")
    assert len(result.submitted) == 2
    [problem] = result.refused
    assert ":3:" in problem and "text there is" in problem
    exported = client.export(1)  # the only project
    assert {a["completed_by"] for t in exported for a in t["annotations"]} == {result.user_id}
    # Nothing is open any more for anyone, but a second annotator still sees both tasks.
    assert export_open_tasks(client, settings, out) == 0
    assert export_open_tasks(client, settings, out, annotator="bob") == 2
