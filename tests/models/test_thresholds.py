"""Per-label thresholds tuned on out-of-fold scores."""

from __future__ import annotations

import numpy as np

from models.schema import MEASURE_LABELS, Example, Span
from models.thresholds import (
    DEFAULT_THRESHOLD,
    best_span_threshold,
    best_threshold,
    cross_fitted_spans,
    tune_thresholds,
)


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


def _spanned(scores: list[float], example_id: str = "d#s1") -> Example:
    """Spans over consecutive 2-character names, with the given scores (1.0 = gold)."""
    text = "甲乙丙丁戊己庚辛"
    spans = [
        Span(start=2 * i, end=2 * i + 2, label="PROGRAM", text=text[2 * i : 2 * i + 2], score=s)
        for i, s in enumerate(scores)
    ]
    return Example(id=example_id, text=text, labels=[], entities=spans)


def test_thresholds_span_threshold_drops_the_unsure_spans_that_hurt():
    gold = _spanned([1.0, 1.0])
    predicted = _spanned([0.95, 0.9, 0.55, 0.52])  # the last two are wrong and unsure
    assert best_span_threshold([gold], [predicted]) == 0.6
    assert best_span_threshold([gold], [_spanned([0.95, 0.9])]) == 0.0  # nothing to drop


def test_thresholds_span_threshold_is_cross_fitted_per_fold():
    ids = ["a#s1", "b#s1", "c#s1"]
    # in a and b the unsure second span is wrong; in c it is right
    gold = [_spanned([1.0], ids[0]), _spanned([1.0], ids[1]), _spanned([1.0, 1.0], ids[2])]
    predicted = [_spanned([0.95, 0.55], example_id) for example_id in ids]
    kept, overall = cross_fitted_spans(gold, predicted, [0, 0, 1])
    # a and b are cut by what c alone teaches (keep all), c by what a and b teach (0.6)
    assert [len(k.entities) for k in kept] == [2, 2, 1]
    assert overall == 0.6
