"""``POST /classify``: tag one or more documents now."""

from __future__ import annotations

import time

from fastapi import APIRouter

from service.deps import BatcherDep, SettingsDep
from service.limits import validate_texts
from service.routes import errors
from service.schemas import ClassifyRequest, ClassifyResponse

router = APIRouter(tags=["classify"])


@router.post("/classify", response_model=ClassifyResponse, responses=errors(400, 413, 422, 503))
async def classify(
    body: ClassifyRequest, settings: SettingsDep, batcher: BatcherDep
) -> ClassifyResponse:
    """Segment each text into measures and tag every segment; micro-batched with others."""
    started = time.perf_counter()
    texts = validate_texts(body.all_texts, settings)
    tagged = await batcher.tag(texts, split=body.segment, include_metadata=body.include_metadata)
    return ClassifyResponse(
        model=tagged.model.name,
        model_version=tagged.model.version,
        timing_ms=round((time.perf_counter() - started) * 1000, 3),
        documents=tagged.documents,
    )
