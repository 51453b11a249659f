"""Annotating outside the browser: export open tasks, submit labels through the API.

For bulk work (and for annotators who prefer an editor to the Label Studio UI), the
open tasks go out as JSONL with their pre-annotations, and finished lines come back
as annotations made through the API by a named annotator, exactly as if typed in
the UI. Every submitted line is validated here first (known labels, offsets in
range, span text equal to ``text[start:end]``): Label Studio would accept anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from annotation.client import AnnotationClient
from annotation.convert import labels_to_result, parse_result
from annotation.project import require_project
from models import atomic
from models.errors import DataError
from models.schema import MeasureLabel, Span, check_spans
from policytag.settings import Settings

ANNOTATOR_DOMAIN = "annotators.policytag.local"


class Submission(BaseModel):
    """One finished line: the task's id and the annotator's labels and spans."""

    model_config = ConfigDict(extra="ignore")

    task_id: int
    labels: list[MeasureLabel] = Field(default_factory=list)
    entities: list[Span] = Field(default_factory=list)


@dataclass
class SubmitResult:
    annotator: str
    user_id: int
    submitted: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def export_open_tasks(
    client: AnnotationClient, settings: Settings, out: Path, annotator: str | None = None
) -> int:
    """Write the tasks still to annotate (by ``annotator``, or by anyone) as JSONL."""
    project = require_project(client, settings)
    user_id = _user_id(client, annotator) if annotator else None
    done: dict[int, set] = {
        int(t["id"]): {a.get("completed_by") for a in t.get("annotations") or []}
        for t in client.export(project["id"])
    }
    lines = []
    for task in client.tasks(project["id"]):
        by = done.get(int(task["id"]), set())
        if (user_id in by) if user_id is not None else by:
            continue
        text = str(task["data"].get("text", ""))
        predictions = task.get("predictions") or []
        pre = parse_result(predictions[0].get("result") or [], text) if predictions else None
        lines.append(
            {
                "task_id": task["id"],
                "doc_id": task["data"].get("doc_id"),
                "title": task["data"].get("title"),
                "text": text,
                "labels": sorted(pre.labels) if pre else [],
                "entities": [s.model_dump(exclude_none=True) for s in pre.entities] if pre else [],
            }
        )
    atomic.write_text(out, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return len(lines)


def _user_id(client: AnnotationClient, annotator: str) -> int:
    email = annotator if "@" in annotator else f"{annotator}@{ANNOTATOR_DOMAIN}"
    return int(client.ensure_user(email)["id"])


def _parse(line: str, number: int, source: str, texts: dict[int, str]) -> Submission:
    try:
        submission = Submission.model_validate_json(line)
    except ValidationError as exc:
        raise DataError(f"{source}:{number}: {exc.errors()[0]['msg']}") from exc
    if submission.task_id not in texts:
        raise DataError(f"{source}:{number}: task {submission.task_id} is not in the project")
    try:
        check_spans(texts[submission.task_id], submission.entities)
    except ValueError as exc:
        raise DataError(f"{source}:{number}: task {submission.task_id}: {exc}") from exc
    return submission


def submit_file(
    client: AnnotationClient, settings: Settings, path: Path, annotator: str
) -> SubmitResult:
    """Create one annotation per valid line; invalid lines are refused, not repaired."""
    project = require_project(client, settings)
    texts = {int(t["id"]): str(t["data"].get("text", "")) for t in client.tasks(project["id"])}
    result = SubmitResult(annotator=annotator, user_id=_user_id(client, annotator))
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            submission = _parse(line, number, str(path), texts)
        except DataError as exc:
            result.refused.append(str(exc))
            continue
        payload: dict[str, Any] = {"completed_by": result.user_id, "project": project["id"]}
        client.create_annotation(
            submission.task_id, labels_to_result(submission.labels, submission.entities), **payload
        )
        result.submitted.append(submission.task_id)
    return result
