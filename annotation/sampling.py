"""Choosing which segments to label next.

**Uncertainty** is multi-label: each label is a separate yes/no decision at its own
calibrated threshold ``t`` (the model's ``thresholds``; 0.5 when it has none). A
label's uncertainty is 1 when its probability sits on the threshold and falls
linearly to 0 at 0 or 1::

    u(p, t) = 1 - |p - t| / (t if p < t else 1 - t)

A segment's label uncertainty is its most uncertain label, ties broken by the mean
over labels. Entity uncertainty is the largest binary entropy (bits) of a predicted
span's score, so a span the model half-believes counts; models without span scores
(the rules) add nothing. The total is ``label + ENTITY_WEIGHT * entity``.

**Diverse** is greedy k-centre over character n-gram TF-IDF vectors: each pick is the
candidate farthest (cosine) from everything already labelled or picked, ties broken
by uncertainty. **Random** is a seeded shuffle. **Targeted** serves rare classes
that the other strategies rarely reach: it ranks segments by how strongly the model
predicts any of the ``targets`` (measure labels by score, entity types by the number
of predicted spans of that type), ties broken by uncertainty, so that annotators see
likely positives — and correct the false ones, which teaches just as much.

Every strategy skips near-duplicates of what is already labelled, already in the
project, or already picked: character 4-gram shingles with Jaccard ≥ 0.7, or ≥ 0.9
of the shorter text's shingles contained in the other.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from models.schema import MEASURE_LABELS, MeasureLabel, Prediction, Span

DEFAULT_THRESHOLD = 0.5
ENTITY_WEIGHT = 0.5
SHINGLE = 4
JACCARD_MAX = 0.7
CONTAINMENT_MAX = 0.9
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


class Strategy(StrEnum):
    uncertainty = "uncertainty"
    random = "random"
    diverse = "diverse"
    targeted = "targeted"


# ---------------------------------------------------------------------------
# Uncertainty


def label_uncertainty(probability: float, threshold: float) -> float:
    """1 on the threshold, 0 at certainty; linear on each side of the threshold."""
    threshold = min(max(threshold, 1e-6), 1 - 1e-6)
    side = threshold if probability < threshold else 1.0 - threshold
    return max(0.0, 1.0 - abs(probability - threshold) / side)


def binary_entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def entity_uncertainty(spans: Sequence[Span]) -> float:
    return max((binary_entropy(s.score) for s in spans if s.score is not None), default=0.0)


@dataclass(frozen=True)
class Uncertainty:
    labels: float
    labels_mean: float
    entities: float

    @property
    def total(self) -> float:
        return self.labels + ENTITY_WEIGHT * self.entities

    @property
    def confidence(self) -> float:
        """What Label Studio shows as the prediction's score: low means "look at me"."""
        return round(1.0 - self.labels, 4)


def uncertainty(
    prediction: Prediction, thresholds: Mapping[MeasureLabel, float] | None = None
) -> Uncertainty:
    thresholds = thresholds or {}
    per_label = [
        label_uncertainty(
            prediction.scores.get(label, 0.0), thresholds.get(label, DEFAULT_THRESHOLD)
        )
        for label in MEASURE_LABELS
    ]
    return Uncertainty(
        labels=max(per_label),
        labels_mean=sum(per_label) / len(per_label),
        entities=entity_uncertainty(prediction.entities),
    )


# ---------------------------------------------------------------------------
# Near-duplicates


def shingles(text: str, size: int = SHINGLE) -> frozenset[str]:
    """Character n-grams of the text without spaces and punctuation."""
    core = _NOISE.sub("", text)
    if len(core) <= size:
        return frozenset([core]) if core else frozenset()
    return frozenset(core[i : i + size] for i in range(len(core) - size + 1))


def near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    common = len(a & b)
    if not common:
        return False
    jaccard = common / len(a | b)
    containment = common / min(len(a), len(b))
    return jaccard >= JACCARD_MAX or containment >= CONTAINMENT_MAX


class _Dedup:
    """Accepts a text unless it nearly duplicates one already known or accepted."""

    def __init__(self, known: Sequence[str]) -> None:
        self._index: dict[str, list[int]] = {}
        self._sets: list[frozenset[str]] = []
        for text in known:
            self._add(shingles(text))

    def _add(self, shingle_set: frozenset[str]) -> None:
        number = len(self._sets)
        self._sets.append(shingle_set)
        for gram in shingle_set:
            self._index.setdefault(gram, []).append(number)

    def accept(self, text: str) -> bool:
        mine = shingles(text)
        candidates = {n for gram in mine for n in self._index.get(gram, ())}
        if any(near_duplicate(mine, self._sets[n]) for n in candidates):
            return False
        self._add(mine)
        return True


# ---------------------------------------------------------------------------
# Selection


class DocumentCap:
    """At most ``limit`` segments per document, counting those labelled before.

    One long document must not fill a round: the gold should spread over many
    documents, and evaluation folds are whole documents.
    """

    def __init__(
        self,
        documents: Sequence[str] | None,
        limit: int | None,
        already: Mapping[str, int] | None = None,
    ) -> None:
        self.documents = documents
        self.limit = limit
        self.counts: dict[str, int] = dict(already or {})

    def allows(self, index: int) -> bool:
        if self.documents is None or self.limit is None:
            return True
        return self.counts.get(self.documents[index], 0) < self.limit

    def add(self, index: int) -> None:
        if self.documents is not None:
            document = self.documents[index]
            self.counts[document] = self.counts.get(document, 0) + 1


def _take(
    order: Sequence[int], texts: Sequence[str], n: int, known: Sequence[str], cap: DocumentCap
) -> list[int]:
    dedup = _Dedup(known)
    chosen: list[int] = []
    for index in order:
        if len(chosen) >= n:
            break
        if cap.allows(index) and dedup.accept(texts[index]):
            chosen.append(index)
            cap.add(index)
    return chosen


def by_uncertainty(
    predictions: Sequence[Prediction], thresholds: Mapping[MeasureLabel, float] | None
) -> list[int]:
    """Indices, most uncertain first; ties by mean label uncertainty, then position."""
    scored = [uncertainty(p, thresholds) for p in predictions]
    return sorted(range(len(scored)), key=lambda i: (-scored[i].total, -scored[i].labels_mean, i))


def by_target(
    predictions: Sequence[Prediction],
    thresholds: Mapping[MeasureLabel, float] | None,
    targets: Sequence[str],
) -> list[int]:
    """Indices, strongest predicted target first; ties by uncertainty, then position."""
    labels = [t for t in targets if t in MEASURE_LABELS]
    entity_types = {t for t in targets if t not in MEASURE_LABELS}

    def strength(p: Prediction) -> float:
        label_score = max((p.scores.get(label, 0.0) for label in labels), default=0.0)
        return label_score + sum(span.label in entity_types for span in p.entities)

    keys = [(-strength(p), -uncertainty(p, thresholds).total) for p in predictions]
    return sorted(range(len(keys)), key=lambda i: (*keys[i], i))


def _diverse(
    texts: Sequence[str],
    n: int,
    known: Sequence[str],
    tie_break: Sequence[float],
    cap: DocumentCap,
) -> list[int]:
    if not texts:
        return []
    import numpy as np  # imported here so the CLI starts fast
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    vectors = vectorizer.fit_transform([*texts, *known])
    pool, labelled = vectors[: len(texts)], vectors[len(texts) :]
    distance = np.ones(len(texts))
    if labelled.shape[0]:
        distance = 1.0 - (pool @ labelled.T).max(axis=1).toarray().ravel()
    dedup = _Dedup(known)
    ties = np.asarray(tie_break, dtype=float)
    available = np.ones(len(texts), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < n and available.any():
        key = np.where(available, distance + 1e-6 * ties, -np.inf)
        index = int(np.argmax(key))
        available[index] = False
        if not cap.allows(index) or not dedup.accept(texts[index]):
            continue
        chosen.append(index)
        cap.add(index)
        similarity = (pool @ pool[index].T).toarray().ravel()
        distance = np.minimum(distance, 1.0 - similarity)
    return chosen


def select(
    texts: Sequence[str],
    n: int,
    strategy: Strategy,
    predictions: Sequence[Prediction] | None = None,
    thresholds: Mapping[MeasureLabel, float] | None = None,
    known: Sequence[str] = (),
    seed: int = 13,
    cap: DocumentCap | None = None,
    targets: Sequence[str] = (),
) -> list[int]:
    """Indices of up to ``n`` texts to label, in the order they were chosen.

    ``known`` are texts already labelled or already in the project: nothing close
    to them is chosen. ``uncertainty`` and ``targeted`` need ``predictions``
    (``targeted`` also ``targets``: measure labels or entity types); ``diverse``
    uses them to break ties when given. ``cap`` limits segments per document.
    """
    if n <= 0:
        return []
    cap = cap or DocumentCap(None, None)
    if strategy is Strategy.random:
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        return _take(order, texts, n, known, cap)
    if predictions is not None and len(predictions) != len(texts):
        raise ValueError(f"{len(predictions)} predictions for {len(texts)} texts")
    if strategy in (Strategy.uncertainty, Strategy.targeted) and predictions is None:
        raise ValueError(f"{strategy} sampling needs the model's predictions")
    if strategy is Strategy.uncertainty:
        return _take(by_uncertainty(predictions, thresholds), texts, n, known, cap)
    if strategy is Strategy.targeted:
        if not targets:
            raise ValueError("targeted sampling needs targets (measure labels or entity types)")
        return _take(by_target(predictions, thresholds, targets), texts, n, known, cap)
    ties = (
        [uncertainty(p, thresholds).total for p in predictions]
        if predictions is not None
        else [0.0] * len(texts)
    )
    return _diverse(texts, n, known, ties, cap)
