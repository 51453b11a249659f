"""Leave-one-document-out cross-validation.

Segments of one reply share wording, so a random split of segments flatters
every model. Each fold holds out one whole document: the model is trained on
the others and tested on it, which is what users do with replies we never saw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from models.evaluate import CrossValidationReport, evaluate_folds
from models.schema import Example
from models.training import train_model


@dataclass
class CrossValidation:
    report: CrossValidationReport
    fold_names: list[str]
    gold: list[Example]
    predictions: list[Example]


def folds_by_document(examples: list[Example]) -> dict[str, list[Example]]:
    grouped: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        grouped[example.document].append(example)
    return dict(sorted(grouped.items()))


def leave_one_document_out(
    examples: list[Example],
    model_type: str,
    seed: int = 13,
    progress: Callable[[str], None] | None = None,
) -> CrossValidation:
    """Train ``model_type`` once per document on all the others; pool the scores."""
    folds = folds_by_document(examples)
    if len(folds) < 2:
        raise ValueError("leave-one-document-out needs at least two documents")
    pairs = []
    all_gold: list[Example] = []
    all_pred: list[Example] = []
    for document, test in folds.items():
        if progress:
            progress(f"{model_type}: fold {document} ({len(test)} segments)")
        train = [ex for ex in examples if ex.document != document]
        model = train_model(model_type, train, seed)
        predictions = model.predict([ex.text for ex in test])
        predicted = [p.as_example(ex.id, ex.text) for p, ex in zip(predictions, test, strict=True)]
        pairs.append((test, predicted))
        all_gold += test
        all_pred += predicted
    report = evaluate_folds(pairs, model_version=f"{model_type} (lodo)")
    return CrossValidation(report, list(folds), all_gold, all_pred)
