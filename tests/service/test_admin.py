from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from models.errors import ModelError
from service.app import create_app
from service.training import Trained
from tests.service.fakes import (
    AUTH,
    FakePredictor,
    loader_for,
    make_settings,
    running,
    wait_for_job,
)


def test_admin_routes_are_disabled_without_a_key(tmp_path):
    app = create_app(make_settings(tmp_path, api_key=None), loader=loader_for(FakePredictor()))
    with running(app) as client:
        for path in ("/admin/reload", "/admin/train"):
            response = client.post(path, headers=AUTH)
            assert response.status_code == 403
            assert "POLICYTAG_API_KEY" in response.json()["detail"]


def test_admin_routes_need_the_right_bearer_key(fake_client):
    missing = fake_client.post("/admin/reload")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = fake_client.post("/admin/reload", headers={"Authorization": "Bearer not-the-key"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "wrong API key"
    other_scheme = fake_client.post("/admin/reload", headers={"Authorization": "Basic abc"})
    assert other_scheme.status_code == 401
    non_ascii = fake_client.post("/admin/reload", headers={"Authorization": "Bearer ключ".encode()})
    assert non_ascii.status_code == 401


def test_admin_reload_swaps_the_model(tmp_path):
    app = create_app(
        make_settings(tmp_path), loader=loader_for(FakePredictor("v1"), FakePredictor("v2"))
    )
    with running(app) as client:
        assert client.post("/classify", json={"text": "人才"}).json()["model_version"] == "v1"
        response = client.post("/admin/reload", headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {
            "model": "fake",
            "model_version": "v2",
            "previous_version": "v1",
            "source": "rules",
        }
        assert client.post("/classify", json={"text": "人才"}).json()["model_version"] == "v2"
        assert 'policytag_model_info{name="fake",version="v2"} 1.0' in client.get("/metrics").text


def test_admin_reload_lets_requests_in_flight_finish_on_the_old_model(tmp_path):
    gate = threading.Event()
    old = FakePredictor("old", gate=gate)
    app = create_app(make_settings(tmp_path), loader=loader_for(old, FakePredictor("new")))
    with running(app) as client, ThreadPoolExecutor(2) as pool:
        in_flight = pool.submit(client.post, "/classify", json={"text": "加强人才培养。"})
        deadline = time.monotonic() + 10
        while not old.calls and time.monotonic() < deadline:
            time.sleep(0.005)
        assert client.post("/admin/reload", headers=AUTH).json()["model_version"] == "new"
        gate.set()
        assert in_flight.result(10).json()["model_version"] == "old"
        assert client.post("/classify", json={"text": "人才"}).json()["model_version"] == "new"


def test_admin_reload_failure_keeps_serving_the_old_model(tmp_path):
    calls = []

    def loader(source, settings):
        calls.append(source)
        if len(calls) > 1:
            raise ModelError("the new weights are corrupt")
        return FakePredictor("v1")

    with running(create_app(make_settings(tmp_path), loader=loader)) as client:
        response = client.post("/admin/reload", headers=AUTH)
        assert response.status_code == 503
        assert "corrupt" in response.json()["detail"]
        assert "still serving v1" in response.json()["detail"]
        assert client.post("/classify", json={"text": "人才"}).json()["model_version"] == "v1"
        assert "corrupt" in client.get("/model").json()["last_error"]
        assert client.get("/ready").json()["ready"] is True


def test_admin_train_runs_in_the_background_and_swaps_the_model(client):
    before = client.get("/model").json()
    response = client.post("/admin/train", headers=AUTH, json={"model_type": "rules"})
    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "train"
    assert job["id"] in [j["id"] for j in client.get("/jobs").json()["jobs"]]
    finished = wait_for_job(client, job["id"])
    assert finished["status"] == "completed"
    assert finished["summary"]["model_type"] == "rules"
    assert finished["summary"]["n_examples"] > 0
    assert finished["summary"]["version"] == before["version"]  # same gold, same rules
    model = client.get("/model").json()
    assert model["source"] == f"train:{job['id']}"
    results = client.get(f"/jobs/{job['id']}/results")
    assert results.status_code == 200
    assert '"model_type": "rules"' in results.text


def test_admin_train_one_at_a_time_and_failures_are_recorded(tmp_path):
    gate = threading.Event()

    def slow_trainer(settings, model_type):
        gate.wait(10)
        raise ModelError("no gold to learn from")

    app = create_app(
        make_settings(tmp_path), loader=loader_for(FakePredictor()), trainer=slow_trainer
    )
    with running(app) as client:
        first = client.post("/admin/train", headers=AUTH)
        assert first.status_code == 202
        second = client.post("/admin/train", headers=AUTH)
        assert second.status_code == 409
        assert first.json()["id"] in second.json()["detail"]
        gate.set()
        failed = wait_for_job(client, first.json()["id"])
        assert failed["status"] == "failed"
        assert failed["error"] == "no gold to learn from"
        assert client.get(f"/jobs/{failed['id']}/results").status_code == 409


def test_admin_train_without_activate_keeps_the_model(tmp_path):
    def trainer(settings, model_type):
        return Trained(FakePredictor("trained"), 3)

    app = create_app(
        make_settings(tmp_path), loader=loader_for(FakePredictor("served")), trainer=trainer
    )
    with running(app) as client:
        job = client.post("/admin/train", headers=AUTH, json={"activate": False}).json()
        assert wait_for_job(client, job["id"])["summary"]["version"] == "trained"
        assert client.get("/model").json()["version"] == "served"


def test_admin_train_refuses_unknown_types(fake_client):
    response = fake_client.post("/admin/train", headers=AUTH, json={"model_type": "gpt"})
    assert response.status_code == 422
