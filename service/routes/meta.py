"""Health, readiness, labels, model information and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from models.schema import ENTITY_NAMES_ZH, ENTITY_TYPES, MEASURE_LABELS, MEASURE_NAMES_ZH
from service.deps import HolderDep, MetricsDep, PredictorDep
from service.routes import errors
from service.schemas import HealthResponse, LabelInfo, LabelsResponse, ModelInfo, ReadyResponse

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=HealthResponse)
def health(holder: HolderDep) -> HealthResponse:
    """The process is up (Label Studio checks this too); says whether a model is loaded."""
    current = holder.current
    return HealthResponse(
        model_state=holder.state, model_version=current.version if current else None
    )


@router.get("/ready", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
def ready(holder: HolderDep, response: Response) -> ReadyResponse:
    """``ready: true`` (200) once a model is loaded, else 503 with the reason."""
    is_ready = holder.current is not None
    if not is_ready:
        response.status_code = 503
    return ReadyResponse(ready=is_ready, model_state=holder.state, reason=holder.error)


@router.get("/labels", response_model=LabelsResponse)
def labels() -> LabelsResponse:
    """The six measure labels and five entity types, with their Chinese names."""
    return LabelsResponse(
        measures=[LabelInfo(name=n, zh=MEASURE_NAMES_ZH[n]) for n in MEASURE_LABELS],
        entities=[LabelInfo(name=n, zh=ENTITY_NAMES_ZH[n]) for n in ENTITY_TYPES],
    )


@router.get("/model", response_model=ModelInfo, responses=errors(503))
def model(loaded: PredictorDep, holder: HolderDep) -> ModelInfo:
    """Name and version of the served model, with its manifest and eval figures if it has one."""
    return ModelInfo(
        name=loaded.name,
        version=loaded.version,
        source=loaded.source,
        loaded_at=loaded.loaded_at,
        manifest=loaded.manifest,
        last_error=holder.error,
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def metrics(registry: MetricsDep) -> Response:
    """Requests, latency, batch sizes, predicted labels and the model version."""
    return Response(registry.render(), media_type=registry.content_type)
