"""Typed dependencies: what a route needs, as ``Annotated`` aliases.

Everything comes from ``app.state``, set by ``create_app`` and its lifespan, so a
test builds an app with its own ``Settings`` (``tmp_path``) and nothing is global.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from policytag.settings import Settings
from service.batching import MicroBatcher
from service.errors import Forbidden, Unauthorized
from service.jobs import JobRunner, JobStore
from service.ls_backend import ProjectConfigs
from service.metrics import Metrics
from service.model_holder import LoadedModel, ModelHolder
from service.training import Trainer
from service.uploads import JobInput, read_job_input


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _holder(request: Request) -> ModelHolder:
    return request.app.state.holder


def _model(request: Request) -> LoadedModel:
    """The model now; raises 503 with the reason while there is none."""
    return _holder(request).require()


def _batcher(request: Request) -> MicroBatcher:
    return request.app.state.batcher


def _store(request: Request) -> JobStore:
    return request.app.state.store


def _runner(request: Request) -> JobRunner:
    return request.app.state.runner


def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def _projects(request: Request) -> ProjectConfigs:
    return request.app.state.projects


def _trainer(request: Request) -> Trainer:
    return request.app.state.trainer


_bearer = HTTPBearer(auto_error=False, description="POLICYTAG_API_KEY as a bearer token.")


def require_api_key(
    settings: Annotated[Settings, Depends(_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Admin routes: off without a configured key, else the exact key (constant time)."""
    if settings.api_key is None:
        raise Forbidden("admin routes are disabled: set POLICYTAG_API_KEY to enable them")
    if credentials is None:
        raise Unauthorized("admin routes need the header 'Authorization: Bearer <API key>'")
    given = credentials.credentials.encode("utf-8")
    if not hmac.compare_digest(given, settings.api_key.get_secret_value().encode("utf-8")):
        raise Unauthorized("wrong API key")


SettingsDep = Annotated[Settings, Depends(_settings)]
HolderDep = Annotated[ModelHolder, Depends(_holder)]
PredictorDep = Annotated[LoadedModel, Depends(_model)]
BatcherDep = Annotated[MicroBatcher, Depends(_batcher)]
JobStoreDep = Annotated[JobStore, Depends(_store)]
JobRunnerDep = Annotated[JobRunner, Depends(_runner)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
ProjectsDep = Annotated[ProjectConfigs, Depends(_projects)]
TrainerDep = Annotated[Trainer, Depends(_trainer)]
ApiKeyDep = Annotated[None, Depends(require_api_key)]
JobInputDep = Annotated[JobInput, Depends(read_job_input)]
