"""Retraining in the background, recorded as a job under /jobs.

``retrain`` is the one seam between the service and the trainers. Today it fits a
model type (``rules``, ``tfidf``, or any type registered in
``models.training.TRAINERS``) on all gold through ``models.training.train_model``,
and the finished model is swapped in with ``ModelHolder.swap``. To train, store and
promote through the model registry instead (``models.pipeline.train_and_register``),
replace ``retrain`` with a function that calls it and returns
``load_model_dir(<the promoted version>)``; ``/admin/reload`` already re-resolves
``settings.model`` (``current``) through ``load_model``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from models.errors import PolicytagError
from models.gold import load_gold
from models.pipeline import STORABLE_TYPES, train_and_register
from models.predict import Predictor, load_model
from models.training import TRAINERS, train_model
from policytag.settings import Settings
from service.errors import InvalidInput
from service.jobs import JobRecord, JobStore
from service.model_holder import ModelHolder

log = logging.getLogger("policytag.service.training")


@dataclass(frozen=True)
class Trained:
    predictor: Predictor
    n_examples: int


Trainer = Callable[[Settings, str], Trained]


def retrain(settings: Settings, model_type: str) -> Trained:
    """Fit a fresh ``model_type`` on every gold example (seeds and annotation rounds).

    Storable types go through the model pipeline (cross-validated, stored with a
    card, promoted only if not worse), the same path as ``policytag train``; the
    service then serves the stored version. ``rules`` is rebuilt in process.
    """
    if model_type in STORABLE_TYPES:
        outcome = train_and_register(model_type, settings, promote=True)
        if outcome.refused:
            log.warning(
                "trained %s but kept the current model: %s", outcome.version, outcome.refused
            )
        return Trained(load_model(outcome.version, settings), outcome.report.n)
    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    return Trained(train_model(model_type, gold, settings.seed, settings), len(gold))


def default_model_type(settings: Settings, holder: ModelHolder) -> str:
    """The configured model type if it trains in-process, else the served model's type."""
    if settings.model in TRAINERS:
        return settings.model
    current = holder.current
    if current is not None and current.name in TRAINERS:
        return current.name
    known = ", ".join(sorted(TRAINERS))
    raise InvalidInput(
        f"the served model {settings.model!r} has no in-process trainer; "
        f"name a model_type ({known})"
    )


def start_training(
    store: JobStore,
    holder: ModelHolder,
    settings: Settings,
    *,
    model_type: str,
    activate: bool,
    trainer: Trainer = retrain,
) -> tuple[JobRecord, bool]:
    """Start a training job in a thread and return at once; one training at a time.

    Returns the job and whether it was started now (``False``: one was running).
    """
    job, created = store.create_train_job({"model_type": model_type, "activate": activate})
    if created:
        threading.Thread(
            target=_run,
            args=(store, holder, settings, job.id, model_type, activate, trainer),
            name=f"policytag-train-{job.id[:8]}",
            daemon=True,
        ).start()
    return job, created


def _run(
    store: JobStore,
    holder: ModelHolder,
    settings: Settings,
    job_id: str,
    model_type: str,
    activate: bool,
    trainer: Trainer,
) -> None:
    started = time.perf_counter()
    log.info("training job %s: fitting %s on all gold", job_id, model_type)
    try:
        trained = trainer(settings, model_type)
    except PolicytagError as exc:
        log.error("training job %s failed: %s", job_id, exc)
        store.fail(job_id, str(exc))
        return
    except Exception as exc:  # recorded on the job rather than lost with the thread
        log.exception("training job %s failed", job_id)
        store.fail(job_id, f"{type(exc).__name__}: {exc}")
        return
    predictor = trained.predictor
    if activate:
        holder.swap(predictor, source=f"train:{job_id}")
    store.add_model_version(job_id, predictor.version)
    store.complete(
        job_id,
        {
            "model_type": model_type,
            "model": predictor.name,
            "version": predictor.version,
            "n_examples": trained.n_examples,
            "seconds": round(time.perf_counter() - started, 3),
            "activated": activate,
        },
    )
    log.info("training job %s finished: %s", job_id, predictor.version)
