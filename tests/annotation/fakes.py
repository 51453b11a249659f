"""In-memory stand-ins for Label Studio and a model, shaped like the real ones."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from annotation.client import LabelStudioUnavailable
from annotation.sources import Candidate
from models.schema import MEASURE_LABELS, Prediction, Span
from policytag.settings import Settings

POOL_DIR = Path(__file__).resolve().parent / "data" / "pool"
REPO = Path(__file__).resolve().parents[2]


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "pool_dir": POOL_DIR,
        "seeds_dir": REPO / "seeds",
        "rounds_dir": tmp_path / "rounds",
        "label_studio_url": "http://127.0.0.1:9",
        "label_studio_project": "test-project",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class FakeLabelStudio:
    """Projects, tasks, predictions and annotations as Label Studio's API returns them."""

    def __init__(self, url: str = "http://fake-ls") -> None:
        self.url = url
        self.up = True
        self._projects: dict[int, dict[str, Any]] = {}
        self._tasks: dict[int, dict[str, Any]] = {}
        self._backends: list[dict[str, Any]] = []
        self._next = {"project": 1, "task": 1, "annotation": 1, "prediction": 1}
        self.calls: list[str] = []

    def _id(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind] - 1

    def check(self) -> None:
        if not self.up:
            raise LabelStudioUnavailable(f"Label Studio is not reachable at {self.url}; start it")

    def projects(self) -> list[dict[str, Any]]:
        self.calls.append("projects")
        return [dict(p) for p in self._projects.values()]

    def create_project(self, title: str, label_config: str, description: str) -> dict[str, Any]:
        self.calls.append("create_project")
        project = {
            "id": self._id("project"),
            "title": title,
            "label_config": label_config,
            "description": description,
        }
        self._projects[project["id"]] = project
        return dict(project)

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        self.calls.append("update_project")
        self._projects[project_id].update(fields)
        return dict(self._projects[project_id])

    def tasks(self, project_id: int) -> list[dict[str, Any]]:
        return [
            {"id": t["id"], "data": t["data"], "predictions": t["predictions"]}
            for t in self._tasks.values()
            if t["project"] == project_id
        ]

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> int:
        for task in tasks:
            task_id = self._id("task")
            predictions = [
                {
                    **p,
                    "id": self._id("prediction"),
                    "created_at": f"2025-01-01T00:00:{task_id:02d}Z",
                }
                for p in task.get("predictions", [])
            ]
            self._tasks[task_id] = {
                "id": task_id,
                "project": project_id,
                "data": dict(task["data"]),
                "predictions": predictions,
                "annotations": [],
            }
        return len(tasks)

    def export(self, project_id: int) -> list[dict[str, Any]]:
        return [
            {
                "id": t["id"],
                "data": t["data"],
                "annotations": [dict(a) for a in t["annotations"]],
                "predictions": [p["id"] for p in t["predictions"]],
            }
            for t in self._tasks.values()
            if t["project"] == project_id and t["annotations"]
        ]

    def create_annotation(
        self, task_id: int, result: list[dict[str, Any]], **fields: Any
    ) -> dict[str, Any]:
        annotation_id = self._id("annotation")
        annotation = {
            "id": annotation_id,
            "completed_by": fields.get("completed_by", 1),
            "result": result,
            "was_cancelled": fields.get("was_cancelled", False),
            "ground_truth": fields.get("ground_truth", False),
            "lead_time": fields.get("lead_time", 1.0),
            "created_at": f"2025-01-02T00:00:{annotation_id:02d}Z",
            "updated_at": f"2025-01-02T00:00:{annotation_id:02d}Z",
        }
        self._tasks[task_id]["annotations"].append(annotation)
        return dict(annotation)

    def ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        return [b for b in self._backends if b["project"] == project_id]

    def ensure_user(self, email: str) -> dict[str, Any]:
        users = self.__dict__.setdefault("users", {})
        return users.setdefault(email, {"id": 100 + len(users), "email": email})

    def connect_ml_backend(self, project_id: int, url: str, title: str) -> dict[str, Any]:
        backend = {"id": len(self._backends) + 1, "project": project_id, "url": url, "title": title}
        self._backends.append(backend)
        return backend


class FakePredictor:
    """Deterministic scores from a hash of the text; names found by a fixed list."""

    name = "fake"

    def __init__(self, version: str = "fake-1", names: tuple[str, ...] = ("大模型",)) -> None:
        self.version = version
        self.names = names
        self.thresholds = dict.fromkeys(MEASURE_LABELS, 0.4)

    def predict(self, texts: list[str]) -> list[Prediction]:
        predictions = []
        for text in texts:
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            scores = {label: digest[i] / 255 for i, label in enumerate(MEASURE_LABELS)}
            labels = [label for label in MEASURE_LABELS if scores[label] >= self.thresholds[label]]
            spans = []
            for name in self.names:
                start = text.find(name)
                if start >= 0:
                    spans.append(
                        Span(
                            start=start,
                            end=start + len(name),
                            label="PROGRAM",
                            text=name,
                            score=0.6,
                        )
                    )
            predictions.append(Prediction(labels=labels, scores=scores, entities=spans))
        return predictions


def candidate(text: str, pool_id: str | None = None, **fields: Any) -> Candidate:
    values: dict[str, Any] = {
        "id": f"{pool_id or 'doc'}#s01",
        "doc_id": "pool-d001" if pool_id else "doc",
        "text": text,
        "start": 0,
        "end": len(text),
        "source": "pool" if pool_id else "file:doc.txt",
        "pool_id": pool_id,
    }
    values.update(fields)
    return Candidate(**values)
