"""``annotate pull``: export the project, validate every annotation, write the next round.

The export is Label Studio's full JSON (JSON_MIN flattens single choices into strings).
A task enters a round when it has at least one submitted annotation, all of its
annotations are valid, and its text is in no finished round yet. A task with any
invalid annotation is reported with its task id and left out; nothing is repaired.
So a second pull over the same project finds nothing new and writes nothing: the
round stays as it was.

With several annotations on one task, the gold is the one marked ground truth, else
the most recently updated; all of them go into the manifest for agreement figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from annotation.client import AnnotationClient
from annotation.convert import ParsedResult, parse_result
from annotation.label_config import build_label_config, config_digest
from annotation.project import require_project
from annotation.rounds import (
    POOL_SOURCE,
    AnnotationSummary,
    InvalidTask,
    PreAnnotation,
    RoundManifest,
    StandoffRecord,
    StandoffSpan,
    TaskReview,
    completed_rounds,
    next_round_number,
    round_index,
    write_round,
)
from models.errors import DataError
from models.examples import load_examples
from models.pool import PoolParagraph, read_pool, text_sha256
from models.schema import ENTITY_TYPES, MEASURE_LABELS, Example, Span
from policytag.settings import Settings

Progress = Callable[[str], None]


@dataclass
class PullResult:
    round: int | None
    round_file: Path | None
    manifest_file: Path | None
    records: int
    invalid: list[InvalidTask] = field(default_factory=list)
    already_in_rounds: int = 0
    unannotated: int = 0
    latest_round: int | None = None

    @property
    def changed(self) -> bool:
        return self.round_file is not None


def _standoff(spans: list[Span]) -> list[StandoffSpan]:
    return [StandoffSpan(start=s.start, end=s.end, label=s.label) for s in spans]


def _annotator(annotation: dict[str, Any]) -> int | str | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return who.get("id") or who.get("email")
    return who


def _chosen(annotations: list[dict[str, Any]]) -> dict[str, Any]:
    truth = [a for a in annotations if a.get("ground_truth")]
    candidates = truth or annotations
    return max(candidates, key=lambda a: (str(a.get("updated_at") or ""), int(a["id"])))


def _pre_annotation(predictions: list[dict[str, Any]], text: str) -> PreAnnotation | None:
    """The first prediction the task was imported with (what annotators saw)."""
    if not predictions:
        return None
    first = min(predictions, key=lambda p: (str(p.get("created_at") or ""), int(p.get("id") or 0)))
    parsed = parse_result(first.get("result") or [], text)
    return PreAnnotation(
        model_version=first.get("model_version"),
        score=first.get("score"),
        labels=parsed.labels,
        entities=_standoff(parsed.entities),
    )


def _task_problems(data: dict[str, Any], pool: Callable[[], dict[str, PoolParagraph]]) -> list[str]:
    """Problems with the task itself: edited text, missing or stale pool pointers."""
    text = data.get("text")
    if not isinstance(text, str) or not text:
        return ["task has no text"]
    problems = []
    if data.get("sha256") not in (None, text_sha256(text)):
        problems.append("task text was changed after import (sha256 differs)")
    if data.get("source") == POOL_SOURCE:
        pool_id, start, end = data.get("pool_id"), data.get("start"), data.get("end")
        if not isinstance(pool_id, str) or not isinstance(start, int) or not isinstance(end, int):
            return [*problems, "pool task lacks pool_id, start or end"]
        paragraph = pool().get(pool_id)
        if paragraph is None:
            problems.append(f"pool id {pool_id!r} is not in the pool")
        elif paragraph.text[start:end] != text:
            problems.append(f"pool paragraph {pool_id} [{start}, {end}) is not the task text")
    return problems


def _record(data: dict[str, Any], task_id: int, gold: ParsedResult) -> StandoffRecord | Example:
    text = data["text"]
    example = Example(
        id=str(data.get("segment_id") or f"task-{task_id}"),
        text=text,
        labels=gold.labels,
        entities=gold.entities,
        doc_id=data.get("doc_id"),
        start=data.get("start"),
        end=data.get("end"),
        source=data.get("source"),
    )
    if data.get("source") == POOL_SOURCE:
        return StandoffRecord.of(example, data["pool_id"])
    return example


def pull(
    client: AnnotationClient, settings: Settings, progress: Progress | None = None
) -> PullResult:
    say = progress or (lambda _: None)
    project = require_project(client, settings)
    exported = client.export(project["id"])
    say(f"exported {len(exported)} annotated task(s) from project {project['id']}")
    predictions = {t["id"]: t.get("predictions") or [] for t in client.tasks(project["id"])}
    done_hashes, done_ids = round_index(settings.rounds_dir)
    if settings.gold_file.is_file():
        done_ids |= {ex.id for ex in load_examples(settings.gold_file)}
    finished = completed_rounds(settings.rounds_dir)
    latest = finished[-1][0] if finished else None

    pool_cache: dict[str, PoolParagraph] = {}

    def pool() -> dict[str, PoolParagraph]:
        if not pool_cache:
            pool_cache.update(read_pool(settings.pool_file))
        return pool_cache

    records: list[StandoffRecord | Example] = []
    reviews: list[TaskReview] = []
    invalid: list[InvalidTask] = []
    already = unannotated = 0
    for task in sorted(exported, key=lambda t: int(t["id"])):
        task_id, data = int(task["id"]), task.get("data") or {}
        annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not annotations:
            unannotated += 1
            continue
        text = data.get("text")
        if isinstance(text, str) and text_sha256(text) in done_hashes:
            already += 1
            continue
        try:
            problems = _task_problems(data, pool)
        except DataError as exc:
            problems = [str(exc)]
        parsed = {}
        if not problems:
            for annotation in annotations:
                parsed[annotation["id"]] = result = parse_result(annotation.get("result"), text)
                problems += [f"annotation {annotation['id']}: {p}" for p in result.problems]
        record = None
        if not problems:
            chosen = _chosen(annotations)
            try:
                record = _record(data, task_id, parsed[chosen["id"]])
            except (ValidationError, ValueError) as exc:
                problems.append(f"not a valid record: {exc}")
            else:
                if record.id in done_ids:
                    problems.append(f"id {record.id!r} is already in the gold")
        if problems or record is None:
            invalid.append(
                InvalidTask(
                    task_id=task_id,
                    annotation_ids=[int(a["id"]) for a in annotations],
                    problems=problems,
                )
            )
            continue
        records.append(record)
        done_ids.add(record.id)
        reviews.append(
            TaskReview(
                task_id=task_id,
                id=record.id,
                chosen_annotation=int(chosen["id"]),
                prediction=_pre_annotation(predictions.get(task_id, []), text),
                annotations=[
                    AnnotationSummary(
                        annotation_id=int(a["id"]),
                        annotator=_annotator(a),
                        labels=parsed[a["id"]].labels,
                        entities=_standoff(parsed[a["id"]].entities),
                        lead_time=a.get("lead_time"),
                    )
                    for a in annotations
                ],
            )
        )
    result = PullResult(
        round=None,
        round_file=None,
        manifest_file=None,
        records=len(records),
        invalid=invalid,
        already_in_rounds=already,
        unannotated=unannotated,
        latest_round=latest,
    )
    if not records:
        return result
    number = next_round_number(settings.rounds_dir)
    manifest = _manifest(number, client.url, project, records, reviews, invalid)
    round_file, manifest_file = write_round(settings.rounds_dir, number, records, manifest)
    result.round, result.round_file, result.manifest_file = number, round_file, manifest_file
    result.latest_round = number
    return result


def _manifest(
    number: int,
    url: str,
    project: dict[str, Any],
    records: list[StandoffRecord | Example],
    reviews: list[TaskReview],
    invalid: list[InvalidTask],
) -> RoundManifest:
    annotators = sorted(
        {a.annotator for r in reviews for a in r.annotations if a.annotator is not None}, key=str
    )
    versions = sorted(
        {r.prediction.model_version for r in reviews if r.prediction and r.prediction.model_version}
    )
    labels = Counter(label for r in records for label in r.labels)
    entities = Counter(span.label for r in records for span in r.entities)
    return RoundManifest(
        round=number,
        file=f"round-{number:03d}.jsonl",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        label_studio_url=url,
        project_id=int(project["id"]),
        project_title=str(project.get("title", "")),
        label_config_sha256=config_digest(project.get("label_config") or build_label_config()),
        task_ids=[r.task_id for r in reviews],
        annotators=len(annotators),
        annotator_ids=annotators,
        model_versions=versions,
        counts={
            "records": len(records),
            "standoff": sum(isinstance(r, StandoffRecord) for r in records),
            "inline": sum(isinstance(r, Example) for r in records),
            "annotations": sum(len(r.annotations) for r in reviews),
            "invalid_tasks": len(invalid),
            "no_label": sum(not r.labels for r in records),
            "entities": sum(len(r.entities) for r in records),
            "multi_annotated": sum(len(r.annotations) > 1 for r in reviews),
        },
        label_counts={label: labels.get(label, 0) for label in MEASURE_LABELS},
        entity_counts={kind: entities.get(kind, 0) for kind in ENTITY_TYPES},
        invalid=invalid,
        tasks=reviews,
    )
