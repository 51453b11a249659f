from __future__ import annotations

import json
import logging
import threading

from fastapi.testclient import TestClient

from models.schema import ENTITY_TYPES, MEASURE_LABELS
from service.app import create_app
from service.observability import JsonFormatter
from tests.service.fakes import FakePredictor, make_settings, running


def test_health_ready_and_labels(fake_client):
    assert fake_client.get("/health").json() == {
        "status": "UP",
        "model_state": "ready",
        "model_version": "fake-1",
    }
    ready = fake_client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    labels = fake_client.get("/labels").json()
    assert [m["name"] for m in labels["measures"]] == list(MEASURE_LABELS)
    assert [e["name"] for e in labels["entities"]] == list(ENTITY_TYPES)
    assert labels["measures"][0]["zh"] == "人才"


def test_ready_is_false_until_the_model_is_loaded(tmp_path):
    release = threading.Event()

    def slow_loader(source, settings):
        release.wait(10)
        return FakePredictor()

    app = create_app(make_settings(tmp_path), loader=slow_loader)
    with TestClient(app) as client:  # not ``running``: that waits for the model
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {"ready": False, "model_state": "loading", "reason": None}
        assert client.get("/health").json()["model_state"] == "loading"
        response = client.post("/classify", json={"text": "人才"})
        assert response.status_code == 503
        assert "loading" in response.json()["detail"]
        release.set()
        assert app.state.holder.settled.wait(10)
        assert client.get("/ready").json()["ready"] is True


def test_model_shows_the_manifest_of_a_model_dir(tmp_path):
    model_dir = tmp_path / "model-v3"
    model_dir.mkdir()
    manifest = {"type": "fake", "version": "v3", "eval": {"micro_f1": 0.71, "entity_f1": 0.6}}
    (model_dir / "policytag.json").write_text(json.dumps(manifest), encoding="utf-8")
    settings = make_settings(tmp_path, model=str(model_dir))
    app = create_app(settings, loader=lambda source, s: FakePredictor("v3"))
    with running(app) as client:
        model = client.get("/model").json()
        assert (model["name"], model["version"], model["source"]) == ("fake", "v3", str(model_dir))
        assert model["manifest"]["eval"]["micro_f1"] == 0.71
        assert model["last_error"] is None


def test_model_of_the_rules_baseline(client):
    model = client.get("/model").json()
    assert model["name"] == "rules"
    assert model["version"].startswith("rules-")
    assert model["source"] == "rules"


def test_metrics_count_requests_batches_labels_and_the_model(fake_client):
    fake_client.post("/classify", json={"texts": ["加强人才培养。", "建设算力。"]})
    fake_client.get("/jobs/unknown")
    text = fake_client.get("/metrics").text
    assert 'policytag_http_requests_total{method="POST",route="/classify",status="200"} 1.0' in text
    assert 'route="/jobs/{job_id}",status="404"' in text
    assert 'policytag_http_request_duration_seconds_bucket{le="0.005",method="POST"' in text
    assert "policytag_batch_texts_count 1.0" in text
    assert "policytag_batch_texts_sum 2.0" in text
    assert 'policytag_predicted_labels_total{label="talent"} 1.0' in text
    assert 'policytag_model_info{name="fake",version="fake-1"} 1.0' in text


def test_request_ids_are_echoed_or_made(fake_client):
    given = fake_client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = fake_client.get("/health")
    assert len(made.headers["X-Request-ID"]) == 32
    unsafe = fake_client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["X-Request-ID"] != "bad id\twith spaces"


def test_logs_are_json_lines_with_the_request_id(fake_client, caplog):
    with caplog.at_level(logging.INFO, logger="policytag.service.access"):
        fake_client.get("/labels", headers={"X-Request-ID": "log-me"})
    (record,) = [r for r in caplog.records if r.name == "policytag.service.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "log-me"
    assert line["route"] == "/labels"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0


def test_openapi_and_docs(fake_client):
    spec = fake_client.get("/openapi.json").json()
    for path in ("/classify", "/jobs", "/jobs/{job_id}/results", "/admin/reload", "/predict"):
        assert path in spec["paths"]
    assert "JobCreate" in spec["components"]["schemas"]
    assert fake_client.get("/docs").status_code == 200
