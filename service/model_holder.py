"""The model the service is serving, swapped atomically.

``ModelHolder.current`` is one immutable ``LoadedModel``; a reload or a finished
retrain builds the new model first and then replaces that one reference. Whoever
took ``current`` before the swap (a micro-batch, a job) finishes on the old model.

``resolve_model`` turns ``settings.model`` into what to load: by default the
registry's ``current`` entry, so ``/admin/reload`` picks up a new promotion.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.errors import PolicytagError
from models.predict import MANIFEST_FILE, Predictor, load_model
from models.registry import ModelStore
from policytag.settings import Settings
from service.errors import ModelUnavailable

log = logging.getLogger("policytag.service.model")

Loader = Callable[[str, Settings], Predictor]


@dataclass(frozen=True)
class LoadedModel:
    """A predictor with what the service reports about it."""

    predictor: Predictor
    source: str
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    manifest: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.predictor.name

    @property
    def version(self) -> str:
        return self.predictor.version


def resolve_model(settings: Settings) -> str:
    """The name or directory of the model to serve.

    ``current`` (the default) is the store's promoted model; with an empty store
    the service falls back to the ``rules`` baseline, which needs no training,
    rather than refusing to start.
    """
    if settings.model == "current" and ModelStore(settings.store_dir).current() is None:
        log.warning("no promoted model in %s; serving the rules baseline", settings.store_dir)
        return "rules"
    return settings.model


def read_manifest(source: str, predictor: Predictor) -> dict[str, Any] | None:
    """``policytag.json`` of a model directory, or an on-the-fly model's own metadata."""
    path = Path(source) / MANIFEST_FILE
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("cannot re-read %s: %s", path, exc)
            return None
    meta = getattr(predictor, "meta", None)
    return dict(meta) if isinstance(meta, dict) and meta else None


class ModelHolder:
    """Loads the configured model and holds it; thread-safe, one load at a time."""

    def __init__(
        self,
        settings: Settings,
        loader: Loader = load_model,
        on_swap: Callable[[LoadedModel], None] | None = None,
    ) -> None:
        self.settings = settings
        self._loader = loader
        self._on_swap = on_swap
        self._current: LoadedModel | None = None
        self._error: str | None = None
        self._load_lock = threading.Lock()
        self.settled = threading.Event()  # set once the first load succeeded or failed

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    @property
    def error(self) -> str | None:
        """Why the last load failed, or ``None``."""
        return self._error

    @property
    def state(self) -> str:
        if self._current is not None:
            return "ready"
        return "failed" if self._error is not None else "loading"

    def require(self) -> LoadedModel:
        """The current model, or ``ModelUnavailable`` saying why there is none."""
        model = self._current
        if model is not None:
            return model
        if self._error is not None:
            raise ModelUnavailable(f"model not available: {self._error}")
        raise ModelUnavailable("model not available: it is still loading; retry shortly")

    def load(self) -> LoadedModel:
        """(Re)load the resolved model and swap it in; the old one serves until then.

        A failure keeps the old model, records the reason and raises ``ModelUnavailable``.
        """
        with self._load_lock:
            source = resolve_model(self.settings)
            try:
                predictor = self._loader(source, self.settings)
            except PolicytagError as exc:
                raise self._failure(source, str(exc)) from exc
            except Exception as exc:  # a corrupt model can fail in any library's way
                log.exception("loading model %r failed", source)
                raise self._failure(source, f"{type(exc).__name__}: {exc}") from exc
            return self.swap(predictor, source)

    def _failure(self, source: str, reason: str) -> ModelUnavailable:
        self._error = f"cannot load model {source!r}: {reason}"
        self.settled.set()
        old = self._current
        suffix = f"; still serving {old.version}" if old is not None else ""
        log.error("%s%s", self._error, suffix)
        return ModelUnavailable(self._error + suffix)

    def swap(self, predictor: Predictor, source: str) -> LoadedModel:
        """Make ``predictor`` the current model in one reference assignment."""
        loaded = LoadedModel(
            predictor=predictor, source=source, manifest=read_manifest(source, predictor)
        )
        self._current = loaded
        self._error = None
        self.settled.set()
        log.info("serving model %s (%s) from %s", loaded.version, loaded.name, source)
        if self._on_swap is not None:
            self._on_swap(loaded)
        return loaded
