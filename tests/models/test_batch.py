"""Batch tagging: chunks through tag_documents, error rows, counts and confidence."""

from __future__ import annotations

import itertools

import pytest

from models.batch import tag_inputs
from models.errors import ReadError
from models.readers import InputDocument
from tests.models.test_tagging import REPLY, KeywordPredictor


class TunedPredictor(KeywordPredictor):
    """The fake with tuned thresholds: funding is decided at 0.8."""

    def __init__(self) -> None:
        super().__init__()
        self.thresholds = {"funding": 0.8}


def _inputs(n: int, broken: set[int] = frozenset()) -> list[InputDocument]:
    return [
        InputDocument(
            f"d{i}",
            f"d{i}.txt",
            ReadError(f"d{i}.txt: file is empty") if i in broken else REPLY,
        )
        for i in range(n)
    ]


def test_batch_tags_in_chunks_with_running_counts():
    predictor = KeywordPredictor()
    ticks = itertools.count(start=0.0, step=0.5)
    steps = list(
        tag_inputs(_inputs(5, broken={1}), predictor, batch_size=2, clock=lambda: next(ticks))
    )

    assert len(predictor.calls) == 3  # one model call per chunk of two documents
    assert [s.documents_done for s in steps] == [2, 4, 5]
    assert [s.segments_done for s in steps] == [2, 6, 8]
    assert [s.elapsed for s in steps] == [0.5, 1.0, 1.5]
    assert steps[-1].documents_per_second == pytest.approx(5 / 1.5)
    assert steps[-1].segments_per_second == pytest.approx(8 / 1.5)
    documents = [d for s in steps for d in s.documents]
    assert [d.doc_id for d in documents] == ["d0", "d1", "d2", "d3", "d4"]


def test_batch_unreadable_documents_become_error_rows():
    [step] = tag_inputs(_inputs(2, broken={0}), KeywordPredictor())
    failed, tagged = step.documents
    assert (failed.status, failed.error, failed.segment_count) == (
        "error",
        "d0.txt: file is empty",
        0,
    )
    assert tagged.status == "ok" and tagged.segment_count == 2
    assert {s.doc_id for s in step.segments} == {"d1"}


def test_batch_rows_carry_source_metadata_labels_and_entities():
    [step] = tag_inputs(_inputs(1), KeywordPredictor())
    first, second = step.segments
    assert (first.source, first.segment_id, first.model) == ("d0.txt", "d0#s01", "fake-1")
    assert first.text == "一、设立天使母基金，支持初创企业。"
    assert first.labels == ["funding"] and first.scores["funding"] == 0.9
    assert [e.text for e in first.entities] == ["天使母基金"]
    assert first.metadata.addressee == "张三委员"
    [summary] = step.documents
    assert summary.labels == ["funding"] and summary.entity_count == 1
    assert summary.label_scores["funding"] == 0.9
    assert summary.min_confidence == min(first.confidence, second.confidence)


def test_batch_confidence_uses_the_models_thresholds():
    [plain] = tag_inputs(_inputs(1), KeywordPredictor())
    [tuned] = tag_inputs(_inputs(1), TunedPredictor())
    # 0.9 against 0.5 is a clear call; against 0.8 it is close, and 0.1 vs 0.5 for the rest.
    assert plain.segments[0].confidence == pytest.approx(0.8)
    assert tuned.segments[0].confidence == pytest.approx(0.5)


def test_batch_rejects_a_zero_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        next(tag_inputs(_inputs(1), KeywordPredictor(), batch_size=0))
