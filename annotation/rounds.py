"""Annotation rounds on disk: the round JSONL, its manifest, and the loader.

``annotation/rounds/round-NNN.jsonl`` holds one record a segment, in one of two shapes:

* **stand-off** (segments of the pool, which we do not redistribute)::

    {"id": "p00012#s01", "pool_id": "p00012", "doc_id": "pool-d001", "start": 0,
     "end": 57, "sha256": "<sha256 of the segment text>", "labels": ["funding"],
     "entities": [{"start": 3, "end": 7, "label": "FUND"}], "source": "pool"}

  No text: :func:`load_round` cuts ``pool[pool_id].text[start:end]`` out of the pool
  (``Settings.pool_file``, read at run time), refuses the record when its SHA-256
  differs, and fills in the span texts.
* **inline** (users' own texts): the guidelines' Example line, text included.

``round-NNN.manifest.json`` (:class:`RoundManifest`) says where the round came from.
Both files are written atomically, the JSONL first: a JSONL without a manifest is an
interrupted pull, which the next pull rewrites under the same number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models import atomic
from models.errors import DataError
from models.pool import PoolParagraph, read_pool, text_sha256
from models.schema import EntityType, Example, MeasureLabel, Span

ROUND_FILE = re.compile(r"^round-(\d{3,})\.jsonl$")
POOL_SOURCE = "pool"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StandoffSpan(_Strict):
    """A span without its text: offsets into the segment, end exclusive."""

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    label: EntityType


class StandoffRecord(_Strict):
    """A labelled pool segment that points into the pool instead of copying its text."""

    id: str = Field(min_length=1)
    pool_id: str = Field(min_length=1)
    doc_id: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    labels: list[MeasureLabel] = Field(default_factory=list)
    entities: list[StandoffSpan] = Field(default_factory=list)
    source: str = POOL_SOURCE

    @classmethod
    def of(cls, example: Example, pool_id: str) -> StandoffRecord:
        """The stand-off form of a pool example (its start/end point into the paragraph)."""
        if example.start is None or example.end is None:
            raise ValueError(f"{example.id}: a pool example needs start and end")
        return cls(
            id=example.id,
            pool_id=pool_id,
            doc_id=example.document,
            start=example.start,
            end=example.end,
            sha256=text_sha256(example.text),
            labels=list(example.labels),
            entities=[
                StandoffSpan(start=s.start, end=s.end, label=s.label) for s in example.entities
            ],
        )

    def join(self, paragraph: PoolParagraph) -> Example:
        """The full example, or ``ValueError`` when the pool text is not what was labelled."""
        if self.end > len(paragraph.text) or self.start >= self.end:
            raise ValueError(
                f"offsets [{self.start}, {self.end}) do not fit pool paragraph {self.pool_id} "
                f"of length {len(paragraph.text)}"
            )
        text = paragraph.text[self.start : self.end]
        if text_sha256(text) != self.sha256:
            raise ValueError(
                f"text hash mismatch: pool paragraph {self.pool_id} [{self.start}, {self.end}) "
                "is not the text that was labelled (the pool changed)"
            )
        spans = []
        for span in self.entities:
            if span.end > len(text) or span.start >= span.end:
                raise ValueError(f"span [{span.start}, {span.end}) runs past the segment")
            spans.append(
                Span(
                    start=span.start,
                    end=span.end,
                    label=span.label,
                    text=text[span.start : span.end],
                )
            )
        return Example(
            id=self.id,
            text=text,
            labels=list(self.labels),
            entities=spans,
            doc_id=self.doc_id,
            start=self.start,
            end=self.end,
            source=self.source,
        )


def record_sha256(record: dict[str, Any]) -> str:
    """The segment-text hash of a round record of either shape."""
    if "sha256" in record:
        return str(record["sha256"])
    return text_sha256(str(record.get("text", "")))


def dump_record(record: StandoffRecord | Example) -> str:
    return record.model_dump_json(exclude_none=True) + "\n"


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" if item["loc"] else item["msg"]
        for item in error.errors()
    )


def load_round(path: Path, pool_file: Path | Callable[[], Path]) -> list[Example]:
    """Load one round file, joining stand-off records with the pool.

    ``pool_file`` may be a callable so the pool path is only resolved (and the pool
    only read) when the round has stand-off records. Every bad line is reported
    with file, line and id, and the whole file is refused, as ``load_examples`` does.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    pool: dict[str, PoolParagraph] | None = None
    examples: list[Example] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a JSON object")
            continue
        if "pool_id" not in raw:
            try:
                examples.append(Example.model_validate(raw))
            except ValidationError as exc:
                problems.append(f"{where}: id {raw.get('id')!r}: {_describe(exc)}")
                continue
        else:
            try:
                record = StandoffRecord.model_validate(raw)
            except ValidationError as exc:
                problems.append(f"{where}: id {raw.get('id')!r}: {_describe(exc)}")
                continue
            if pool is None:
                pool = read_pool(pool_file() if callable(pool_file) else pool_file)
            paragraph = pool.get(record.pool_id)
            if paragraph is None:
                problems.append(
                    f"{where}: id {record.id!r}: pool id {record.pool_id!r} is not in the pool"
                )
                continue
            try:
                examples.append(record.join(paragraph))
            except (ValueError, ValidationError) as exc:
                problems.append(f"{where}: id {record.id!r}: {exc}")
                continue
        current = examples[-1].id
        if current in seen:
            problems.append(f"{where}: duplicate id {current!r} (first on line {seen[current]})")
            examples.pop()
            continue
        seen[current] = number
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError(f"{len(problems)} invalid line(s) in {path}:\n{shown}{more}")
    return examples


# ---------------------------------------------------------------------------
# Manifests


class PreAnnotation(_Strict):
    """The prediction a task was imported with."""

    model_version: str | None = None
    score: float | None = None
    labels: list[MeasureLabel] = Field(default_factory=list)
    entities: list[StandoffSpan] = Field(default_factory=list)


class AnnotationSummary(_Strict):
    annotation_id: int
    annotator: int | str | None = None
    labels: list[MeasureLabel] = Field(default_factory=list)
    entities: list[StandoffSpan] = Field(default_factory=list)
    lead_time: float | None = None


class TaskReview(_Strict):
    """One task of the round: its pre-annotation and every annotator's answer."""

    task_id: int
    id: str
    chosen_annotation: int
    prediction: PreAnnotation | None = None
    annotations: list[AnnotationSummary]


class InvalidTask(_Strict):
    """A task left out of the round, with what is wrong in it."""

    task_id: int
    annotation_ids: list[int] = Field(default_factory=list)
    problems: list[str]


class RoundManifest(_Strict):
    round: int
    file: str
    created: str = Field(description="ISO 8601 UTC time of the pull.")
    label_studio_url: str
    project_id: int
    project_title: str
    label_config_sha256: str
    records_sha256: str = Field("", description="SHA-256 of the round JSONL's bytes.")
    task_ids: list[int]
    annotators: int = Field(description="How many distinct annotators worked on the round.")
    annotator_ids: list[int | str]
    model_versions: list[str] = Field(description="Models that made the pre-annotations.")
    counts: dict[str, int]
    label_counts: dict[str, int]
    entity_counts: dict[str, int]
    invalid: list[InvalidTask] = Field(default_factory=list)
    tasks: list[TaskReview] = Field(default_factory=list)


def round_number_path(rounds_dir: Path, number: int) -> Path:
    return Path(rounds_dir) / f"round-{number:03d}.jsonl"


def manifest_path(round_file: Path) -> Path:
    return round_file.with_name(round_file.name.removesuffix(".jsonl") + ".manifest.json")


def round_files(rounds_dir: Path) -> list[tuple[int, Path]]:
    """``(number, path)`` of every round JSONL, in round order."""
    rounds_dir = Path(rounds_dir)
    if not rounds_dir.is_dir():
        return []
    found = []
    for path in rounds_dir.iterdir():
        match = ROUND_FILE.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def read_manifest(round_file: Path) -> RoundManifest | None:
    path = manifest_path(round_file)
    if not path.is_file():
        return None
    try:
        return RoundManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise DataError(f"{path}: not a round manifest ({exc})") from exc


def completed_rounds(rounds_dir: Path) -> list[tuple[int, Path, RoundManifest]]:
    """Rounds whose manifest was written, i.e. whose pull finished."""
    done = []
    for number, path in round_files(rounds_dir):
        manifest = read_manifest(path)
        if manifest is not None:
            done.append((number, path, manifest))
    return done


def round_index(rounds_dir: Path) -> tuple[set[str], set[str]]:
    """Segment-text hashes and ids of every record in every finished round (no pool needed)."""
    hashes: set[str] = set()
    ids: set[str] = set()
    for _, path, _ in completed_rounds(rounds_dir):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                hashes.add(record_sha256(record))
                ids.add(str(record["id"]))
            except (ValueError, AttributeError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{number}: not a round record ({exc})") from exc
    return hashes, ids


def round_hashes(rounds_dir: Path) -> set[str]:
    return round_index(rounds_dir)[0]


def next_round_number(rounds_dir: Path) -> int:
    """The number for a new round: an interrupted one is redone, else one past the last."""
    files = round_files(rounds_dir)
    for number, path in files:
        if read_manifest(path) is None:
            return number
    return files[-1][0] + 1 if files else 1


def write_round(
    rounds_dir: Path, number: int, records: list[StandoffRecord | Example], manifest: RoundManifest
) -> tuple[Path, Path]:
    """Write the JSONL, then the manifest (with the JSONL's hash), each atomically."""
    path = round_number_path(rounds_dir, number)
    text = "".join(dump_record(r) for r in records)
    manifest = manifest.model_copy(update={"records_sha256": text_sha256(text)})
    atomic.write_text(path, text)
    target = manifest_path(path)
    atomic.write_text(target, manifest.model_dump_json(indent=2) + "\n")
    return path, target
