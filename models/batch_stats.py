"""What a batch report says, computed from the batch's rows and the training gold.

The HTML report only formats a ``BatchStats``; every count and share is made here.

Drift compares the batch with the gold the models learn from:

- **label shift**: the share of segments carrying each label (and none), predicted
  in the batch vs annotated in training, and the total variation distance between
  the two label distributions (label occurrences normalised to sum to 1);
- **new terms**: jieba words in at least ``MIN_TERM_DOCUMENTS`` batch documents
  that never occur in training text and are uncommon in general Chinese (jieba's
  dictionary frequency below ``GENERAL_FREQUENCY_MAX``), so everyday words such as
  进行 or 按照 do not drown the topic words;
- **new entities**: predicted entity names that are no gold entity's text.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from models.batch import DocumentRow, SegmentRow
from models.outputs import Results
from models.schema import ENTITY_TYPES, MEASURE_LABELS, EntityType, Example

if TYPE_CHECKING:
    from jieba import Tokenizer

NONE_LABEL = "none"
UNKNOWN = "(unknown)"
OTHER = "(other)"
LOW_CONFIDENCE = 0.4
REVIEW_MAX = 50
TOP_GROUPS = 12
TOP_ENTITIES = 10
TOP_DRIFT = 30
MIN_TERM_DOCUMENTS = 3
GENERAL_FREQUENCY_MAX = 3e-6
SHIFT_FLAG = 0.10
_WORD = re.compile(r"^(?:[\u4e00-\u9fff]{2,}|[A-Za-z][A-Za-z0-9]+)$")


@dataclass(frozen=True)
class LabelCount:
    label: str
    segments: int
    documents: int
    segment_share: float


@dataclass(frozen=True)
class GroupCounts:
    """Documents of one agency or year, and how many of them carry each label."""

    name: str
    documents: int
    labels: dict[str, int]


@dataclass(frozen=True)
class EntityCount:
    label: EntityType
    text: str
    mentions: int
    documents: int


@dataclass(frozen=True)
class LabelShift:
    label: str
    batch: float
    training: float

    @property
    def delta(self) -> float:
        return self.batch - self.training

    @property
    def flagged(self) -> bool:
        return abs(self.delta) >= SHIFT_FLAG


@dataclass(frozen=True)
class TermCount:
    term: str
    documents: int


@dataclass(frozen=True)
class Drift:
    training_segments: int
    shift: list[LabelShift]
    total_variation: float
    new_terms: list[TermCount]
    new_entities: list[EntityCount]


@dataclass
class BatchStats:
    documents: int
    failed: list[DocumentRow]
    tagged: list[DocumentRow]
    segments: int
    models: list[str]
    labels: list[LabelCount]
    agencies: list[GroupCounts]
    years: list[GroupCounts]
    entities: dict[EntityType, list[EntityCount]]
    low_confidence: list[SegmentRow]
    low_confidence_total: int
    drift: Drift | None = None


# ---------------------------------------------------------------------------
# Counting


def _shares(label_sets: Sequence[Iterable[str]]) -> dict[str, float]:
    """Per label (and ``none``), the share of items that carry it."""
    counts: Counter[str] = Counter()
    for labels in label_sets:
        labels = list(labels)
        counts.update(labels or [NONE_LABEL])
    total = len(label_sets)
    return {
        label: counts[label] / total if total else 0.0 for label in (*MEASURE_LABELS, NONE_LABEL)
    }


def label_counts(segments: Sequence[SegmentRow]) -> list[LabelCount]:
    shares = _shares([s.labels for s in segments])
    documents: dict[str, set[str]] = defaultdict(set)
    segment_counts: Counter[str] = Counter()
    for segment in segments:
        for label in segment.labels or [NONE_LABEL]:
            documents[label].add(segment.doc_id)
            segment_counts[label] += 1
    return [
        LabelCount(label, segment_counts[label], len(documents[label]), shares[label])
        for label in (*MEASURE_LABELS, NONE_LABEL)
    ]


def group_counts(
    documents: Sequence[DocumentRow],
    key: Callable[[DocumentRow], str | None],
    by_name: bool = False,
) -> list[GroupCounts]:
    """Documents by group: the ``TOP_GROUPS`` largest, the rest as ``(other)``.

    Groups are shown largest first, or by name (``by_name``, for years);
    ``(unknown)`` (no such metadata) always comes last, however large.
    """
    grouped: dict[str, list[DocumentRow]] = defaultdict(list)
    for document in documents:
        grouped[key(document) or UNKNOWN].append(document)
    unknown = grouped.pop(UNKNOWN, [])
    ranked = sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0]))
    rows = ranked[:TOP_GROUPS]
    if by_name:
        rows.sort(key=lambda item: item[0])
    rest = [d for _, docs in ranked[TOP_GROUPS:] for d in docs]
    rows += [(name, docs) for name, docs in ((OTHER, rest), (UNKNOWN, unknown)) if docs]
    return [
        GroupCounts(
            name,
            len(docs),
            {label: sum(label in d.labels for d in docs) for label in MEASURE_LABELS},
        )
        for name, docs in rows
    ]


def _year(document: DocumentRow) -> str | None:
    return document.metadata.date[:4] if document.metadata.date else None


def entity_counts(segments: Iterable[SegmentRow]) -> list[EntityCount]:
    """Every (type, name) predicted, most documents first."""
    mentions: Counter[tuple[EntityType, str]] = Counter()
    documents: dict[tuple[EntityType, str], set[str]] = defaultdict(set)
    for segment in segments:
        for span in segment.entities:
            mentions[span.label, span.text] += 1
            documents[span.label, span.text].add(segment.doc_id)
    counts = [
        EntityCount(label, text, mentions[label, text], len(documents[label, text]))
        for label, text in mentions
    ]
    return sorted(counts, key=lambda c: (-c.documents, -c.mentions, c.label, c.text))


# ---------------------------------------------------------------------------
# Drift


@lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()  # private: words other modules add do not leak in
    tokenizer.initialize()
    return tokenizer


def words(text: str) -> set[str]:
    """The jieba words of a text that can be terms: 2+ Chinese characters, or Latin."""
    return {word for word in _tokenizer().cut(text) if _WORD.match(word)}


def new_terms(batch: Sequence[SegmentRow], training_texts: Iterable[str]) -> list[TermCount]:
    tokenizer = _tokenizer()
    seen = set().union(*map(words, training_texts))
    documents: dict[str, set[str]] = defaultdict(set)
    for segment in batch:
        for word in words(segment.text):
            documents[word].add(segment.doc_id)
    common = GENERAL_FREQUENCY_MAX * tokenizer.total
    terms = [
        TermCount(word, len(docs))
        for word, docs in documents.items()
        if len(docs) >= MIN_TERM_DOCUMENTS
        and word not in seen
        and tokenizer.FREQ.get(word, 0) < common
    ]
    return sorted(terms, key=lambda t: (-t.documents, t.term))[:TOP_DRIFT]


def drift(segments: Sequence[SegmentRow], training: Sequence[Example]) -> Drift:
    batch = _shares([s.labels for s in segments])
    trained = _shares([ex.labels for ex in training])
    # Normalised label distributions: occurrences (with none) summing to 1.
    batch_mass = sum(batch.values()) or 1.0
    trained_mass = sum(trained.values()) or 1.0
    total_variation = 0.5 * sum(
        abs(batch[label] / batch_mass - trained[label] / trained_mass) for label in batch
    )
    known = {span.text for ex in training for span in ex.entities}
    return Drift(
        training_segments=len(training),
        shift=[LabelShift(label, batch[label], trained[label]) for label in batch],
        total_variation=total_variation,
        new_terms=new_terms(segments, (ex.text for ex in training)),
        new_entities=[c for c in entity_counts(segments) if c.text not in known][:TOP_DRIFT],
    )


# ---------------------------------------------------------------------------
# The whole report


def summarize(results: Results, training: Sequence[Example] | None) -> BatchStats:
    """Everything the report shows; drift only when there is training data."""
    tagged = [d for d in results.documents if d.status == "ok"]
    low = sorted(
        (s for s in results.segments if s.confidence < LOW_CONFIDENCE),
        key=lambda s: (s.confidence, s.doc_id, s.segment_id),
    )
    entities = entity_counts(results.segments)
    return BatchStats(
        documents=len(results.documents),
        failed=[d for d in results.documents if d.status == "error"],
        tagged=tagged,
        segments=len(results.segments),
        models=sorted({d.model for d in tagged if d.model}),
        labels=label_counts(results.segments),
        agencies=group_counts(tagged, lambda d: d.metadata.agency),
        years=group_counts(tagged, _year, by_name=True),
        entities={
            label: [c for c in entities if c.label == label][:TOP_ENTITIES]
            for label in ENTITY_TYPES
        },
        low_confidence=low[:REVIEW_MAX],
        low_confidence_total=len(low),
        drift=drift(results.segments, training) if training else None,
    )
