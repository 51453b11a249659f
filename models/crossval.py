"""Cross-validation across documents: leave-one-document-out, or document-grouped folds.

Segments of one reply share wording, so a random split of segments flatters
every model. Each fold holds out whole documents: the model is trained on the
others and tested on them, which is what users do with replies we never saw.
With more documents than ``max_folds``, documents are dealt round-robin into
``max_folds`` groups so that training stays affordable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from models.evaluate import CrossValidationReport, evaluate_folds
from models.schema import MEASURE_LABELS, Example, MeasureLabel, Prediction
from models.thresholds import cross_fitted, cross_fitted_spans
from models.training import train_model
from policytag.settings import Settings

# Types that do not tune their own thresholds get cross-fitted ones; bert, which
# fine-tunes a network per fold, uses ``Settings.bert_folds`` folds.
CROSS_FITTED_TYPES = ("bert",)
DEFAULT_MAX_FOLDS = 10


def max_folds(model_type: str, settings: Settings) -> int:
    return settings.bert_folds if model_type == "bert" else DEFAULT_MAX_FOLDS


@dataclass
class CrossValidation:
    report: CrossValidationReport
    fold_names: list[str]
    gold: list[Example]
    predictions: list[Example]
    raw: list[Prediction]  # with every label's score, for threshold tuning
    fold_of: list[int]  # fold index of each gold example
    thresholds: dict[MeasureLabel, float] | None = None  # tuned on all folds, if cross-fitted
    span_threshold: float | None = None  # least span score kept, likewise


def folds_by_document(
    examples: list[Example], max_folds: int | None = None
) -> dict[str, list[Example]]:
    """Examples grouped into folds of whole documents, keyed by a readable name."""
    grouped: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        grouped[example.document].append(example)
    documents = sorted(grouped)
    if max_folds is None or len(documents) <= max_folds:
        return {document: grouped[document] for document in documents}
    folds: dict[str, list[Example]] = {}
    for index in range(max_folds):
        members = documents[index::max_folds]
        folds[f"fold{index + 1} ({len(members)} docs)"] = [
            ex for document in members for ex in grouped[document]
        ]
    return folds


def leave_one_document_out(
    examples: list[Example],
    model_type: str,
    seed: int = 13,
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    max_folds: int | None = None,
) -> CrossValidation:
    """Train ``model_type`` once per held-out fold on all the rest; pool the scores."""
    folds = folds_by_document(examples, max_folds)
    if len(folds) < 2:
        raise ValueError("leave-one-document-out needs at least two documents")
    pairs = []
    gold: list[Example] = []
    predicted: list[Example] = []
    raw: list[Prediction] = []
    fold_of: list[int] = []
    for index, (name, test) in enumerate(folds.items()):
        if progress:
            progress(
                f"{model_type}: fold {index + 1}/{len(folds)}, holding out {name} ({len(test)} segments)"
            )
        held_out = {ex.id for ex in test}
        model = train_model(
            model_type, [ex for ex in examples if ex.id not in held_out], seed, settings
        )
        predictions = model.predict([ex.text for ex in test])
        fold_pred = [p.as_example(ex.id, ex.text) for p, ex in zip(predictions, test, strict=True)]
        pairs.append((test, fold_pred))
        gold += test
        predicted += fold_pred
        raw += predictions
        fold_of += [index] * len(test)
    report = evaluate_folds(pairs, model_version=f"{model_type} (lodo)")
    return CrossValidation(report, list(folds), gold, predicted, raw, fold_of)


def _cross_fitted(cv: CrossValidation) -> CrossValidation:
    """Re-decide out-of-fold labels, and cut spans, with thresholds tuned on the other folds."""
    targets = np.array(
        [[label in ex.labels for label in MEASURE_LABELS] for ex in cv.gold], dtype=int
    )
    scores = np.array([[p.scores[label] for label in MEASURE_LABELS] for p in cv.raw])
    fold_of = np.array(cv.fold_of)
    decided, thresholds = cross_fitted(targets, scores, fold_of)
    predicted = [
        Example(
            id=ex.id,
            text=ex.text,
            labels=[label for label, on in zip(MEASURE_LABELS, row, strict=True) if on],
            entities=p.entities,
        )
        for ex, p, row in zip(cv.gold, cv.raw, decided, strict=True)
    ]
    predicted, span_threshold = cross_fitted_spans(cv.gold, predicted, cv.fold_of)
    pairs = [
        (
            [g for g, f in zip(cv.gold, fold_of, strict=True) if f == k],
            [p for p, f in zip(predicted, fold_of, strict=True) if f == k],
        )
        for k in range(len(cv.fold_names))
    ]
    report = evaluate_folds(pairs, cv.report.pooled.model_version)
    return replace(
        cv,
        report=report,
        predictions=predicted,
        thresholds=thresholds,
        span_threshold=span_threshold,
    )


def cross_validate(
    examples: list[Example],
    model_type: str,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> CrossValidation:
    """The in-house estimate for ``model_type``, the same in eval and in training."""
    cv = leave_one_document_out(
        examples,
        model_type,
        settings.seed,
        progress,
        settings,
        max_folds(model_type, settings),
    )
    return _cross_fitted(cv) if model_type in CROSS_FITTED_TYPES else cv
