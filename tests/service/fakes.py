"""Small stand-ins: a predictor without weights, loaders, and helpers to drive an app."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from models.schema import MEASURE_LABELS, Prediction, Span
from policytag.settings import Settings

REPO = Path(__file__).resolve().parents[2]
API_KEY = "test-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
PROGRAMME = "启明星计划"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "seeds_dir": REPO / "seeds",
        "rounds_dir": tmp_path / "no-rounds",
        "pool_dir": tmp_path / "no-pool",
        "model": "rules",
        "api_key": API_KEY,
        "batch_wait_ms": 2.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class FakePredictor:
    """``talent`` when a text mentions 人才; the entity 启明星计划 wherever it occurs.

    ``fail_on`` makes any batch holding that marker raise, ``delay`` slows each call,
    and ``gate`` (an Event) holds each call until it is set.
    """

    name = "fake"

    def __init__(
        self,
        version: str = "fake-1",
        *,
        delay: float = 0.0,
        fail_on: str = "BOOM",
        gate: threading.Event | None = None,
    ) -> None:
        self.version = version
        self.delay = delay
        self.fail_on = fail_on
        self.gate = gate
        self.calls: list[int] = []

    def predict(self, texts: list[str]) -> list[Prediction]:
        self.calls.append(len(texts))
        if self.gate is not None:
            self.gate.wait(30)
        if self.delay:
            time.sleep(self.delay)
        if any(self.fail_on in text for text in texts):
            raise RuntimeError(f"cannot tag a text with {self.fail_on}")
        return [self._one(text) for text in texts]

    @staticmethod
    def _one(text: str) -> Prediction:
        talent = "人才" in text
        scores = {label: 0.1 for label in MEASURE_LABELS}
        scores["talent"] = 0.9 if talent else 0.1
        entities = []
        start = text.find(PROGRAMME)
        if start >= 0:
            entities.append(
                Span(
                    start=start,
                    end=start + len(PROGRAMME),
                    label="PROGRAM",
                    text=PROGRAMME,
                    score=0.8,
                )
            )
        return Prediction(labels=["talent"] if talent else [], scores=scores, entities=entities)


def loader_for(*predictors: FakePredictor):
    """A loader returning the given predictors in turn (the last one from then on)."""
    queue = list(predictors)

    def load(source: str, settings: Settings) -> FakePredictor:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return load


@contextmanager
def running(app, **client_options: Any) -> Iterator[TestClient]:
    """A client whose app has started and settled its first model load."""
    with TestClient(app, **client_options) as client:
        assert app.state.holder.settled.wait(30), "the model never loaded"
        yield client


def wait_for_job(client: TestClient, job_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


def seed_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted((REPO / "seeds").glob("*.txt"))]
