"""The FastAPI app: ``create_app(settings)`` wires state, middleware, errors and routers.

The lifespan opens the job store, starts the job runner and the micro-batcher, and
loads the model once, in the background: ``/health`` answers at once and ``/ready``
turns true when the model is in. Run it with ``policytag serve`` or
``uvicorn service.app:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import policytag
from models.errors import DataError, ModelError, PolicytagError, ReadError
from models.predict import load_model
from models.tagging import tag_documents
from policytag.settings import Settings, get_settings
from service.batching import MicroBatcher, Tagger
from service.errors import ModelUnavailable, ServiceError
from service.jobs import JobRunner, JobStore
from service.ls_backend import ProjectConfigs
from service.metrics import Metrics
from service.model_holder import LoadedModel, Loader, ModelHolder
from service.observability import RequestContextMiddleware, request_id_var
from service.routes import admin, classify, jobs, labelstudio, meta
from service.schemas import JobCreate
from service.training import Trainer, retrain

log = logging.getLogger("policytag.service")

DESCRIPTION = """Tags Chinese government replies and policies: six measure labels per
segment and five entity types. `/classify` answers at once; `/jobs` runs large
batches that survive restarts; `/setup`, `/predict`, `/webhook` and `/versions` speak
Label Studio's ML-backend protocol; `/admin/*` needs `Authorization: Bearer <key>`."""


class SafeJSONResponse(JSONResponse):
    """JSON that can always be sent: escapes what UTF-8 cannot carry (lone surrogates)."""

    def render(self, content: Any) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _preview(value: Any) -> Any:
    """The offending input of a schema error, short: scalars only, long text cut."""
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    return f"<{type(value).__name__}>"


def _install_error_handlers(app: FastAPI) -> None:
    def reply(status: int, message: Any, headers: dict[str, str] | None = None) -> JSONResponse:
        return SafeJSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return reply(exc.status_code, str(exc), exc.headers)

    @app.exception_handler(PolicytagError)
    async def policytag_error(request: Request, exc: PolicytagError) -> JSONResponse:
        if isinstance(exc, ModelError):
            return reply(503, f"model not available: {exc}", ModelUnavailable.headers)
        status = 422 if isinstance(exc, ReadError | DataError) else 400
        return reply(status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code != 405:
            return await http_exception_handler(request, exc)
        # Starlette's 405 lists the methods of one route; a path can have several.
        methods = {
            method
            for route in request.app.router.routes
            if route.matches(request.scope)[0] is not Match.NONE
            for method in getattr(route, "methods", None) or ()
        }
        return reply(405, exc.detail, {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "type": e.get("type"),
                "loc": list(e.get("loc", ())),
                "msg": e.get("msg"),
                "input": _preview(e.get("input")),
            }
            for e in exc.errors()
        ]
        return reply(422, jsonable_encoder(details))

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        request_id = request_id_var.get()
        log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        return SafeJSONResponse(
            {"detail": "internal server error; this is a bug", "request_id": request_id},
            status_code=500,
            headers={"X-Request-ID": request_id},
        )


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus ``JobCreate``, which ``POST /jobs`` parses by hand."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        job_create = JobCreate.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(job_create.pop("$defs", {}))
        components["JobCreate"] = job_create
        app.openapi_schema = schema
    return app.openapi_schema


async def _load_in_background(holder: ModelHolder) -> None:
    with contextlib.suppress(ModelUnavailable):  # the reason is kept for /ready and 503s
        await asyncio.to_thread(holder.load)


def create_app(
    settings: Settings | None = None,
    *,
    loader: Loader = load_model,
    trainer: Trainer = retrain,
    tagger: Tagger = tag_documents,
) -> FastAPI:
    """The service for ``settings`` (default: the environment's).

    ``loader``, ``trainer`` and ``tagger`` are seams for tests and the registry.
    """
    settings = settings or get_settings()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        def swapped(model: LoadedModel) -> None:
            metrics.set_model(model.name, model.version)
            runner.notify()  # queued jobs wait for a model; start them now

        holder = ModelHolder(settings, loader, on_swap=swapped)
        store = JobStore(settings.data_dir / "jobs")
        store.open()
        for job_id in store.recover():
            log.warning("job %s was left by a stopped server; recovered", job_id)
        runner = JobRunner(store, holder, tagger=tagger)
        batcher = MicroBatcher(
            holder,
            max_texts=settings.batch_max_texts,
            wait_s=settings.batch_wait_ms / 1000,
            queue_size=settings.batch_queue_size,
            metrics=metrics,
            tagger=tagger,
        )
        app.state.holder, app.state.store, app.state.runner = holder, store, runner
        app.state.batcher, app.state.projects = batcher, ProjectConfigs()
        await batcher.start()
        runner.start()
        loading = asyncio.create_task(_load_in_background(holder))
        try:
            yield
        finally:
            loading.cancel()
            await batcher.stop()
            await asyncio.to_thread(runner.stop)
            store.requeue_own()
            store.close()

    app = FastAPI(
        title="policytag",
        version=policytag.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.trainer = trainer
    app.add_middleware(
        RequestContextMiddleware, metrics=metrics, max_body_bytes=settings.max_upload_bytes
    )
    _install_error_handlers(app)
    for module in (classify, jobs, admin, labelstudio, meta):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
