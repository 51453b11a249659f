"""``annotate cycle``: pull → train on all rounds → evaluate → promote if better → push.

SEAM. The model registry with its promotion gate (``models/registry.py``) is being
built in parallel; until ``cycle`` is moved onto it, this module keeps the smallest
stand-in that behaves the same way:

* training is ``models.training.train_model`` on all gold (seeds + every round);
* evaluation is leave-one-document-out via ``models.crossval.leave_one_document_out``;
* "promote" records the winner in ``<data_dir>/annotation/promoted.json`` (and saves
  the model under ``<data_dir>/annotation/models/<version>`` when it can ``save``).
  The gate mirrors the registry's: the candidate is promoted when no headline figure
  (micro-F1, entity F1) is worse than the promoted model's and one is better, or when
  nothing is promoted yet.

The two figures compared come from LODO on the gold of their own cycle, so a later
cycle is scored on more data than an earlier one; the registry will gate on one
fixed evaluation set. Replace :class:`Promotion` with the registry when it lands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from annotation.client import AnnotationClient
from annotation.pull import PullResult, pull
from annotation.push import PushResult, push
from annotation.sampling import Strategy
from models import atomic
from models.crossval import leave_one_document_out
from models.gold import load_gold
from models.predict import Predictor, load_model
from models.training import train_model
from policytag.settings import Settings

Progress = Callable[[str], None]
GATE = ("micro_f1", "entity_f1")


@dataclass
class Promotion:
    """The promoted model as the seam knows it."""

    version: str
    model_type: str
    figures: dict[str, float]
    n_gold: int
    data_hash: str
    model_dir: str | None = None
    promoted_at: str = ""

    @staticmethod
    def path(settings: Settings) -> Path:
        return settings.data_dir / "annotation" / "promoted.json"

    @classmethod
    def current(cls, settings: Settings) -> Promotion | None:
        path = cls.path(settings)
        if not path.is_file():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, settings: Settings) -> None:
        atomic.write_text(self.path(settings), json.dumps(self.__dict__, indent=2) + "\n")


@dataclass
class CycleResult:
    pulled: PullResult
    n_gold: int
    candidate: Promotion
    previous: Promotion | None
    promoted: bool
    pushed: PushResult | None


def better(candidate: dict[str, float], current: dict[str, float] | None) -> bool:
    if current is None:
        return True
    worse = any(candidate[k] < current.get(k, 0.0) for k in GATE)
    gains = any(candidate[k] > current.get(k, 0.0) for k in GATE)
    return gains and not worse


def retrain(settings: Settings, model_type: str) -> tuple[Predictor, int]:
    """A fresh model of ``model_type`` on all the gold, and how much gold that was."""
    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    return train_model(model_type, gold, settings.seed), len(gold)


def run_cycle(
    client: AnnotationClient,
    settings: Settings,
    model_type: str = "tfidf",
    n: int = 50,
    strategy: Strategy = Strategy.uncertainty,
    source: str = "pool",
    push_next: bool = True,
    progress: Progress | None = None,
) -> CycleResult:
    say = progress or (lambda _: None)
    pulled = pull(client, settings, progress=say)
    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    say(f"training {model_type} on {len(gold)} gold segments")
    model = train_model(model_type, gold, settings.seed)
    say("leave-one-document-out evaluation")
    cv = leave_one_document_out(gold, model_type, settings.seed)
    report = cv.report.pooled
    candidate = Promotion(
        version=model.version,
        model_type=model_type,
        figures={"micro_f1": report.labels.micro_f1, "entity_f1": report.entities.f1},
        n_gold=len(gold),
        data_hash=report.data_hash,
        promoted_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    previous = Promotion.current(settings)
    promoted = better(candidate.figures, previous.figures if previous else None)
    if promoted:
        if hasattr(model, "save"):
            target = settings.data_dir / "annotation" / "models" / model.version
            model.save(target)
            candidate.model_dir = str(target)
        candidate.save(settings)
    pushed = None
    if push_next:
        predictor = model if promoted else _promoted_model(previous, settings, model_type)
        pushed = push(client, settings, source, n, strategy, predictor=predictor, progress=say)
    return CycleResult(pulled, len(gold), candidate, previous, promoted, pushed)


def _promoted_model(previous: Promotion | None, settings: Settings, model_type: str) -> Predictor:
    if previous and previous.model_dir and Path(previous.model_dir).is_dir():
        return load_model(previous.model_dir, settings)
    return load_model(previous.model_type if previous else model_type, settings)
