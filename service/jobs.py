"""Batch jobs: a SQLite store (stdlib) and a runner thread per server process.

Durability
    A job and every one of its documents (input text, then result or error) are
    rows in ``<data_dir>/jobs/jobs.sqlite3``; progress is committed chunk by chunk.
    When a job finishes, its results are written to ``results/<id>.jsonl`` through a
    temp file and a rename, then the row is marked completed, so a finished job's
    results survive any restart.

Ownership
    Each server process holds an exclusive ``flock`` on its own lease file for as long
    as it lives; a running job names its owner's lease. A lease nobody holds means
    its process is gone (even after ``kill -9``), and any process may then recover
    that process's jobs: a classify job goes back to the queue and resumes with the
    documents it had not finished; a training job is marked failed with the reason.
    A clean shutdown hands its running classify job back to the queue itself.
    Several workers (``--workers``) share one store; claiming a job is one
    transaction, so each job runs once.

One bad document fails alone: a chunk that raises is retried document by document,
and documents that cannot be read or are empty fail at intake with their reason.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import logging
import os
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.schema import MEASURE_LABELS, TaggedDocument
from models.tagging import tag_documents
from service.errors import Conflict, NotFound
from service.model_holder import LoadedModel, ModelHolder
from service.schemas import DocumentError, JobProgress, JobPublic

log = logging.getLogger("policytag.service.jobs")

DB_FILE = "jobs.sqlite3"
MAX_REPORTED_ERRORS = 1000
INTERRUPTED_TRAINING = "interrupted: the server stopped while this job was training; start it again"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    error TEXT,
    note TEXT,
    model_versions TEXT NOT NULL DEFAULT '[]',
    summary TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE TABLE IF NOT EXISTS documents (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    text TEXT,
    status TEXT NOT NULL,
    error TEXT,
    result TEXT,
    PRIMARY KEY (job_id, idx)
);
"""


@dataclass(frozen=True)
class DocumentInput:
    """A document for a job; ``error`` set means it failed at intake and is not tagged."""

    id: str
    text: str | None
    error: str | None = None


@dataclass(frozen=True)
class PendingDocument:
    index: int
    id: str
    text: str


@dataclass(frozen=True)
class Outcome:
    index: int
    result: str | None  # TaggedDocument JSON
    error: str | None


@dataclass(frozen=True)
class JobRecord:
    id: str
    kind: str
    status: str
    options: dict[str, Any]
    created_at: float
    started_at: float | None
    finished_at: float | None
    total: int
    done: int
    failed: int
    owner: str | None
    error: str | None
    note: str | None
    model_versions: list[str]
    summary: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JobRecord:
        values = dict(row)
        values["options"] = json.loads(values["options"])
        values["model_versions"] = json.loads(values["model_versions"])
        values["summary"] = json.loads(values["summary"]) if values["summary"] else None
        return cls(**values)

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")


class ProcessLease:
    """Proof that a process is alive: it holds ``flock`` on ``<token>.lock`` until exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._sweep()
        self.token = uuid.uuid4().hex
        self._path = directory / f"{self.token}.lock"
        # Locked under a temp name first, so no lease file is ever seen unlocked.
        pending = directory / f"{self.token}.pending"
        self._fd: int | None = os.open(pending, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(pending, self._path)

    def _sweep(self) -> None:
        """Remove the leases of processes that died owning no running job."""
        for path in self.directory.glob("*.lock"):
            self._held(path)

    def alive(self, token: str) -> bool:
        """Whether the process holding lease ``token`` is still running."""
        if token == self.token:
            return self._fd is not None
        return self._held(self.directory / f"{token}.lock")

    @staticmethod
    def _held(path: Path) -> bool:
        """Whether a live process holds ``path``; a lease nobody holds is removed."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        path.unlink(missing_ok=True)
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._path.unlink(missing_ok=True)


class JobStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.db_path = self.directory / DB_FILE
        self.results_dir = self.directory / "results"
        self.lease: ProcessLease | None = None

    # ------------------------------------------------------------------ plumbing

    def open(self) -> None:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        self.lease = ProcessLease(self.directory / "leases")

    def close(self) -> None:
        if self.lease is not None:
            self.lease.release()
            self.lease = None

    @property
    def owner(self) -> str:
        if self.lease is None:
            raise RuntimeError("the job store is not open")
        return self.lease.token

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ------------------------------------------------------------------ create / read

    def create_classify_job(
        self, documents: list[DocumentInput], options: dict[str, Any]
    ) -> JobRecord:
        job_id = uuid.uuid4().hex
        failed = sum(doc.error is not None for doc in documents)
        rows = [
            (
                job_id,
                i,
                doc.id,
                doc.text if doc.error is None else None,
                "pending" if doc.error is None else "failed",
                doc.error,
            )
            for i, doc in enumerate(documents)
        ]
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, status, options, created_at, total, done, failed)"
                " VALUES (?, 'classify', 'queued', ?, ?, ?, ?, ?)",
                (job_id, json.dumps(options), time.time(), len(documents), failed, failed),
            )
            db.executemany(
                "INSERT INTO documents (job_id, idx, doc_id, text, status, error)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return self.get(job_id)

    def create_train_job(self, options: dict[str, Any]) -> tuple[JobRecord, bool]:
        """A running training job owned by this process, or the one already running.

        Returns the job and whether it is new: one training at a time.
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE kind = 'train' AND status IN ('queued', 'running')"
                " ORDER BY created_at LIMIT 1"
            ).fetchone()
            if row is None:
                job_id = uuid.uuid4().hex
                now = time.time()
                db.execute(
                    "INSERT INTO jobs (id, kind, status, options, created_at, started_at, total,"
                    " owner) VALUES (?, 'train', 'running', ?, ?, ?, 1, ?)",
                    (job_id, json.dumps(options), now, now, self.owner),
                )
        if row is not None:
            return self.get(row["id"]), False
        return self.get(job_id), True

    def get(self, job_id: str) -> JobRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job {job_id!r}")
        return JobRecord.from_row(row)

    def list_jobs(self, limit: int = 100) -> list[JobRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [JobRecord.from_row(row) for row in rows]

    def document_errors(self, job_id: str, limit: int = MAX_REPORTED_ERRORS) -> list[dict]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT idx, doc_id, error FROM documents WHERE job_id = ? AND status = 'failed'"
                " ORDER BY idx LIMIT ?",
                (job_id, limit),
            ).fetchall()
        return [{"index": r["idx"], "id": r["doc_id"], "error": r["error"]} for r in rows]

    # ------------------------------------------------------------------ running

    def claim_next(self) -> JobRecord | None:
        """Take the oldest queued classify job for this process, atomically."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status = 'queued' AND kind = 'classify'"
                " ORDER BY created_at LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', owner = ?,"
                " started_at = COALESCE(started_at, ?) WHERE id = ?",
                (self.owner, time.time(), row["id"]),
            )
        return self.get(row["id"])

    def pending(self, job_id: str, limit: int) -> list[PendingDocument]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT idx, doc_id, text FROM documents WHERE job_id = ? AND status = 'pending'"
                " ORDER BY idx LIMIT ?",
                (job_id, limit),
            ).fetchall()
        return [PendingDocument(r["idx"], r["doc_id"], r["text"]) for r in rows]

    def record(self, job_id: str, outcomes: list[Outcome]) -> None:
        """Store a chunk's results and advance the progress in one transaction."""
        failed = sum(o.error is not None for o in outcomes)
        with self._transaction() as db:
            db.executemany(
                "UPDATE documents SET status = ?, result = ?, error = ?"
                " WHERE job_id = ? AND idx = ? AND status = 'pending'",
                [
                    ("failed" if o.error else "done", o.result, o.error, job_id, o.index)
                    for o in outcomes
                ],
            )
            db.execute(
                "UPDATE jobs SET done = done + ?, failed = failed + ? WHERE id = ?",
                (len(outcomes), failed, job_id),
            )

    def add_model_version(self, job_id: str, version: str) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT model_versions FROM jobs WHERE id = ?", (job_id,)).fetchone()
            versions = json.loads(row["model_versions"])
            if version not in versions:
                versions.append(version)
                db.execute(
                    "UPDATE jobs SET model_versions = ? WHERE id = ?",
                    (json.dumps(versions), job_id),
                )

    def complete(self, job_id: str, summary: dict[str, Any] | None = None) -> None:
        """Write the results file atomically, then mark the job completed."""
        self.write_results(job_id, summary)
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = 'completed', finished_at = ?, owner = NULL,"
                " summary = ?, done = CASE WHEN kind = 'train' THEN total ELSE done END"
                " WHERE id = ? AND status = 'running'",
                (time.time(), json.dumps(summary) if summary is not None else None, job_id),
            )

    def fail(self, job_id: str, reason: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, owner = NULL"
                " WHERE id = ? AND status IN ('queued', 'running')",
                (reason, time.time(), job_id),
            )

    def recover(self) -> list[str]:
        """Take over the running jobs of processes that are gone; returns their ids."""
        assert self.lease is not None
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, kind, owner FROM jobs WHERE status = 'running'"
            ).fetchall()
        dead = {r["owner"] for r in rows if r["owner"] and not self.lease.alive(r["owner"])}
        recovered = []
        for row in rows:
            if row["owner"] not in dead:
                continue
            if row["kind"] == "train":
                self._reset(row["id"], row["owner"], "failed", INTERRUPTED_TRAINING)
            else:
                self._reset(row["id"], row["owner"], "queued", None)
            recovered.append(row["id"])
        return recovered

    def requeue_own(self) -> None:
        """On a clean shutdown: our classify jobs back to the queue, training failed."""
        if self.lease is None:
            return
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, kind FROM jobs WHERE status = 'running' AND owner = ?", (self.owner,)
            ).fetchall()
        for row in rows:
            if row["kind"] == "train":
                self._reset(row["id"], self.owner, "failed", INTERRUPTED_TRAINING)
            else:
                self._reset(row["id"], self.owner, "queued", None)

    def _reset(self, job_id: str, owner: str, status: str, error: str | None) -> None:
        note = "resumed after a server restart" if status == "queued" else None
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = ?, error = ?, owner = NULL, note = COALESCE(?, note),"
                " finished_at = CASE WHEN ? = 'failed' THEN ? END"
                " WHERE id = ? AND status = 'running' AND owner = ?",
                (status, error, note, status, time.time(), job_id, owner),
            )
        log.warning("job %s of a stopped server: now %s", job_id, status)

    # ------------------------------------------------------------------ results

    def results_path(self, job_id: str) -> Path:
        return self.results_dir / f"{job_id}.jsonl"

    def write_results(self, job_id: str, summary: dict[str, Any] | None = None) -> Path:
        """Results JSONL in input order, via a temp file and a rename."""
        path = self.results_path(job_id)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=self.results_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                if summary is not None:
                    out.write(json.dumps(summary, ensure_ascii=False) + "\n")
                for line in self._result_lines(job_id):
                    out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _result_lines(self, job_id: str) -> Iterator[str]:
        with self._connect() as db:
            cursor = db.execute(
                "SELECT doc_id, status, error, result FROM documents WHERE job_id = ? ORDER BY idx",
                (job_id,),
            )
            for row in cursor:
                if row["status"] == "done":
                    yield row["result"]
                else:
                    yield json.dumps(
                        {"id": row["doc_id"], "error": row["error"] or row["status"]},
                        ensure_ascii=False,
                    )

    def result_lines(self, job_id: str) -> Iterator[str]:
        """The finished job's results file, line by line (rewritten if it went missing)."""
        job = self.get(job_id)
        if job.status != "completed":
            state = f"{job.status} ({job.done}/{job.total} done)"
            if job.status == "failed":
                state = f"failed: {job.error}"
            raise Conflict(f"job {job_id} has no results: it is {state}")
        path = self.results_path(job_id)
        if not path.is_file():
            log.warning("results of job %s were missing; rewriting them", job_id)
            self.write_results(job_id, job.summary)
        return _lines(path)


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        yield from handle


CSV_COLUMNS = [
    "document_id",
    "segment_id",
    "start",
    "end",
    "labels",
    *(f"score_{label}" for label in MEASURE_LABELS),
    "entities",
    "text",
    "error",
]


def jsonl_to_csv(lines: Iterator[str]) -> Iterator[str]:
    """One CSV row per segment (a failed document: one row with its error)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for line in lines:
        record = json.loads(line)
        if "error" in record:
            writer.writerow([record.get("id", ""), *[""] * (len(CSV_COLUMNS) - 2), record["error"]])
        elif "segments" in record:
            document = TaggedDocument.model_validate(record)
            for seg in document.segments:
                entities = [e.model_dump() for e in seg.entities]
                writer.writerow(
                    [
                        document.id,
                        seg.id,
                        seg.start,
                        seg.end,
                        ";".join(seg.labels),
                        *(f"{seg.scores.get(label, 0.0):.4f}" for label in MEASURE_LABELS),
                        json.dumps(entities, ensure_ascii=False),
                        seg.text,
                        "",
                    ]
                )
        yield flush()


# ---------------------------------------------------------------------- the runner

Tagger = Callable[..., list[TaggedDocument]]


class JobRunner:
    """One thread per process: claims queued classify jobs and tags them in chunks."""

    def __init__(
        self,
        store: JobStore,
        holder: ModelHolder,
        *,
        chunk_size: int = 16,
        poll_s: float = 1.0,
        tagger: Tagger = tag_documents,
    ) -> None:
        self.store = store
        self.holder = holder
        self.chunk_size = chunk_size
        self.poll_s = poll_s
        self.tagger = tagger
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="policytag-jobs", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = None
            try:
                self.store.recover()
                model = self.holder.current
                job = self.store.claim_next() if model is not None else None
                if job is not None and model is not None:
                    self._run(job, model)
                    continue
            except Exception as exc:  # the runner must outlive a bug in one job
                log.exception("job runner error")
                if job is not None:
                    self.store.fail(job.id, f"internal error: {type(exc).__name__}: {exc}")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _run(self, job: JobRecord, model: LoadedModel) -> None:
        """Tag the job's pending documents with ``model`` (taken once for the whole run)."""
        log.info("running job %s (%d/%d done)", job.id, job.done, job.total)
        self.store.add_model_version(job.id, model.version)
        while not self._stop.is_set():
            pending = self.store.pending(job.id, self.chunk_size)
            if not pending:
                self.store.complete(job.id)
                log.info("job %s completed", job.id)
                return
            self.store.record(job.id, self._tag_chunk(job, model, pending))

    def _tag_chunk(
        self, job: JobRecord, model: LoadedModel, pending: list[PendingDocument]
    ) -> list[Outcome]:
        options = {
            "split": job.options.get("segment", True),
            "include_metadata": job.options.get("include_metadata", True),
        }
        try:
            documents = self.tagger(
                [d.text for d in pending], model.predictor, ids=[d.id for d in pending], **options
            )
        except Exception as exc:
            if len(pending) == 1:
                log.warning("job %s: document %s failed: %s", job.id, pending[0].id, exc)
                return [Outcome(pending[0].index, None, f"{type(exc).__name__}: {exc}")]
            return [o for d in pending for o in self._tag_chunk(job, model, [d])]
        return [
            Outcome(d.index, doc.model_dump_json(), None)
            for d, doc in zip(pending, documents, strict=True)
        ]


# ---------------------------------------------------------------------- the public view


def _when(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None


def job_public(store: JobStore, job: JobRecord, *, with_errors: bool = True) -> JobPublic:
    """What ``/jobs`` shows of a job: progress, per-document errors, where results are."""
    errors = store.document_errors(job.id) if with_errors and job.failed else []
    return JobPublic(
        id=job.id,
        kind=job.kind,  # type: ignore[arg-type]
        status=job.status,  # type: ignore[arg-type]
        created_at=_when(job.created_at),  # type: ignore[arg-type]
        started_at=_when(job.started_at),
        finished_at=_when(job.finished_at),
        progress=JobProgress(total=job.total, done=job.done, failed=job.failed),
        options=job.options,
        error=job.error,
        note=job.note,
        model_versions=job.model_versions,
        summary=job.summary,
        errors=[DocumentError(**e) for e in errors],
        results_url=f"/jobs/{job.id}/results" if job.status == "completed" else None,
    )
