"""Leave-one-document-out: whole documents are held out, scores are pooled."""

from __future__ import annotations

import pytest

from models.crossval import folds_by_document, leave_one_document_out
from models.schema import Example


def _example(doc: str, i: int, text: str, labels: list[str]) -> Example:
    return Example(id=f"{doc}#s{i}", doc_id=doc, text=text, labels=labels)


EXAMPLES = [
    _example("a", 1, "设立天使母基金，给予资金补贴。", ["funding"]),
    _example("a", 2, "再次感谢您的建议。", []),
    _example("b", 1, "提供人才公寓，办理人才落户。", ["talent"]),
    _example("c", 1, "建设智算中心，发放算力券。", ["compute", "funding"]),
]


def test_crossval_folds_group_by_document():
    folds = folds_by_document(EXAMPLES)
    assert list(folds) == ["a", "b", "c"]
    assert [ex.id for ex in folds["a"]] == ["a#s1", "a#s2"]


def test_crossval_lodo_never_trains_on_the_test_document(monkeypatch):
    seen: list[tuple[set[str], int]] = []

    def fake_train(model_type, examples, seed, settings):
        from models.rules import RulesPredictor

        seen.append(({ex.document for ex in examples}, len(examples)))
        return RulesPredictor()

    monkeypatch.setattr("models.crossval.train_model", fake_train)
    result = leave_one_document_out(EXAMPLES, "rules")
    assert seen == [({"b", "c"}, 2), ({"a", "c"}, 3), ({"a", "b"}, 3)]
    assert result.fold_names == ["a", "b", "c"]
    assert result.report.pooled.n == 4
    assert [fold.n for fold in result.report.folds] == [2, 1, 1]
    assert [ex.id for ex in result.gold] == [ex.id for ex in result.predictions]


def test_crossval_needs_two_documents():
    with pytest.raises(ValueError, match="at least two documents"):
        leave_one_document_out(EXAMPLES[:2], "rules")


def test_crossval_cross_fitted_thresholds_rescue_low_scores(monkeypatch):
    from models.crossval import cross_validate
    from models.schema import MEASURE_LABELS, Prediction
    from policytag.settings import Settings

    class LowScores:
        """Scores funding 0.3 when 基金 appears: below 0.5, above the negatives."""

        name, version = "low", "low-1"

        def predict(self, texts):
            return [
                Prediction(
                    labels=[],
                    scores={label: 0.0 for label in MEASURE_LABELS}
                    | {"funding": 0.3 if "基金" in t else 0.1},
                )
                for t in texts
            ]

    monkeypatch.setattr("models.crossval.train_model", lambda *args: LowScores())
    monkeypatch.setattr("models.crossval.CROSS_FITTED_TYPES", ("low",))
    examples = [
        _example(doc, 1, text, labels)
        for doc, text, labels in [
            ("a", "设立天使母基金。", ["funding"]),
            ("b", "设立产业基金。", ["funding"]),
            ("c", "感谢建议。", []),
            ("d", "设立科创基金。", ["funding"]),
        ]
    ]
    result = cross_validate(examples, "low", Settings())
    assert result.thresholds is not None and 0.1 < result.thresholds["funding"] <= 0.3
    assert result.report.pooled.labels.per_label["funding"].f1 == 1.0
    assert [ex.labels for ex in result.predictions] == [["funding"], ["funding"], [], ["funding"]]
