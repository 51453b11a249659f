"""``/jobs``: batch jobs that survive restarts, with JSONL or CSV results."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.deps import JobInputDep, JobRunnerDep, JobStoreDep
from service.jobs import job_public, jsonl_to_csv
from service.routes import errors
from service.schemas import JobPublic, JobsPublic

router = APIRouter(prefix="/jobs", tags=["jobs"])

_UPLOAD = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "JSONL ({'text', 'id'} or a string per line), one .txt, or a zip of .txt",
        },
        "segment": {"type": "boolean", "default": True},
        "include_metadata": {"type": "boolean", "default": True},
    },
}
JOB_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/JobCreate"}},
            "multipart/form-data": {"schema": _UPLOAD},
        },
    }
}


@router.post(
    "",
    status_code=202,
    response_model=JobPublic,
    openapi_extra=JOB_BODY,
    responses=errors(400, 413, 415, 422),
)
async def create_job(
    job_input: JobInputDep, store: JobStoreDep, runner: JobRunnerDep, response: Response
) -> JobPublic:
    """Queue many documents; poll ``GET /jobs/{id}``, then fetch the results."""
    job = await run_in_threadpool(store.create_classify_job, job_input.documents, job_input.options)
    runner.notify()
    response.headers["Location"] = f"/jobs/{job.id}"
    return job_public(store, job)


@router.get("", response_model=JobsPublic)
def list_jobs(store: JobStoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JobsPublic:
    """The latest jobs, classify and training, newest first."""
    return JobsPublic(
        jobs=[job_public(store, job, with_errors=False) for job in store.list_jobs(limit)]
    )


@router.get("/{job_id}", response_model=JobPublic, responses=errors(404))
def get_job(job_id: str, store: JobStoreDep) -> JobPublic:
    """Status, progress (done/total) and the documents that failed."""
    return job_public(store, store.get(job_id))


@router.get(
    "/{job_id}/results",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "JSONL, one document per line in input order (or CSV, one row per segment).",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        },
        **errors(404, 409),
    },
)
def job_results(
    job_id: str, store: JobStoreDep, format: Literal["jsonl", "csv"] = "jsonl"
) -> StreamingResponse:
    """The finished job's results; a failed document is a line with its ``error``."""
    lines = store.result_lines(job_id)
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{job_id}.csv"'}
        return StreamingResponse(
            jsonl_to_csv(lines), media_type="text/csv; charset=utf-8", headers=headers
        )
    return StreamingResponse(lines, media_type="application/x-ndjson")
