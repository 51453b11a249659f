"""The only place that talks to Label Studio: the SDK behind a small, timed surface.

Every call has a timeout and no retries, so a dead or hung server fails fast. A
server that cannot be reached becomes one line that says how to start it; a
refused request becomes one line with the status and Label Studio's reason.
Everything returned is plain dicts and lists, so the rest of ``annotation/`` (and
its tests, which use a fake with the same methods) never sees SDK types.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import httpx

from models.errors import PolicytagError
from policytag.settings import Settings

T = TypeVar("T")
START_HINT = "start it with `policytag annotate server start`"
HEALTH_TIMEOUT = 5.0
IMPORT_BATCH = 100


class LabelStudioUnavailable(PolicytagError):
    """Label Studio is down, unreachable, or too slow to answer."""


class LabelStudioError(PolicytagError):
    """Label Studio answered, but refused the request."""


class AnnotationClient(Protocol):
    """What the annotation workflow needs from Label Studio (the real client or a fake)."""

    url: str

    def check(self) -> None: ...
    def projects(self) -> list[dict[str, Any]]: ...
    def create_project(self, title: str, label_config: str, description: str) -> dict[str, Any]: ...
    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]: ...
    def tasks(self, project_id: int) -> list[dict[str, Any]]: ...
    def import_tasks(self, project_id: int, tasks: Sequence[dict[str, Any]]) -> int: ...
    def export(self, project_id: int) -> list[dict[str, Any]]: ...
    def create_annotation(
        self, task_id: int, result: list[dict[str, Any]], **fields: Any
    ) -> dict[str, Any]: ...
    def ml_backends(self, project_id: int) -> list[dict[str, Any]]: ...
    def connect_ml_backend(self, project_id: int, url: str, title: str) -> dict[str, Any]: ...
    def ensure_user(self, email: str) -> dict[str, Any]: ...


def _dump(obj: Any) -> dict[str, Any]:
    return obj.model_dump(mode="json") if hasattr(obj, "model_dump") else dict(obj)


class LabelStudioClient:
    """A Label Studio server at ``url``, authenticated with a (legacy) API token."""

    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        from label_studio_sdk import LabelStudio

        self.url = url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._sdk = LabelStudio(base_url=self.url, api_key=token, timeout=timeout, max_retries=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> LabelStudioClient:
        """The configured server, with the configured token or the local server's own."""
        from annotation.server import read_credentials

        token = (
            settings.label_studio_token.get_secret_value() if settings.label_studio_token else None
        )
        if token is None:
            credentials = read_credentials(settings)
            token = credentials.token if credentials else None
        if not token:
            raise PolicytagError(
                "no Label Studio token: set POLICYTAG_LABEL_STUDIO_TOKEN, or "
                f"{START_HINT} (it generates one)"
            )
        return cls(settings.label_studio_url, token, settings.label_studio_timeout)

    # -- plumbing ---------------------------------------------------------------

    def _unreachable(self) -> LabelStudioUnavailable:
        return LabelStudioUnavailable(f"Label Studio is not reachable at {self.url}; {START_HINT}")

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except httpx.TimeoutException as exc:
            raise LabelStudioUnavailable(
                f"Label Studio at {self.url} did not answer within {self.timeout:g} s "
                f"while trying to {what}"
            ) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.NetworkError) as exc:
            raise self._unreachable() from exc
        except ApiError as exc:
            raise LabelStudioError(
                f"Label Studio refused to {what}: HTTP {exc.status_code} {_reason(exc.body)}"
            ) from exc

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        with self._errors(what):
            return fn()

    # -- health -----------------------------------------------------------------

    def healthy(self) -> bool:
        try:
            response = httpx.get(f"{self.url}/health", timeout=min(HEALTH_TIMEOUT, self.timeout))
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and '"UP"' in response.text.replace(" ", "")

    def check(self) -> None:
        """Raise the one-line "not reachable" error unless the server is up."""
        if not self.healthy():
            raise self._unreachable()

    # -- projects ---------------------------------------------------------------

    def projects(self) -> list[dict[str, Any]]:
        return self._call("list projects", lambda: [_dump(p) for p in self._sdk.projects.list()])

    def create_project(self, title: str, label_config: str, description: str) -> dict[str, Any]:
        return self._call(
            f"create project {title!r}",
            lambda: _dump(
                self._sdk.projects.create(
                    title=title, label_config=label_config, description=description
                )
            ),
        )

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        return self._call(
            f"update project {project_id}",
            lambda: _dump(self._sdk.projects.update(id=project_id, **fields)),
        )

    # -- tasks ------------------------------------------------------------------

    def tasks(self, project_id: int) -> list[dict[str, Any]]:
        """Every task with its data and predictions."""

        def fetch() -> list[dict[str, Any]]:
            pager = self._sdk.tasks.list(project=project_id, fields="all", page_size=100)
            return [
                {
                    "id": task.id,
                    "data": task.data,
                    "predictions": [_dump(p) for p in task.predictions or []],
                }
                for task in pager
            ]

        return self._call(f"list the tasks of project {project_id}", fetch)

    def import_tasks(self, project_id: int, tasks: Sequence[dict[str, Any]]) -> int:
        imported = 0
        for first in range(0, len(tasks), IMPORT_BATCH):
            batch = list(tasks[first : first + IMPORT_BATCH])
            response = self._call(
                f"import {len(batch)} tasks into project {project_id}",
                lambda batch=batch: self._sdk.projects.import_tasks(id=project_id, request=batch),
            )
            imported += int(getattr(response, "task_count", len(batch)) or 0)
        return imported

    def export(self, project_id: int) -> list[dict[str, Any]]:
        """The full JSON export (not JSON_MIN) of the annotated tasks."""

        def fetch() -> list[dict[str, Any]]:
            chunks = self._sdk.projects.exports.download_sync(id=project_id, export_type="JSON")
            return json.loads(b"".join(chunks))

        return self._call(f"export project {project_id}", fetch)

    def create_annotation(
        self, task_id: int, result: list[dict[str, Any]], **fields: Any
    ) -> dict[str, Any]:
        return self._call(
            f"annotate task {task_id}",
            lambda: _dump(self._sdk.annotations.create(id=task_id, result=result, **fields)),
        )

    # -- users ------------------------------------------------------------------

    def ensure_user(self, email: str) -> dict[str, Any]:
        """The Label Studio user with this email, created (no password) if missing."""

        def find_or_create() -> dict[str, Any]:
            for user in self._sdk.users.list():
                if getattr(user, "email", None) == email:
                    return _dump(user)
            return _dump(self._sdk.users.create(username=email.split("@")[0], email=email))

        return self._call(f"find or create user {email}", find_or_create)

    # -- ML backend -------------------------------------------------------------

    def ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        return self._call(
            f"list the ML backends of project {project_id}",
            lambda: [_dump(m) for m in self._sdk.ml.list(project=project_id)],
        )

    def connect_ml_backend(self, project_id: int, url: str, title: str) -> dict[str, Any]:
        return self._call(
            f"connect the ML backend at {url}",
            lambda: _dump(self._sdk.ml.create(project=project_id, url=url, title=title)),
        )


def _reason(body: Any) -> str:
    """The useful part of a Label Studio error body, on one line."""
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "")]
        errors = body.get("validation_errors")
        if errors:
            parts.append(json.dumps(errors, ensure_ascii=False))
        text = " ".join(p for p in parts if p)
    else:
        text = str(body)
    text = " ".join(text.split())
    return text[:300] + ("…" if len(text) > 300 else "")
