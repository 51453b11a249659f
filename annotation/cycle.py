"""``annotate cycle``: pull → train on all rounds → evaluate → promote if better → push.

Training, cross-validation, storing and the promotion gate are the model
pipeline's (``models.pipeline.train_and_register``), the same path as
``policytag train``; the next batch is pre-annotated by whatever is ``current``
afterwards, the new model if it was promoted, else the one that stayed.

The promotion gate compares cross-validated figures, and each cycle's figures are
computed on all the gold of that cycle: a later cycle is scored on more (and
different) data than the model it challenges. Force a promotion with
``policytag models promote VERSION --force`` when that comparison is unfair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotation.client import AnnotationClient
from annotation.pull import PullResult, pull
from annotation.push import PushResult, push
from annotation.sampling import Strategy
from models.pipeline import TrainOutcome, train_and_register
from models.predict import load_model
from models.registry import ModelStore, headline
from policytag.settings import Settings

Progress = Callable[[str], None]


@dataclass
class CycleResult:
    pulled: PullResult
    previous: str | None  # the current version before the cycle
    previous_figures: dict[str, float]
    outcome: TrainOutcome
    pushed: PushResult | None


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
    store = ModelStore(settings.store_dir)
    previous = store.current()
    previous_figures = headline(store.manifest(previous)) if previous else {}
    outcome = train_and_register(model_type, settings, promote=True, progress=say)
    pushed = None
    if push_next:
        predictor = load_model("current", settings)
        pushed = push(client, settings, source, n, strategy, predictor=predictor, progress=say)
    return CycleResult(pulled, previous, previous_figures, outcome, pushed)
