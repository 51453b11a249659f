"""Choosing segments: multi-label uncertainty, entity entropy, diversity, no near-duplicates."""

from __future__ import annotations

import pytest

from annotation.sampling import (
    Strategy,
    binary_entropy,
    label_uncertainty,
    near_duplicate,
    select,
    shingles,
    uncertainty,
)
from models.schema import MEASURE_LABELS, Prediction, Span


def _prediction(entity_score: float | None = None, **scores: float) -> Prediction:
    full = {label: scores.get(label, 0.0) for label in MEASURE_LABELS}
    spans = []
    if entity_score is not None:
        spans = [Span(start=0, end=2, label="FUND", text="基金", score=entity_score)]
    return Prediction(labels=[], scores=full, entities=spans)


def test_sampling_label_uncertainty_peaks_at_the_threshold():
    assert label_uncertainty(0.3, 0.3) == 1.0
    assert label_uncertainty(0.0, 0.3) == 0.0
    assert label_uncertainty(1.0, 0.3) == 0.0
    assert label_uncertainty(0.15, 0.3) == pytest.approx(0.5)
    assert label_uncertainty(0.65, 0.3) == pytest.approx(0.5)


def test_sampling_uncertainty_uses_each_labels_calibrated_threshold():
    thresholds = dict.fromkeys(MEASURE_LABELS, 0.5) | {"funding": 0.2}
    near = uncertainty(_prediction(funding=0.21), thresholds)
    far = uncertainty(_prediction(funding=0.5), thresholds)
    assert near.labels > 0.95 > far.labels
    assert near.confidence < far.confidence


def test_sampling_entity_entropy_adds_to_the_total():
    plain = uncertainty(_prediction(talent=0.9))
    unsure_span = uncertainty(_prediction(entity_score=0.5, talent=0.9))
    sure_span = uncertainty(_prediction(entity_score=0.99, talent=0.9))
    assert binary_entropy(0.5) == 1.0
    assert unsure_span.total > sure_span.total > plain.total


def test_sampling_uncertainty_picks_the_segments_nearest_their_thresholds():
    texts = ["一号文本内容很长很长", "二号完全不同的话", "三号又是另一段话语", "四号其他别的句子"]
    predictions = [
        _prediction(talent=0.95),
        _prediction(talent=0.52),
        _prediction(entity_score=0.5, talent=0.05),
        _prediction(corpus=0.45),
    ]
    assert select(texts, 2, Strategy.uncertainty, predictions) == [1, 3]
    assert select(texts, 3, Strategy.uncertainty, predictions)[2] == 2


def test_sampling_skips_near_duplicates_of_known_and_of_each_other():
    base = "支持企业建设智能算力中心，对算力券给予补贴，推动算力资源统筹调度。"
    texts = [
        base,
        base.replace("。", "！"),
        "鼓励高校开展人工智能人才培养，建设实训基地。",
        base[:-3] + "。",
    ]
    predictions = [_prediction(talent=0.5)] * 4
    assert select(texts, 4, Strategy.uncertainty, predictions) == [0, 2]
    assert select(texts, 4, Strategy.uncertainty, predictions, known=[base]) == [2]
    assert near_duplicate(shingles(base), shingles(base + "另外还有一句话。"))
    assert not near_duplicate(shingles(base), shingles(texts[2]))


def test_sampling_random_is_seeded():
    texts = [f"第{i}段完全不同的内容{i * 7919}" for i in range(30)]
    first = select(texts, 5, Strategy.random, seed=1)
    assert first == select(texts, 5, Strategy.random, seed=1)
    assert first != select(texts, 5, Strategy.random, seed=2)
    assert len(set(first)) == 5


def test_sampling_diverse_covers_different_topics_first():
    texts = [
        "建设智能算力中心，统筹算力调度。",
        "建设智能算力中心，统筹算力资源调度和服务。",
        "引进海外高层次人才，提供人才公寓。",
        "设立人工智能产业基金，支持企业融资。",
    ]
    chosen = select(texts, 3, Strategy.diverse)
    assert sorted(chosen) == [0, 2, 3] or sorted(chosen) == [1, 2, 3]
    assert select(texts, 2, Strategy.diverse, known=[texts[2], texts[3]])[0] in (0, 1)


def test_sampling_needs_predictions_for_uncertainty():
    with pytest.raises(ValueError, match="needs the model's predictions"):
        select(["a"], 1, Strategy.uncertainty)


def test_sampling_document_cap_spreads_selection():
    from annotation.sampling import DocumentCap, Strategy, select

    texts = [f"第{i}条：设立专项资金支持企业第{i}项工作。" for i in range(12)]
    documents = ["a"] * 8 + ["b"] * 2 + ["c"] * 2
    cap = DocumentCap(documents, 2, {"b": 1})
    chosen = select(texts, 10, Strategy.random, seed=3, cap=cap)
    picked = [documents[i] for i in chosen]
    assert picked.count("a") == 2 and picked.count("b") == 1 and picked.count("c") == 2


def test_sampling_targeted_ranks_likely_positives_of_the_targets_first():
    texts = ["一号文本内容很长很长", "二号完全不同的话", "三号又是另一段话语", "四号其他别的句子"]
    predictions = [
        _prediction(talent=0.2),
        _prediction(compute=0.9),
        _prediction(entity_score=0.9),  # one FUND span
        _prediction(talent=0.6, security=0.99),
    ]
    assert select(texts, 2, Strategy.targeted, predictions, targets=["talent", "compute"]) == [
        1,
        3,
    ]
    assert select(texts, 1, Strategy.targeted, predictions, targets=["FUND"]) == [2]


def test_sampling_targeted_needs_targets_and_predictions():
    with pytest.raises(ValueError, match="targets"):
        select(["甲乙丙丁"], 1, Strategy.targeted, [_prediction()])
    with pytest.raises(ValueError, match="predictions"):
        select(["甲乙丙丁"], 1, Strategy.targeted, targets=["talent"])
