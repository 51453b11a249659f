"""Per-label thresholds tuned on out-of-fold scores."""

from __future__ import annotations

import numpy as np

from models.schema import MEASURE_LABELS
from models.thresholds import DEFAULT_THRESHOLD, best_threshold, tune_thresholds


def test_thresholds_pick_the_separating_cut():
    targets = np.array([1, 1, 0, 0, 0])
    scores = np.array([0.32, 0.28, 0.2, 0.1, 0.05])
    threshold = best_threshold(targets, scores)
    assert 0.2 < threshold <= 0.28


def test_thresholds_default_without_positives():
    assert (
        best_threshold(np.zeros(4, dtype=int), np.array([0.9, 0.1, 0.5, 0.7])) == DEFAULT_THRESHOLD
    )


def test_thresholds_ties_prefer_the_default():
    targets = np.array([1, 0])
    scores = np.array([0.99, 0.01])
    assert best_threshold(targets, scores) == DEFAULT_THRESHOLD


def test_thresholds_one_per_label():
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, size=(20, len(MEASURE_LABELS)))
    scores = np.clip(targets * 0.4 + rng.random((20, len(MEASURE_LABELS))) * 0.3, 0, 1)
    thresholds = tune_thresholds(targets, scores)
    assert list(thresholds) == list(MEASURE_LABELS)
    for i, label in enumerate(MEASURE_LABELS):
        predicted = scores[:, i] >= thresholds[label]
        assert (predicted == targets[:, i].astype(bool)).mean() >= 0.9
