"""Batch tagging: many documents in, one row per segment and per document out.

The CLI and the report share these row types. ``tag_inputs`` is a plain
generator: it tags documents in chunks through ``tag_documents`` (one predictor
call per chunk) and yields each chunk's rows with running counts, so the caller
decides how to show progress and where to write.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from annotation.sampling import uncertainty
from models.errors import ReadError
from models.predict import Predictor
from models.readers import InputDocument
from models.schema import (
    MeasureLabel,
    Prediction,
    ReplyMetadata,
    Span,
    TaggedDocument,
    TaggedSegment,
)
from models.tagging import tag_documents

BATCH_SIZE = 32


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SegmentRow(_Row):
    """One tagged segment with its document's source and metadata.

    ``confidence`` is ``1 -`` the label uncertainty of ``annotation.sampling``: 0
    when some label's score sits on its threshold, 1 when every label is certain.
    """

    doc_id: str
    source: str
    segment_id: str
    start: int
    end: int
    text: str
    labels: list[MeasureLabel]
    scores: dict[MeasureLabel, float]
    confidence: float
    entities: list[Span] = Field(default_factory=list)
    metadata: ReplyMetadata = Field(default_factory=ReplyMetadata)
    model: str


class DocumentRow(_Row):
    """The per-document summary; a file that could not be read has ``status="error"``."""

    doc_id: str
    source: str
    status: Literal["ok", "error"]
    error: str | None = None
    segment_count: int = 0
    labels: list[MeasureLabel] = Field(default_factory=list)
    label_scores: dict[MeasureLabel, float] = Field(default_factory=dict)
    entity_count: int = 0
    min_confidence: float | None = None
    metadata: ReplyMetadata = Field(default_factory=ReplyMetadata)
    model: str | None = None


@dataclass(frozen=True)
class BatchStep:
    """One chunk done: its rows, and counts since the batch started."""

    segments: list[SegmentRow]
    documents: list[DocumentRow]
    documents_done: int
    segments_done: int
    elapsed: float

    @property
    def documents_per_second(self) -> float:
        return self.documents_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def segments_per_second(self) -> float:
        return self.segments_done / self.elapsed if self.elapsed > 0 else 0.0


def _thresholds(predictor: Predictor) -> Mapping[MeasureLabel, float] | None:
    """A model's tuned per-label thresholds; rules decide at 0.5 and have none."""
    thresholds = getattr(predictor, "thresholds", None)
    return thresholds if isinstance(thresholds, Mapping) else None


def _confidence(segment: TaggedSegment, thresholds: Mapping[MeasureLabel, float] | None) -> float:
    prediction = Prediction(labels=segment.labels, scores=segment.scores, entities=segment.entities)
    return uncertainty(prediction, thresholds).confidence


def document_rows(
    item: InputDocument,
    tagged: TaggedDocument,
    model: str,
    thresholds: Mapping[MeasureLabel, float] | None = None,
) -> tuple[list[SegmentRow], DocumentRow]:
    """The rows of one tagged document."""
    metadata = tagged.metadata or ReplyMetadata()
    segments = [
        SegmentRow(
            doc_id=item.doc_id,
            source=item.source,
            segment_id=segment.id,
            start=segment.start,
            end=segment.end,
            text=segment.text,
            labels=segment.labels,
            scores=segment.scores,
            confidence=_confidence(segment, thresholds),
            entities=segment.entities,
            metadata=metadata,
            model=model,
        )
        for segment in tagged.segments
    ]
    summary = DocumentRow(
        doc_id=item.doc_id,
        source=item.source,
        status="ok",
        segment_count=len(segments),
        labels=tagged.labels,
        label_scores=tagged.label_scores,
        entity_count=sum(len(s.entities) for s in segments),
        min_confidence=min((s.confidence for s in segments), default=None),
        metadata=metadata,
        model=model,
    )
    return segments, summary


def error_row(item: InputDocument, error: ReadError) -> DocumentRow:
    return DocumentRow(doc_id=item.doc_id, source=item.source, status="error", error=str(error))


def tag_inputs(
    documents: Iterable[InputDocument],
    predictor: Predictor,
    batch_size: int = BATCH_SIZE,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[BatchStep]:
    """Tag documents ``batch_size`` at a time; unreadable ones become error rows.

    Reading happens as the iterator is consumed, so the elapsed time and rates
    include reading and segmenting, not only the model.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    thresholds = _thresholds(predictor)
    started = clock()
    documents_done = segments_done = 0
    iterator = iter(documents)
    while chunk := list(itertools.islice(iterator, batch_size)):
        texts = [item.text for item in chunk if isinstance(item.text, str)]
        ids = [item.doc_id for item in chunk if isinstance(item.text, str)]
        tagged = iter(tag_documents(texts, predictor, ids=ids))
        segment_rows: list[SegmentRow] = []
        summaries: list[DocumentRow] = []
        for item in chunk:
            if isinstance(item.text, ReadError):
                summaries.append(error_row(item, item.text))
                continue
            rows, summary = document_rows(item, next(tagged), predictor.version, thresholds)
            segment_rows.extend(rows)
            summaries.append(summary)
        documents_done += len(chunk)
        segments_done += len(segment_rows)
        yield BatchStep(segment_rows, summaries, documents_done, segments_done, clock() - started)
