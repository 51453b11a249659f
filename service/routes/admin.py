"""``/admin``: reload the model, retrain in the background. Bearer API key required."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from service.deps import ApiKeyDep, HolderDep, JobStoreDep, SettingsDep, TrainerDep
from service.errors import Conflict
from service.jobs import job_public
from service.routes import errors
from service.schemas import JobPublic, ReloadResponse, TrainRequest
from service.training import default_model_type, start_training

router = APIRouter(prefix="/admin", tags=["admin"], responses=errors(401, 403))


@router.post("/reload", response_model=ReloadResponse, responses=errors(503))
async def reload(_: ApiKeyDep, holder: HolderDep) -> ReloadResponse:
    """Load the configured model again and swap it in; requests in flight finish on the old one."""
    previous = holder.current
    loaded = await run_in_threadpool(holder.load)
    return ReloadResponse(
        model=loaded.name,
        model_version=loaded.version,
        previous_version=previous.version if previous is not None else None,
        source=loaded.source,
    )


@router.post("/train", status_code=202, response_model=JobPublic, responses=errors(400, 409, 422))
def train(
    _: ApiKeyDep,
    store: JobStoreDep,
    holder: HolderDep,
    settings: SettingsDep,
    trainer: TrainerDep,
    body: TrainRequest | None = None,
) -> JobPublic:
    """Retrain on all gold in the background; the job shows under ``/jobs``."""
    body = body or TrainRequest()
    model_type = body.model_type or default_model_type(settings, holder)
    job, created = start_training(
        store, holder, settings, model_type=model_type, activate=body.activate, trainer=trainer
    )
    if not created:
        raise Conflict(f"training job {job.id} is already running")
    return job_public(store, job)
