"""Per-label decision thresholds, tuned on out-of-fold scores.

One shared 0.5 is wrong for rare labels: their probabilities rarely cross it.
Every model type (tfidf, bert) tunes its thresholds here, the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from models.evaluate import PRF, score_entities
from models.schema import MEASURE_LABELS, Example, MeasureLabel, Span

DEFAULT_THRESHOLD = 0.5
GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


def best_threshold(targets: np.ndarray, scores: np.ndarray) -> float:
    """The grid threshold with the best F1; ties go to the one nearest 0.5.

    With no positive example there is nothing to tune, so the default stays.
    """
    if targets.sum() == 0:
        return DEFAULT_THRESHOLD
    best, best_f1 = DEFAULT_THRESHOLD, -1.0
    for threshold in sorted(GRID, key=lambda t: abs(t - DEFAULT_THRESHOLD)):
        predicted = scores >= threshold
        counter = PRF(
            tp=int((predicted & (targets == 1)).sum()),
            fp=int((predicted & (targets == 0)).sum()),
            fn=int((~predicted & (targets == 1)).sum()),
        )
        if counter.f1 > best_f1:
            best, best_f1 = float(threshold), counter.f1
    return best


def tune_thresholds(targets: np.ndarray, scores: np.ndarray) -> dict[MeasureLabel, float]:
    """One threshold per label from an (examples × labels) target and score matrix."""
    return {
        label: best_threshold(targets[:, i], scores[:, i]) for i, label in enumerate(MEASURE_LABELS)
    }


def cross_fitted(
    targets: np.ndarray, scores: np.ndarray, fold_of: np.ndarray
) -> tuple[np.ndarray, dict[MeasureLabel, float]]:
    """Decisions for out-of-fold scores with thresholds tuned on the *other* folds.

    Tuning thresholds on the very scores they are then judged on flatters the
    estimate; here each fold is decided by thresholds fitted without it. Also
    returns the thresholds tuned on all folds, for the final model.
    """
    decided = np.zeros_like(targets, dtype=bool)
    for fold in np.unique(fold_of):
        rest = fold_of != fold
        thresholds = tune_thresholds(targets[rest], scores[rest])
        cut = np.array([thresholds[label] for label in MEASURE_LABELS])
        decided[~rest] = scores[~rest] >= cut
    return decided, tune_thresholds(targets, scores)


# Span scores (the mean probability of a span's tags) below this are not kept.
# The grid starts at 0: a model whose every span helps keeps them all.
SPAN_GRID = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)


def spans_at_least(spans: Iterable[Span], threshold: float) -> list[Span]:
    """The spans scoring ``threshold`` or more; a span without a score is kept."""
    return [s for s in spans if s.score is None or s.score >= threshold]


def _keep_spans(predicted: Example, threshold: float) -> Example:
    return predicted.model_copy(update={"entities": spans_at_least(predicted.entities, threshold)})


def best_span_threshold(gold: Sequence[Example], predicted: Sequence[Example]) -> float:
    """The ``SPAN_GRID`` threshold with the best entity F1; ties go to the lower one."""
    best, best_f1 = 0.0, -1.0
    for threshold in SPAN_GRID:
        f1 = score_entities(gold, [_keep_spans(p, threshold) for p in predicted]).f1
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best


def cross_fitted_spans(
    gold: Sequence[Example], predicted: Sequence[Example], fold_of: Sequence[int]
) -> tuple[list[Example], float]:
    """Out-of-fold predictions with spans cut at a threshold tuned on the other folds,
    and the threshold tuned on all folds, for the final model (as ``cross_fitted``)."""
    kept = list(predicted)
    for fold in sorted(set(fold_of)):
        rest = [i for i, f in enumerate(fold_of) if f != fold]
        threshold = best_span_threshold([gold[i] for i in rest], [predicted[i] for i in rest])
        for i, f in enumerate(fold_of):
            if f == fold:
                kept[i] = _keep_spans(predicted[i], threshold)
    return kept, best_span_threshold(gold, predicted)
