"""Tagging whole documents: segment, predict in one batch, and roll up.

The service, the batch CLI and annotation all tag documents through here, so a
document means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.metadata import extract_metadata
from models.predict import Predictor
from models.schema import MEASURE_LABELS, Segment, TaggedDocument, TaggedSegment
from models.segment import clean, segment


def _segments(text: str, doc_id: str, split: bool) -> list[Segment]:
    if split:
        return segment(text, doc_id)
    cleaned = clean(text)
    if not cleaned.text:
        return []
    start, end = cleaned.span
    return [Segment(id=f"{doc_id}#s01", doc_id=doc_id, start=start, end=end, text=cleaned.text)]


def tag_documents(
    texts: Sequence[str],
    predictor: Predictor,
    ids: Sequence[str] | None = None,
    split: bool = True,
    include_metadata: bool = True,
) -> list[TaggedDocument]:
    """Tag many documents with one predictor call over all their segments.

    ``split=False`` treats each cleaned text as a single segment. A document's
    labels are the union of its segments' labels; its label scores are the max.
    """
    ids = list(ids) if ids is not None else [f"doc-{i + 1}" for i in range(len(texts))]
    if len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
    per_document = [_segments(text, doc_id, split) for text, doc_id in zip(texts, ids, strict=True)]
    flat = [seg for segments in per_document for seg in segments]
    predictions = iter(predictor.predict([seg.text for seg in flat]))
    documents = []
    for text, doc_id, segments in zip(texts, ids, per_document, strict=True):
        tagged = [
            TaggedSegment(
                id=seg.id,
                start=seg.start,
                end=seg.end,
                text=seg.text,
                labels=(p := next(predictions)).labels,
                scores=p.scores,
                entities=p.entities,
            )
            for seg in segments
        ]
        label_scores = {
            label: max((s.scores.get(label, 0.0) for s in tagged), default=0.0)
            for label in MEASURE_LABELS
        }
        labels = [label for label in MEASURE_LABELS if any(label in s.labels for s in tagged)]
        documents.append(
            TaggedDocument(
                id=doc_id,
                metadata=extract_metadata(text) if include_metadata else None,
                labels=labels,
                label_scores=label_scores,
                segments=tagged,
            )
        )
    return documents
