"""What the batch report counts: labels, groups, entities, review list and drift."""

from __future__ import annotations

import pytest

from models import batch_stats
from models.batch import DocumentRow, SegmentRow
from models.batch_stats import (
    NONE_LABEL,
    OTHER,
    UNKNOWN,
    drift,
    entity_counts,
    group_counts,
    label_counts,
    summarize,
)
from models.outputs import Results
from models.schema import MEASURE_LABELS, Example, ReplyMetadata, Span


def seg(
    doc: str,
    labels: list[str],
    text: str = "设立算力券。",
    confidence: float = 0.9,
    entities: tuple[tuple[str, str], ...] = (),
) -> SegmentRow:
    spans = []
    for label, name in entities:
        start = text.index(name)
        spans.append(Span(start=start, end=start + len(name), label=label, text=name))
    return SegmentRow(
        doc_id=doc,
        source=f"{doc}.txt",
        segment_id=f"{doc}#s01",
        start=0,
        end=len(text),
        text=text,
        labels=labels,
        scores={label: 0.9 if label in labels else 0.1 for label in MEASURE_LABELS},
        confidence=confidence,
        entities=spans,
        model="fake-1",
    )


def doc(
    name: str,
    labels: list[str],
    agency: str | None = None,
    date: str | None = None,
    status: str = "ok",
) -> DocumentRow:
    return DocumentRow(
        doc_id=name,
        source=f"{name}.txt",
        status=status,
        labels=labels,
        metadata=ReplyMetadata(agency=agency, date=date),
        model="fake-1",
    )


def test_batch_stats_label_counts_per_segment_and_document():
    counts = {
        c.label: c
        for c in label_counts(
            [seg("a", ["funding"]), seg("a", ["funding", "talent"]), seg("b", [])]
        )
    }
    assert (counts["funding"].segments, counts["funding"].documents) == (2, 1)
    assert counts["funding"].segment_share == pytest.approx(2 / 3)
    assert (counts["talent"].segments, counts[NONE_LABEL].segments) == (1, 1)
    assert counts["compute"].segment_share == 0.0


def test_batch_stats_groups_largest_first_rest_as_other_unknown_last(monkeypatch):
    monkeypatch.setattr(batch_stats, "TOP_GROUPS", 2)
    documents = [
        doc("1", ["funding"], "甲局"),
        doc("2", ["talent"], "甲局"),
        doc("3", [], "乙局"),
        doc("4", ["funding"], "丙局"),
        doc("5", [], None),
        doc("6", [], None),
        doc("7", [], None),
    ]
    groups = group_counts(documents, lambda d: d.metadata.agency)
    assert [(g.name, g.documents) for g in groups] == [
        ("甲局", 2),
        ("丙局", 1),
        (OTHER, 1),
        (UNKNOWN, 3),
    ]
    assert groups[0].labels["funding"] == 1 and groups[0].labels["talent"] == 1


def test_batch_stats_years_in_order():
    documents = [
        doc("1", [], date="2025-01-02"),
        doc("2", [], date="2023-05-06"),
        doc("3", [], date="2025-03-04"),
    ]
    stats = summarize(Results([], documents), training=None)
    assert [(g.name, g.documents) for g in stats.years] == [("2023", 1), ("2025", 2)]


def test_batch_stats_entities_by_documents_then_mentions():
    text = "设立天使母基金和引导基金，支持初创企业。"
    segments = [
        seg("a", ["funding"], text, entities=(("FUND", "天使母基金"), ("FUND", "引导基金"))),
        seg("b", ["funding"], text, entities=(("FUND", "天使母基金"),)),
        seg("b", ["funding"], text, entities=(("FUND", "引导基金"),)),
    ]
    counts = [(c.text, c.documents, c.mentions) for c in entity_counts(segments)]
    assert counts == [("天使母基金", 2, 2), ("引导基金", 2, 2)]


def test_batch_stats_review_list_is_the_least_confident_below_the_cutoff():
    segments = [
        seg("a", [], confidence=0.3),
        seg("b", [], confidence=0.1),
        seg("c", [], confidence=0.95),
    ]
    stats = summarize(Results(segments, [doc(n, []) for n in "abc"]), training=None)
    assert [s.doc_id for s in stats.low_confidence] == ["b", "a"]
    assert stats.low_confidence_total == 2
    assert stats.drift is None


def test_batch_stats_failed_documents_are_listed_apart():
    documents = [doc("a", []), doc("b", [], status="error")]
    stats = summarize(Results([], documents), training=None)
    assert stats.documents == 2
    assert [d.doc_id for d in stats.failed] == ["b"] and [d.doc_id for d in stats.tagged] == ["a"]


def test_batch_stats_drift_label_shift_and_total_variation():
    training = [
        Example(id="t1", text="人才", labels=["talent"]),
        Example(id="t2", text="人才", labels=["talent"]),
    ]
    batch = [seg("a", ["funding"]), seg("b", ["talent"])]
    result = drift(batch, training)
    shift = {s.label: s for s in result.shift}
    assert (shift["talent"].training, shift["talent"].batch) == (1.0, 0.5)
    assert shift["talent"].delta == -0.5 and shift["talent"].flagged
    assert shift["funding"].delta == 0.5 and not shift["compute"].flagged
    assert result.total_variation == pytest.approx(0.5)
    assert (
        drift(
            batch,
            [
                Example(id="t", text="x", labels=["funding"]),
                Example(id="u", text="y", labels=["talent"]),
            ],
        ).total_variation
        == 0.0
    )


def test_batch_stats_drift_new_terms_and_entities():
    training = [
        Example(
            id="t1",
            text="设立天使母基金，支持企业发展。",
            labels=["funding"],
            entities=[Span(start=2, end=7, label="FUND", text="天使母基金")],
        )
    ]
    text = "设立天使母基金和孵化器，对接区域全面经济伙伴关系协定。"
    batch = [
        seg(d, ["funding"], text, entities=(("FUND", "天使母基金"), ("PROGRAM", "孵化器")))
        for d in ("a", "b", "c")
    ] + [seg("d", [], "海关总署发布公告。")]
    result = drift(batch, training)
    terms = {t.term: t.documents for t in result.new_terms}
    assert terms == {"孵化器": 3, "伙伴关系": 3}
    # not: 海关总署 (one document), 天使/基金 (in training), 经济/区域 (everyday words)
    assert [(e.label, e.text, e.documents) for e in result.new_entities] == [
        ("PROGRAM", "孵化器", 3)
    ]
