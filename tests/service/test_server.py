"""The real thing: ``policytag serve`` (uvicorn) in a subprocess, called over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from models.predict import load_model
from models.tagging import tag_documents
from tests.service.fakes import API_KEY, REPO, make_settings, seed_texts

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m policytag serve`` on a free loopback port, with its own data dir."""

    def __init__(self, tmp_path: Path, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"server-{self.port}.log"
        self.options = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYTAG_")}
        env.update(
            POLICYTAG_DATA_DIR=str(data_dir),
            POLICYTAG_SEEDS_DIR=str(REPO / "seeds"),
            POLICYTAG_ROUNDS_DIR=str(tmp_path / "no-rounds"),
            POLICYTAG_POOL_DIR=str(tmp_path / "no-pool"),
            POLICYTAG_MODEL="rules",
            POLICYTAG_API_KEY=API_KEY,
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "policytag", "serve", *self.options],
                cwd=tmp_path,
                env={**env, "PYTHONPATH": str(REPO)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server not ready in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("server")
    server = Server(tmp_path, tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


def _payloads() -> list[dict]:
    """Twenty distinct requests: whole replies, single paragraphs and mixed options."""
    texts = seed_texts()
    paragraphs = [p for text in texts for p in text.split("\n") if len(p.strip()) > 20]
    payloads: list[dict] = [{"text": text} for text in texts]
    payloads += [{"text": p, "segment": False} for p in paragraphs[:10]]
    payloads += [
        {"texts": paragraphs[i : i + 3], "include_metadata": False} for i in (10, 20, 30, 40, 50)
    ]
    return payloads


def _documents(response: httpx.Response) -> list:
    assert response.status_code == 200, response.text
    return response.json()["documents"]


def test_real_server_answers_over_http(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        health = http.get("/health").json()
        assert health["status"] == "UP"
        assert health["model_version"].startswith("rules-")
        response = http.post(
            "/classify", json={"text": seed_texts()[0]}, headers={"X-Request-ID": "over-http"}
        )
        assert response.headers["x-request-id"] == "over-http"
        assert len(_documents(response)[0]["segments"]) > 1
        assert http.post("/admin/reload").status_code == 401
        reload = http.post("/admin/reload", headers={"Authorization": f"Bearer {API_KEY}"})
        assert reload.status_code == 200
        assert "policytag_http_requests_total" in http.get("/metrics").text
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert any(
        line.get("request_id") == "over-http" and line.get("route") == "/classify" for line in lines
    )


def test_200_requests_from_20_clients_equal_the_sequential_results(server):
    payloads = _payloads()
    assert len(payloads) == 20
    with httpx.Client(base_url=server.url, timeout=60) as http:
        sequential = [_documents(http.post("/classify", json=p)) for p in payloads]
        before = http.get("/metrics").text

    def client(index: int) -> list[tuple[int, httpx.Response]]:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            picks = [(index * 10 + j) % len(payloads) for j in range(10)]
            return [(k, http.post("/classify", json=payloads[k])) for k in picks]

    started = time.perf_counter()
    with ThreadPoolExecutor(20) as pool:
        answers = [pair for batch in pool.map(client, range(20)) for pair in batch]
    elapsed = time.perf_counter() - started
    assert len(answers) == 200
    failures = [r.status_code for _, r in answers if r.status_code != 200]
    assert failures == []
    for k, response in answers:
        assert _documents(response) == sequential[k]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        after = http.get("/metrics").text
    batches = _metric(after, "policytag_batch_texts_count") - _metric(
        before, "policytag_batch_texts_count"
    )
    print(
        f"\n200 requests from 20 clients in {elapsed:.2f} s ({200 / elapsed:.0f} req/s), {batches:.0f} model calls"
    )
    assert batches < 200  # concurrent requests shared model calls


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def test_jobs_survive_a_restart_and_resume_after_a_crash(tmp_path):
    data_dir = tmp_path / "data"
    texts = seed_texts()
    many = [texts[i % len(texts)] for i in range(100)]
    first = Server(tmp_path, data_dir)
    try:
        with httpx.Client(base_url=first.url, timeout=30) as http:
            small = http.post("/jobs", json=texts[:2]).json()["id"]
            _wait(http, small)
            small_results = http.get(f"/jobs/{small}/results").text
            big = http.post("/jobs", json=many).json()["id"]
            deadline = time.monotonic() + 60
            while http.get(f"/jobs/{big}").json()["progress"]["done"] < 16:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            done_before_crash = http.get(f"/jobs/{big}").json()["progress"]["done"]
            print(f"\nkilled the server with {done_before_crash}/100 documents done")
    finally:
        first.stop(kill=True)  # kill -9: no clean shutdown, the job row still says running

    second = Server(tmp_path, data_dir)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as http:
            assert http.get(f"/jobs/{small}/results").text == small_results
            job = _wait(http, big)
            assert job["status"] == "completed"
            assert job["progress"] == {"total": 100, "done": 100, "failed": 0}
            assert done_before_crash < 100, "the job finished before the crash; nothing resumed"
            assert job["note"] == "resumed after a server restart"
            lines = [
                json.loads(line) for line in http.get(f"/jobs/{big}/results").text.splitlines()
            ]
    finally:
        second.stop()
    assert [line["id"] for line in lines] == [f"doc-{i + 1}" for i in range(100)]
    rules = load_model("rules", make_settings(tmp_path))
    expected = tag_documents(many[:10], rules)
    assert lines[:10] == [d.model_dump(mode="json") for d in expected]
    for i, line in enumerate(lines):
        twin = lines[i % len(texts)]
        assert [s["labels"] for s in line["segments"]] == [s["labels"] for s in twin["segments"]]


def _wait(http: httpx.Client, job_id: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")
