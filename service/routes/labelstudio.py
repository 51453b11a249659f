"""Label Studio's ML-backend protocol: ``/setup``, ``/predict``, ``/webhook``, ``/versions``.

``GET /health`` is shared with the service (``service.routes.meta``).
"""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import (
    BatcherDep,
    HolderDep,
    JobStoreDep,
    PredictorDep,
    ProjectsDep,
    SettingsDep,
    TrainerDep,
)
from service.ls_backend import handle_webhook, predict_tasks
from service.routes import errors
from service.schemas import (
    LSPredictRequest,
    LSPredictResponse,
    LSSetupRequest,
    LSSetupResponse,
    LSVersionsResponse,
    LSWebhookRequest,
    LSWebhookResponse,
)

router = APIRouter(tags=["label-studio"])


@router.post("/setup", response_model=LSSetupResponse, responses=errors(400, 422, 503))
def setup(body: LSSetupRequest, model: PredictorDep, projects: ProjectsDep) -> LSSetupResponse:
    """Remember the project's label config; answer with the model version."""
    projects.remember(body.project, body.label_config)
    return LSSetupResponse(model_version=model.version)


@router.post("/predict", response_model=LSPredictResponse, responses=errors(400, 413, 422, 503))
async def predict(
    body: LSPredictRequest,
    batcher: BatcherDep,
    holder: HolderDep,
    projects: ProjectsDep,
    settings: SettingsDep,
) -> LSPredictResponse:
    """Pre-annotations: one result per task, in order, each task one segment."""
    names = projects.names_for(body.project, body.label_config)
    return await predict_tasks(body.tasks, names, batcher, holder, settings)


@router.post("/webhook", response_model=LSWebhookResponse, responses=errors(400, 422))
def webhook(
    body: LSWebhookRequest,
    store: JobStoreDep,
    holder: HolderDep,
    settings: SettingsDep,
    trainer: TrainerDep,
) -> LSWebhookResponse:
    """``START_TRAINING`` queues a retrain and returns at once; other events are ignored."""
    return handle_webhook(body.action, store, holder, settings, trainer)


@router.get("/versions", response_model=LSVersionsResponse)
def versions(holder: HolderDep) -> LSVersionsResponse:
    """The version being served (one model at a time until the registry lands)."""
    current = holder.current
    version = current.version if current is not None else None
    return LSVersionsResponse(versions=[version] if version else [], model_version=version)
