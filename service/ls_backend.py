"""The Label Studio ML-backend protocol over the service's models and jobs.

Label Studio calls ``/setup``, ``/predict``, ``/webhook`` and ``/versions`` without
credentials. A task is tagged as one segment (``segment=false``) through the same
micro-batcher as ``/classify``; entity offsets are mapped from the cleaned text back
to the task's own text. ``START_TRAINING`` only queues a background job (Label
Studio gives a webhook one second); other events are acknowledged and ignored,
because annotations reach the gold through exported rounds, not one by one.
"""

from __future__ import annotations

import logging
import threading

from models.schema import Prediction, Span, TaggedSegment
from models.segment import clean
from policytag.settings import Settings
from service.batching import MicroBatcher
from service.errors import InvalidInput
from service.jobs import JobStore
from service.labelstudio import (
    DEFAULT_NAMES,
    LabelConfigError,
    LSNames,
    parse_label_config,
    prediction_score,
    prediction_to_ls_result,
)
from service.limits import text_problem
from service.model_holder import ModelHolder
from service.schemas import LSPrediction, LSPredictResponse, LSTask, LSWebhookResponse
from service.training import Trainer, default_model_type, start_training

log = logging.getLogger("policytag.service.labelstudio")

TRAINING_ACTIONS = {"START_TRAINING"}


def _project_key(project: str | int | None) -> str | None:
    """Label Studio sends ``"<id>.<timestamp>"``; the id names the project."""
    return None if project is None else str(project).split(".", 1)[0]


class ProjectConfigs:
    """Label configs that ``/setup`` received, per project, for later ``/predict`` calls."""

    def __init__(self) -> None:
        self._names: dict[str, LSNames] = {}
        self._lock = threading.Lock()

    def remember(self, project: str | int | None, label_config: str | None) -> LSNames:
        names = names_from(label_config)
        key = _project_key(project)
        if key is not None and label_config:
            with self._lock:
                self._names[key] = names
        return names

    def names_for(self, project: str | int | None, label_config: str | None) -> LSNames:
        """The request's own config, else the project's from ``/setup``, else defaults."""
        if label_config:
            return names_from(label_config)
        key = _project_key(project)
        with self._lock:
            return self._names.get(key, DEFAULT_NAMES) if key is not None else DEFAULT_NAMES


def names_from(label_config: str | None) -> LSNames:
    if not label_config:
        return DEFAULT_NAMES
    try:
        return parse_label_config(label_config)
    except LabelConfigError as exc:
        raise InvalidInput(str(exc)) from exc


def to_task_offsets(raw: str, segment: TaggedSegment) -> Prediction:
    """The segment's prediction with entity offsets into the task text ``raw``.

    The segment holds ``clean(raw)``; each cleaned character knows its original index.
    """
    cleaned = clean(raw)
    entities = []
    if cleaned.text == segment.text:
        for span in segment.entities:
            start, end = cleaned.origin[span.start], cleaned.origin[span.end - 1] + 1
            entities.append(
                Span(start=start, end=end, label=span.label, text=raw[start:end], score=span.score)
            )
    else:  # cannot happen while tag_documents(split=False) holds clean(raw); never guess
        log.warning("segment text differs from the cleaned task text; spans dropped")
    return Prediction(labels=segment.labels, scores=segment.scores, entities=entities)


def task_text(task: LSTask, names: LSNames, settings: Settings) -> str | None:
    """The text to tag, or ``None`` (no result) if the task has none we can tag."""
    value = task.data.get(names.data_key)
    if not isinstance(value, str):
        return None
    problem = text_problem(value, settings)
    if problem is not None:
        log.warning("task %s gets no prediction: %s", task.id, problem.message)
        return None
    return value


async def predict_tasks(
    tasks: list[LSTask],
    names: LSNames,
    batcher: MicroBatcher,
    holder: ModelHolder,
    settings: Settings,
) -> LSPredictResponse:
    """One result per task, in order; a task without usable text gets an empty result."""
    texts = [task_text(task, names, settings) for task in tasks]
    usable = [(i, text) for i, text in enumerate(texts) if text is not None]
    version = holder.require().version
    results = [LSPrediction(result=[], score=0.0, model_version=version) for _ in tasks]
    if not usable:
        return LSPredictResponse(results=results)
    tagged = await batcher.tag([t for _, t in usable], split=False, include_metadata=False)
    for (i, raw), document in zip(usable, tagged.documents, strict=True):
        if not document.segments:
            results[i] = LSPrediction(result=[], score=0.0, model_version=tagged.model.version)
            continue
        prediction = to_task_offsets(raw, document.segments[0])
        results[i] = LSPrediction(
            result=prediction_to_ls_result(prediction, names, text=raw),
            score=round(prediction_score(prediction), 4),
            model_version=tagged.model.version,
        )
    return LSPredictResponse(results=results)


def handle_webhook(
    action: str, store: JobStore, holder: ModelHolder, settings: Settings, trainer: Trainer
) -> LSWebhookResponse:
    """Queue a retrain for ``START_TRAINING`` and return at once; ignore the rest."""
    if action not in TRAINING_ACTIONS:
        return LSWebhookResponse(status="ignored", action=action)
    model_type = default_model_type(settings, holder)
    job, created = start_training(
        store, holder, settings, model_type=model_type, activate=True, trainer=trainer
    )
    return LSWebhookResponse(
        status="queued" if created else "already running", action=action, job_id=job.id
    )
