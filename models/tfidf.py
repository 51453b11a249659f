"""Baseline 2: character n-gram TF-IDF with one logistic regression per label.

Chinese has no spaces, so character 1–3-grams stand in for words. Each label gets
its own classifier and its own threshold, tuned on out-of-fold predictions across
documents (never across segments of one document, which would leak wording).
Entities come from the rules tagger with a gazetteer of the training names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from models import atomic
from models.errors import ModelError
from models.rules import Gazetteer, RulesPredictor
from models.schema import MEASURE_LABELS, Example, MeasureLabel, Prediction
from models.thresholds import DEFAULT_THRESHOLD, tune_thresholds

MODEL_TYPE = "tfidf"
WEIGHTS_FILE = "tfidf.joblib"
MANIFEST_FILE = "policytag.json"


@dataclass
class _LabelModel:
    """A fitted classifier, or a constant when training had one class only."""

    classifier: LogisticRegression | None
    constant: float = 0.0

    def probabilities(self, features) -> np.ndarray:
        if self.classifier is None:
            return np.full(features.shape[0], self.constant)
        return self.classifier.predict_proba(features)[:, 1]


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=1, sublinear_tf=True)


def _fit_label(features, targets: np.ndarray, seed: int) -> _LabelModel:
    if targets.min() == targets.max():
        return _LabelModel(None, float(targets[0]))
    classifier = LogisticRegression(
        C=10.0, class_weight="balanced", max_iter=2000, random_state=seed
    )
    classifier.fit(features, targets)
    return _LabelModel(classifier)


def _targets(examples: list[Example]) -> np.ndarray:
    return np.array(
        [[label in ex.labels for label in MEASURE_LABELS] for ex in examples], dtype=int
    )


@dataclass
class TfidfPredictor:
    """The fitted baseline; implements the Predictor interface."""

    vectorizer: TfidfVectorizer
    label_models: dict[MeasureLabel, _LabelModel]
    thresholds: dict[MeasureLabel, float]
    gazetteer: Gazetteer
    version: str
    name: str = MODEL_TYPE
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._entities = RulesPredictor(gazetteer=self.gazetteer)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        features = self.vectorizer.transform(texts)
        return np.stack(
            [self.label_models[label].probabilities(features) for label in MEASURE_LABELS], axis=1
        )

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        probabilities = self.probabilities(texts)
        entities = self._entities.predict(texts)
        predictions = []
        for row, rules in zip(probabilities, entities, strict=True):
            scores = {label: float(p) for label, p in zip(MEASURE_LABELS, row, strict=True)}
            labels = [label for label in MEASURE_LABELS if scores[label] >= self.thresholds[label]]
            predictions.append(Prediction(labels=labels, scores=scores, entities=rules.entities))
        return predictions

    def save(self, directory: Path) -> None:
        """Write weights and manifest into ``directory`` atomically."""
        with atomic.directory(Path(directory)) as tmp:
            joblib.dump(
                {
                    "vectorizer": self.vectorizer,
                    "label_models": self.label_models,
                    "gazetteer": self.gazetteer,
                },
                tmp / WEIGHTS_FILE,
            )
            manifest = {
                "type": MODEL_TYPE,
                "version": self.version,
                "labels": list(MEASURE_LABELS),
                "thresholds": self.thresholds,
                **self.meta,
            }
            (tmp / MANIFEST_FILE).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
            )

    @classmethod
    def load(cls, directory: Path) -> TfidfPredictor:
        directory = Path(directory)
        try:
            manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
            # A truncated or foreign pickle can fail with almost any exception type.
            parts = joblib.load(directory / WEIGHTS_FILE)
        except Exception as exc:
            raise ModelError(
                f"{directory}: not a readable tfidf model ({exc.__class__.__name__}: {exc})"
            ) from exc
        return cls(
            vectorizer=parts["vectorizer"],
            label_models=parts["label_models"],
            thresholds=manifest["thresholds"],
            gazetteer=parts["gazetteer"],
            version=manifest["version"],
            meta={k: v for k, v in manifest.items() if k not in {"type", "version", "labels"}},
        )


def _fit(
    examples: list[Example], seed: int
) -> tuple[TfidfVectorizer, dict[MeasureLabel, _LabelModel]]:
    vectorizer = _vectorizer()
    features = vectorizer.fit_transform([ex.text for ex in examples])
    targets = _targets(examples)
    models = {
        label: _fit_label(features, targets[:, i], seed) for i, label in enumerate(MEASURE_LABELS)
    }
    return vectorizer, models


def _out_of_fold(examples: list[Example], seed: int) -> np.ndarray | None:
    """Probabilities for each example from a model that did not see its document."""
    groups = [ex.document for ex in examples]
    n_folds = min(5, len(set(groups)))
    if n_folds < 2:
        return None
    scores = np.zeros((len(examples), len(MEASURE_LABELS)))
    for train_index, test_index in GroupKFold(n_splits=n_folds).split(examples, groups=groups):
        vectorizer, models = _fit([examples[i] for i in train_index], seed)
        features = vectorizer.transform([examples[i].text for i in test_index])
        for j, label in enumerate(MEASURE_LABELS):
            scores[test_index, j] = models[label].probabilities(features)
    return scores


def train_tfidf(examples: list[Example], seed: int = 13) -> TfidfPredictor:
    """Fit the baseline on ``examples`` and tune per-label thresholds across documents."""
    if not examples:
        raise ModelError("cannot train tfidf on no examples")
    out_of_fold = _out_of_fold(examples, seed)
    if out_of_fold is None:
        thresholds = dict.fromkeys(MEASURE_LABELS, DEFAULT_THRESHOLD)
    else:
        thresholds = tune_thresholds(_targets(examples), out_of_fold)
    vectorizer, models = _fit(examples, seed)
    digest = hashlib.sha256(
        "".join(ex.model_dump_json() for ex in examples).encode("utf-8")
    ).hexdigest()[:10]
    return TfidfPredictor(
        vectorizer=vectorizer,
        label_models=models,
        thresholds=thresholds,
        gazetteer=Gazetteer.from_examples(examples),
        version=f"tfidf-{datetime.now(UTC):%Y%m%dT%H%M%S}-{digest}",
        meta={"n_train": len(examples), "documents": len({ex.document for ex in examples})},
    )
