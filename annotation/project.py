"""The Label Studio project: created once, reused after, its config kept current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation.client import AnnotationClient, LabelStudioError
from annotation.label_config import build_label_config, config_digest
from models.errors import PolicytagError
from policytag.settings import Settings

DESCRIPTION = (
    "policytag segments: six measure labels (multi-label, none allowed) and five entity "
    "span types. Rules: annotation/GUIDELINES.md in the policytag repository."
)
ML_BACKEND_TITLE = "policytag"


@dataclass(frozen=True)
class SetupResult:
    project_id: int
    title: str
    created: bool
    config_updated: bool
    ml_backend: str | None = None
    ml_backend_created: bool = False


def find_project(client: AnnotationClient, title: str) -> dict[str, Any] | None:
    matches = [p for p in client.projects() if p.get("title") == title]
    if len(matches) > 1:
        ids = ", ".join(str(p["id"]) for p in matches)
        raise PolicytagError(
            f"several Label Studio projects are titled {title!r} (ids {ids}); rename all but one "
            "or set POLICYTAG_LABEL_STUDIO_PROJECT"
        )
    return matches[0] if matches else None


def require_project(client: AnnotationClient, settings: Settings) -> dict[str, Any]:
    """The round's project, or a one-line error that says how to create it."""
    client.check()
    project = find_project(client, settings.label_studio_project)
    if project is None:
        raise PolicytagError(
            f"no Label Studio project {settings.label_studio_project!r} at {client.url}; "
            "create it with `policytag annotate setup`"
        )
    return project


def setup_project(
    client: AnnotationClient, settings: Settings, ml_backend_url: str | None = None
) -> SetupResult:
    """Create the project, or reuse it and update its label config if that changed.

    With ``ml_backend_url`` (the service's Label Studio routes, which answer
    ``/health``, ``/setup``, ``/predict`` and ``/webhook``) the service is connected
    as the project's ML backend, once.
    """
    client.check()
    title = settings.label_studio_project
    xml = build_label_config()
    project = find_project(client, title)
    created = updated = False
    if project is None:
        project = client.create_project(title, xml, DESCRIPTION)
        created = True
    elif config_digest(project.get("label_config") or "") != config_digest(xml):
        project = client.update_project(project["id"], label_config=xml)
        updated = True
    backend_created = False
    if ml_backend_url:
        url = ml_backend_url.rstrip("/")
        known = {str(m.get("url", "")).rstrip("/") for m in client.ml_backends(project["id"])}
        if url not in known:
            try:
                client.connect_ml_backend(project["id"], url, ML_BACKEND_TITLE)
            except LabelStudioError as exc:
                raise LabelStudioError(
                    f"{exc} (is the policytag service running and serving /health at {url}?)"
                ) from exc
            backend_created = True
    return SetupResult(
        project_id=int(project["id"]),
        title=title,
        created=created,
        config_updated=updated,
        ml_backend=ml_backend_url,
        ml_backend_created=backend_created,
    )
