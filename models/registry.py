"""The model store: versioned model directories and an atomically switched ``current``.

Layout under the store root::

    versions/<version>/     one complete model directory each (policytag.json inside)
    CURRENT                 the promoted version id, replaced atomically
    promotions.jsonl        every promotion and rollback, newest last

A model enters the store complete or not at all: ``add`` moves a finished
directory in with one rename. Promotion is gated on the evaluation figures in
the manifest, so a worse model never becomes ``current`` by accident.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from models import atomic
from models.errors import ModelError

MANIFEST_FILE = "policytag.json"
GATE_METRICS = ("micro_f1", "entity_f1")


class ModelInfo(BaseModel):
    """One stored model as ``policytag models list`` shows it."""

    version: str
    type: str
    created: str | None
    current: bool
    eval: dict[str, float]


def read_manifest(directory: Path) -> dict:
    """The manifest of a model directory, or a ModelError that names the problem."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise ModelError(f"{directory}: not a model directory (no {MANIFEST_FILE})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: corrupt manifest ({exc})") from exc
    if not isinstance(manifest, dict) or not {"type", "version"} <= manifest.keys():
        raise ModelError(f"{path}: manifest lacks 'type' or 'version'")
    return manifest


def headline(manifest: dict) -> dict[str, float]:
    """The figures promotion compares: cross-validated micro-F1 and entity F1."""
    figures = manifest.get("eval") or {}
    return {k: float(figures[k]) for k in GATE_METRICS if isinstance(figures.get(k), int | float)}


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.versions_dir = self.root / "versions"

    # -- reading -----------------------------------------------------------
    def versions(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        found = [
            p for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
        ]
        return sorted(p.name for p in found)

    def path(self, version: str) -> Path:
        directory = self.versions_dir / version
        if not directory.is_dir():
            known = ", ".join(self.versions()) or "none"
            raise ModelError(f"no model version {version!r} in {self.root} (stored: {known})")
        return directory

    def manifest(self, version: str) -> dict:
        return read_manifest(self.path(version))

    def current(self) -> str | None:
        pointer = self.root / "CURRENT"
        if not pointer.is_file():
            return None
        version = pointer.read_text(encoding="utf-8").strip()
        return version or None

    def list(self) -> list[ModelInfo]:
        current = self.current()
        infos = []
        for version in self.versions():
            try:
                manifest = self.manifest(version)
            except ModelError:
                infos.append(
                    ModelInfo(version=version, type="corrupt", created=None, current=False, eval={})
                )
                continue
            infos.append(
                ModelInfo(
                    version=version,
                    type=manifest["type"],
                    created=manifest.get("created"),
                    current=version == current,
                    eval=headline(manifest),
                )
            )
        return infos

    def latest(self, model_type: str) -> str | None:
        """The current model if it has this type, else the newest of the type."""
        current = self.current()
        infos = [info for info in self.list() if info.type == model_type]
        if any(info.version == current for info in infos):
            return current
        return max(infos, key=lambda info: info.created or "").version if infos else None

    def resolve(self, name: str) -> Path | None:
        """``current``, a stored version or a model type; ``None`` if nothing matches."""
        if name == "current":
            current = self.current()
            if current is None:
                raise ModelError(
                    f"no current model in {self.root}; train one with `policytag train`"
                )
            return self.path(current)
        if (self.versions_dir / name).is_dir():
            return self.path(name)
        version = self.latest(name)
        return self.path(version) if version else None

    # -- writing -----------------------------------------------------------
    def free_version(self, version: str) -> str:
        """``version``, or ``version.N`` (N = 2, 3, …) when the store already has it.

        A bert version hashes its data and settings, so a retrain after a code change
        (or of the same inputs) can repeat one; the store keeps both.
        """
        candidate, n = version, 1
        while (self.versions_dir / candidate).exists():
            n += 1
            candidate = f"{version}.{n}"
        return candidate

    def add(self, model_dir: Path) -> str:
        """Move a finished model directory into the store under its manifest version."""
        version = read_manifest(model_dir)["version"]
        target = self.versions_dir / version
        if target.exists():
            raise ModelError(f"version {version!r} is already in the store")
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(model_dir, target)
        except OSError:
            with atomic.directory(target) as tmp:
                shutil.copytree(model_dir, tmp, dirs_exist_ok=True)
            shutil.rmtree(model_dir, ignore_errors=True)
        return version

    def _log(self, action: str, version: str, previous: str | None) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "action": action,
            "version": version,
            "previous": previous,
        }
        log = self.root / "promotions.jsonl"
        text = log.read_text(encoding="utf-8") if log.is_file() else ""
        atomic.write_text(log, text + json.dumps(entry) + "\n")

    def _history(self) -> list[dict]:
        log = self.root / "promotions.jsonl"
        if not log.is_file():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]

    def worse_than_current(self, version: str) -> list[str]:
        """Why ``version`` may not replace the current model; empty when it may."""
        current = self.current()
        if current is None or current == version:
            return []
        candidate, incumbent = headline(self.manifest(version)), headline(self.manifest(current))
        if not candidate:
            return [f"{version} has no evaluation figures"]
        return [
            f"{metric} {candidate.get(metric, 0.0):.3f} < {incumbent[metric]:.3f} of {current}"
            for metric in GATE_METRICS
            if metric in incumbent and candidate.get(metric, 0.0) < incumbent[metric]
        ]

    def promote(self, version: str, force: bool = False) -> str | None:
        """Make ``version`` current; refuse a worse model unless ``force``.

        Returns the previously current version.
        """
        self.path(version)
        reasons = self.worse_than_current(version)
        if reasons and not force:
            raise ModelError(f"refusing to promote {version}: {'; '.join(reasons)} (use --force)")
        previous = self.current()
        atomic.write_text(self.root / "CURRENT", version + "\n")
        self._log("promote", version, previous)
        return previous

    def rollback(self) -> str:
        """Return to the model that was current before ``current`` was promoted.

        Repeated rollbacks walk further back through the promotions.
        """
        current = self.current()
        promotions = [e for e in self._history() if e["action"] == "promote"]
        for entry in reversed(promotions):
            if entry["version"] == current and entry["previous"]:
                previous = entry["previous"]
                self.path(previous)
                atomic.write_text(self.root / "CURRENT", previous + "\n")
                self._log("rollback", previous, current)
                return previous
        raise ModelError("nothing to roll back to: no earlier promotion is recorded")
