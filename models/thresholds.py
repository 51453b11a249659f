"""Per-label decision thresholds, tuned on out-of-fold scores.

One shared 0.5 is wrong for rare labels: their probabilities rarely cross it.
Every model type (tfidf, bert) tunes its thresholds here, the same way.
"""

from __future__ import annotations

import numpy as np

from models.evaluate import PRF
from models.schema import MEASURE_LABELS, MeasureLabel

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
