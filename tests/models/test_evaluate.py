"""Hand-computed cases for the one scorer; every expected number is worked out here."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from models.evaluate import (
    PRF,
    data_hash,
    errors,
    evaluate,
    evaluate_folds,
    score_entities,
    score_labels,
    write_errors,
)
from models.schema import ENTITY_TYPES, MEASURE_LABELS, EntityType, Example, MeasureLabel, Span

TEXT_A = "印发《青年英才计划》并设立专项资金"
TEXT_B = "建设算力中心和开放语料平台"
TEXT_C = "加强数据安全，举办出海论坛"
TEXT_D = "今年道路维修工程已完工"


def span(text: str, part: str, kind: EntityType, skip: int = 0) -> Span:
    """A span over the first (or ``skip``-th later) occurrence of ``part``."""
    start = text.index(part)
    for _ in range(skip):
        start = text.index(part, start + 1)
    return Span(start=start, end=start + len(part), label=kind, text=part)


def at(text: str, start: int, end: int, kind: EntityType) -> Span:
    return Span(start=start, end=end, label=kind, text=text[start:end])


def ex(
    id: str, text: str, labels: Sequence[MeasureLabel] = (), entities: Sequence[Span] = ()
) -> Example:
    return Example(id=id, text=text, labels=list(labels), entities=list(entities))


def gold_set() -> list[Example]:
    """Three segments covering all six labels and three entity types, one empty."""
    return [
        ex(
            "d1#0",
            TEXT_A,
            ["talent", "funding"],
            [span(TEXT_A, "《青年英才计划》", "POLICY"), span(TEXT_A, "专项资金", "FUND")],
        ),
        ex("d1#1", TEXT_B, ["compute", "corpus"], [span(TEXT_B, "开放语料平台", "PLATFORM")]),
        ex("d2#0", TEXT_C, ["security", "overseas"], [span(TEXT_C, "出海论坛", "EVENT")]),
        ex("d2#1", TEXT_D),
    ]


def blank(gold: list[Example]) -> list[Example]:
    return [ex(g.id, g.text) for g in gold]


# --- the counter ---------------------------------------------------------------------


def test_evaluate_prf_adds_and_defaults_to_zero() -> None:
    empty = PRF()
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)
    total = PRF(tp=1, fp=1) + PRF(tp=1, fn=2)
    total += PRF(fp=0, fn=0)
    assert (total.tp, total.fp, total.fn) == (2, 1, 2)
    assert total.precision == pytest.approx(2 / 3)
    assert total.recall == pytest.approx(0.5)
    assert total.f1 == pytest.approx(4 / 7)  # 2*2 / (2*2 + 1 + 2)
    assert PRF(fp=3, fn=3).f1 == 0.0


def test_evaluate_prf_compare_counts_multisets() -> None:
    counts = PRF.compare(["a", "a", "b"], ["a", "c"])
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 2)


# --- whole-set behaviours ------------------------------------------------------------


def test_evaluate_perfect_prediction() -> None:
    gold = gold_set()
    report = evaluate(gold, list(reversed(gold)), "perfect-1")
    labels, entities = report.labels, report.entities
    assert report.n == 4
    assert labels.micro_f1 == 1.0
    assert labels.macro_f1 == 1.0
    assert labels.macro_f1_present == 1.0
    assert labels.subset_accuracy == 1.0
    assert all(labels.per_label[label].f1 == 1.0 for label in MEASURE_LABELS)
    assert all(labels.per_label[label].support == 1 for label in MEASURE_LABELS)
    assert (entities.f1, entities.precision, entities.recall, entities.partial_f1) == (
        1.0,
        1.0,
        1.0,
        1.0,
    )
    assert entities.support == entities.predicted == 4
    assert entities.per_type["PROGRAM"].support == 0
    assert entities.per_type["PROGRAM"].f1 == 0.0  # no gold, none predicted: 0 by convention


def test_evaluate_empty_predictions() -> None:
    gold = gold_set()
    report = evaluate(gold, blank(gold), "empty")
    labels, entities = report.labels, report.entities
    assert (labels.micro_precision, labels.micro_recall, labels.micro_f1) == (0.0, 0.0, 0.0)
    assert labels.macro_f1 == labels.macro_f1_present == 0.0
    assert labels.per_label["talent"].support == 1
    assert labels.per_label["talent"].predicted == 0
    assert labels.subset_accuracy == 0.25  # only the unlabelled d2#1 is exact
    assert labels.none_rate_gold == 0.25
    assert labels.none_rate_pred == 1.0
    assert (entities.precision, entities.recall, entities.f1, entities.partial_f1) == (
        0.0,
        0.0,
        0.0,
        0.0,
    )
    assert entities.support == 4
    assert entities.predicted == 0


def test_evaluate_everything_wrong() -> None:
    gold = [ex("a", TEXT_A, ["talent"]), ex("b", TEXT_B, ["compute", "corpus"])]
    pred = [ex("a", TEXT_A, ["security"]), ex("b", TEXT_B, ["overseas"])]
    scores = score_labels(gold, pred)
    assert scores.micro_precision == scores.micro_recall == scores.micro_f1 == 0.0
    assert scores.macro_f1 == scores.macro_f1_present == 0.0
    assert scores.subset_accuracy == 0.0
    assert scores.per_label["security"].predicted == 1
    assert scores.per_label["security"].support == 0
    assert scores.per_label["compute"].support == 1
    assert scores.per_label["compute"].predicted == 0


def test_evaluate_mixed_labels_micro_macro_and_subset() -> None:
    # talent: tp1 fn1 -> F1 2/3; compute: tp1 -> 1; corpus: fp1 -> 0; funding: fp1 fn1 -> 0.
    gold = [
        ex("1", TEXT_A, ["talent", "funding"]),
        ex("2", TEXT_B, ["compute"]),
        ex("3", TEXT_D),
        ex("4", TEXT_A, ["talent"]),
    ]
    pred = [
        ex("1", TEXT_A, ["talent"]),
        ex("2", TEXT_B, ["compute", "corpus"]),
        ex("3", TEXT_D),
        ex("4", TEXT_A, ["funding"]),
    ]
    scores = score_labels(gold, pred)
    assert scores.per_label["talent"].f1 == pytest.approx(2 / 3)
    assert scores.per_label["talent"].precision == 1.0
    assert scores.per_label["talent"].recall == 0.5
    assert scores.per_label["compute"].f1 == 1.0
    assert scores.per_label["corpus"].f1 == 0.0
    assert scores.per_label["corpus"].predicted == 1
    assert scores.per_label["funding"].f1 == 0.0
    # micro: tp 2, fp 2, fn 2
    assert scores.micro_precision == 0.5
    assert scores.micro_recall == 0.5
    assert scores.micro_f1 == 0.5
    assert scores.macro_f1 == pytest.approx(5 / 18)  # (2/3 + 1) / 6
    assert scores.macro_f1_present == pytest.approx(5 / 9)  # talent, compute, funding
    assert scores.subset_accuracy == 0.25  # only "3"


def test_evaluate_labels_absent_from_gold() -> None:
    gold = [ex("1", TEXT_A, ["talent"]), ex("2", TEXT_B, ["compute"])]
    scores = score_labels(gold, gold)
    assert scores.macro_f1 == pytest.approx(2 / 6)  # four absent labels count as 0
    assert scores.macro_f1_present == 1.0
    assert scores.micro_f1 == 1.0
    assert scores.per_label["overseas"].support == 0


def test_evaluate_none_rate() -> None:
    gold = [
        ex("1", TEXT_A, ["talent"]),
        ex("2", TEXT_B, ["compute"]),
        ex("3", TEXT_C, ["security"]),
        ex("4", TEXT_D),
    ]
    pred = [
        ex("1", TEXT_A, ["talent"]),
        ex("2", TEXT_B),
        ex("3", TEXT_C),
        ex("4", TEXT_D, ["funding"]),
    ]
    scores = score_labels(gold, pred)
    assert scores.none_rate_gold == 0.25
    assert scores.none_rate_pred == 0.5


def test_evaluate_subset_accuracy() -> None:
    gold = [
        ex("1", TEXT_A, ["talent", "funding"]),
        ex("2", TEXT_B, ["compute"]),
        ex("3", TEXT_D),
    ]
    pred = [
        ex("1", TEXT_A, ["funding", "talent"]),  # same set, other order: exact
        ex("2", TEXT_B, ["compute", "corpus"]),  # superset: not exact
        ex("3", TEXT_D, ["security"]),  # anything for a none: not exact
    ]
    assert score_labels(gold, pred).subset_accuracy == pytest.approx(1 / 3)


# --- entities ------------------------------------------------------------------------


def test_evaluate_partial_spans_count_for_partial_not_strict() -> None:
    gold = [ex("1", TEXT_A, entities=[span(TEXT_A, "《青年英才计划》", "POLICY")])]
    pred = [ex("1", TEXT_A, entities=[span(TEXT_A, "青年英才计划", "POLICY")])]
    scores = score_entities(gold, pred)
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)
    assert (scores.partial_precision, scores.partial_recall, scores.partial_f1) == (
        1.0,
        1.0,
        1.0,
    )
    assert scores.per_type["POLICY"].support == 1
    assert scores.per_type["POLICY"].predicted == 1


def test_evaluate_partial_matches_each_gold_once() -> None:
    # One prediction covering two gold spans matches one of them only.
    gold = [
        ex(
            "1",
            TEXT_B,
            entities=[span(TEXT_B, "算力中心", "PLATFORM"), span(TEXT_B, "语料平台", "PLATFORM")],
        )
    ]
    pred = [ex("1", TEXT_B, entities=[span(TEXT_B, "算力中心和开放语料平台", "PLATFORM")])]
    scores = score_entities(gold, pred)
    assert scores.f1 == 0.0
    assert scores.partial_precision == 1.0
    assert scores.partial_recall == 0.5
    assert scores.partial_f1 == pytest.approx(2 / 3)
    # Two predictions overlapping the same gold span: one matches, one is extra.
    gold = [ex("2", TEXT_B, entities=[span(TEXT_B, "开放语料平台", "PLATFORM")])]
    pred = [
        ex(
            "2",
            TEXT_B,
            entities=[span(TEXT_B, "开放语料", "PLATFORM"), span(TEXT_B, "语料平台", "PLATFORM")],
        )
    ]
    scores = score_entities(gold, pred)
    assert scores.partial_precision == 0.5
    assert scores.partial_recall == 1.0


def test_evaluate_partial_uses_best_one_to_one_matching() -> None:
    # Pred x overlaps gold g1 and g2, pred y overlaps only g1: x->g2, y->g1 matches both.
    text = "一二三四五六七八九十"
    gold = [ex("1", text, entities=[at(text, 0, 4, "PROGRAM"), at(text, 5, 8, "PROGRAM")])]
    pred = [ex("1", text, entities=[at(text, 2, 6, "PROGRAM"), at(text, 1, 3, "PROGRAM")])]
    scores = score_entities(gold, pred)
    assert scores.partial_f1 == 1.0
    assert scores.f1 == 0.0


def test_evaluate_wrong_type_same_boundaries() -> None:
    gold = [ex("1", TEXT_A, entities=[span(TEXT_A, "专项资金", "FUND")])]
    pred = [ex("1", TEXT_A, entities=[span(TEXT_A, "专项资金", "PROGRAM")])]
    scores = score_entities(gold, pred)
    assert scores.f1 == 0.0
    assert scores.partial_f1 == 0.0
    assert scores.per_type["FUND"].support == 1
    assert scores.per_type["FUND"].predicted == 0
    assert scores.per_type["PROGRAM"].support == 0
    assert scores.per_type["PROGRAM"].predicted == 1


def test_evaluate_entities_strict_per_type() -> None:
    gold = gold_set()
    pred = [
        # POLICY right, FUND missed
        ex("d1#0", TEXT_A, entities=[span(TEXT_A, "《青年英才计划》", "POLICY")]),
        # PLATFORM right, an extra EVENT
        ex(
            "d1#1",
            TEXT_B,
            entities=[span(TEXT_B, "开放语料平台", "PLATFORM"), span(TEXT_B, "算力中心", "EVENT")],
        ),
        ex("d2#0", TEXT_C, entities=[span(TEXT_C, "出海论坛", "EVENT")]),
        ex("d2#1", TEXT_D),
    ]
    scores = score_entities(gold, pred)
    # tp 3, fp 1, fn 1
    assert scores.precision == 0.75
    assert scores.recall == 0.75
    assert scores.f1 == 0.75
    assert scores.per_type["EVENT"].precision == 0.5
    assert scores.per_type["EVENT"].recall == 1.0
    assert scores.per_type["EVENT"].f1 == pytest.approx(2 / 3)
    assert scores.per_type["FUND"].recall == 0.0
    assert set(scores.per_type) == set(ENTITY_TYPES)


# --- pairing, report shape, errors ---------------------------------------------------


def test_evaluate_id_mismatch_raises() -> None:
    gold = [ex("1", TEXT_A), ex("2", TEXT_B)]
    with pytest.raises(ValueError, match=r"no prediction.*'2'"):
        evaluate(gold, [ex("1", TEXT_A)], "m")
    with pytest.raises(ValueError, match=r"not in gold.*'3'"):
        evaluate(gold, [ex("1", TEXT_A), ex("2", TEXT_B), ex("3", TEXT_C)], "m")
    with pytest.raises(ValueError, match="predictions repeat ids"):
        score_labels(gold, [ex("1", TEXT_A), ex("1", TEXT_A), ex("2", TEXT_B)])
    with pytest.raises(ValueError, match="different text"):
        score_entities(gold, [ex("1", TEXT_A), ex("2", TEXT_C)])
    with pytest.raises(ValueError, match="empty"):
        evaluate([], [], "m")


def test_evaluate_report_shape() -> None:
    gold = gold_set()
    dumped = evaluate(gold, gold, "rules-0.1").model_dump()
    assert dumped["model_version"] == "rules-0.1"
    assert dumped["n"] == 4
    assert dumped["data_hash"] == data_hash(gold)
    assert len(dumped["data_hash"]) == 64
    assert "T" in dumped["created"]
    assert isinstance(dumped["labels"]["micro_f1"], float)
    assert isinstance(dumped["labels"]["macro_f1"], float)
    assert set(dumped["labels"]["per_label"]) == set(MEASURE_LABELS)
    assert set(dumped["labels"]["per_label"]["talent"]) >= {
        "precision",
        "recall",
        "f1",
        "support",
        "predicted",
    }
    assert {"f1", "precision", "recall", "per_type", "partial_f1"} <= set(dumped["entities"])
    assert set(dumped["entities"]["per_type"]) == set(ENTITY_TYPES)
    json.dumps(dumped)  # plain JSON types throughout


def test_evaluate_data_hash_ignores_order_not_content() -> None:
    gold = gold_set()
    assert data_hash(gold) == data_hash(list(reversed(gold)))
    changed = [*gold[:3], ex("d2#1", TEXT_D, ["talent"])]
    assert data_hash(changed) != data_hash(gold)


def test_evaluate_folds_pools_before_scoring() -> None:
    # Fold 1: one talent, found. Fold 2: three talents, none found.
    # Pooled recall is 1/4 (F1 0.4); the mean of per-fold F1 would be 0.5.
    fold1 = [ex("1", TEXT_A, ["talent"])]
    fold2 = [ex(str(i), TEXT_A, ["talent"]) for i in (2, 3, 4)]
    cv = evaluate_folds([(fold1, fold1), (fold2, blank(fold2))], "tfidf")
    assert cv.pooled.n == 4
    assert cv.pooled.labels.micro_f1 == pytest.approx(0.4)
    assert [f.labels.micro_f1 for f in cv.folds] == [1.0, 0.0]
    assert cv.pooled.data_hash == data_hash(fold1 + fold2)
    with pytest.raises(ValueError, match="gold repeat ids"):
        evaluate_folds([(fold1, fold1), (fold1, fold1)], "tfidf")


def test_evaluate_errors_output(tmp_path) -> None:
    gold = gold_set()
    pred = [
        ex(
            "d1#0",
            TEXT_A,
            ["talent"],
            [span(TEXT_A, "《青年英才计划》", "POLICY"), span(TEXT_A, "专项资金", "PROGRAM")],
        ),
        gold[1],
        ex("d2#0", TEXT_C, ["overseas", "security"], [span(TEXT_C, "出海论坛", "EVENT")]),
        ex("d2#1", TEXT_D, ["compute"]),
    ]
    rows = errors(gold, pred)
    assert [r["id"] for r in rows] == ["d1#0", "d2#1"]
    first = rows[0]
    assert first["text"] == TEXT_A
    assert first["gold_labels"] == ["talent", "funding"]
    assert first["pred_labels"] == ["talent"]
    assert first["missing_labels"] == ["funding"]
    assert first["extra_labels"] == []
    assert first["missing_entities"] == [
        {"start": 13, "end": 17, "label": "FUND", "text": "专项资金"}
    ]
    assert first["extra_entities"] == [
        {"start": 13, "end": 17, "label": "PROGRAM", "text": "专项资金"}
    ]
    assert len(first["gold_entities"]) == len(first["pred_entities"]) == 2
    second = rows[1]
    assert second["missing_labels"] == []
    assert second["extra_labels"] == ["compute"]
    assert second["missing_entities"] == second["extra_entities"] == []

    out = tmp_path / "errors.jsonl"
    write_errors(out, rows)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    assert "专项资金" in lines[0]  # written as UTF-8, not \u escapes


def test_evaluate_errors_lists_repeated_span_once_per_miss() -> None:
    text = "设立基金，设立基金"
    both = [span(text, "基金", "FUND"), span(text, "基金", "FUND", skip=1)]
    gold = [ex("1", text, entities=both)]
    pred = [ex("1", text, entities=both[:1])]
    (row,) = errors(gold, pred)
    assert row["missing_entities"] == [{"start": 7, "end": 9, "label": "FUND", "text": "基金"}]
    assert row["extra_entities"] == []
