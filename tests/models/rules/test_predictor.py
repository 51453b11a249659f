"""RulesPredictor: the Predictor protocol, offsets, scores and versions."""

from __future__ import annotations

import pytest

from models.predict import Predictor
from models.rules import LABELLING_FUNCTIONS, Gazetteer, RulesPredictor
from models.schema import MEASURE_LABELS, check_spans

TRICKY = [
    "",
    " ",
    "ABC123",
    "《》“”（）「」‘’",
    "《",
    "“明珠计划",
    "（GTP）",
    "全角，标点：；！？（１２３）ＡＢＣ",
    "2024世界人工智能大会（WAIC）于7月开幕🚀，“明日城市·上海”大会同期举办。",
    "第一行：实施明珠计划\n第二行：建设“数管平台”\r\n第三行《》",
    "🚀🚀《浦东新区人工智能条例》🚀（浦东AI“10条”）🚀",
    "一带一路一带一路东数西算",
    "“1+1+N”人才体系“1+4+6+N”的公共服务平台体系",
    "x" * 300 + "明珠计划",
]


@pytest.fixture(scope="module")
def predictor() -> RulesPredictor:
    return RulesPredictor(
        Gazetteer({"明珠计划": "PROGRAM", "GTP": "PROGRAM", "一带一路": "PROGRAM"})
    )


def test_predictor_implements_the_protocol(predictor):
    assert isinstance(predictor, Predictor)
    assert predictor.name == "rules"
    assert predictor.version.startswith("rules-")


def test_predictor_returns_one_prediction_per_text_in_order(predictor):
    texts = ["为企业发放算力券。", "", "引进海外人才。"]
    predictions = predictor.predict(texts)
    assert len(predictions) == 3
    assert "compute" in predictions[0].labels
    assert predictions[1].labels == []
    assert predictions[2].labels == ["talent"]
    assert predictor.predict([]) == []


@pytest.mark.parametrize("text", TRICKY)
def test_predictor_offsets_always_valid_on_tricky_strings(predictor, text):
    (prediction,) = predictor.predict([text])
    check_spans(text, prediction.entities)
    for span in prediction.entities:
        assert text[span.start : span.end] == span.text
        assert 0 <= span.start < span.end <= len(text)
        assert span.score is not None and 0.0 <= span.score <= 1.0


def test_predictor_spans_do_not_overlap(predictor):
    for text in TRICKY:
        (prediction,) = predictor.predict([text])
        covered = [i for span in prediction.entities for i in range(span.start, span.end)]
        assert len(covered) == len(set(covered)), text


def test_predictor_empty_text_gets_nothing(predictor):
    (prediction,) = predictor.predict([""])
    assert prediction.labels == [] and prediction.entities == []
    assert set(prediction.scores) == set(MEASURE_LABELS)
    assert all(score < 0.5 for score in prediction.scores.values())


def test_predictor_labels_are_scores_at_or_above_half(predictor):
    (prediction,) = predictor.predict(["区财政安排专项资金支持算力中心建设，并引进海外人才。"])
    assert prediction.labels == [
        label for label in MEASURE_LABELS if prediction.scores[label] >= 0.5
    ]


def test_predictor_gazetteer_spans_score_higher_than_pattern_guesses():
    text = "实施明珠计划，设立天使母基金。"
    (prediction,) = RulesPredictor(Gazetteer({"明珠计划": "PROGRAM"})).predict([text])
    scores = {span.text: span.score for span in prediction.entities}
    assert scores["明珠计划"] > scores["天使母基金"]


def test_predictor_label_matrix_matches_function_names(predictor):
    matrix = predictor.label_matrix(["引进人才。", "感谢支持。"])
    assert len(matrix) == 2
    assert all(len(row) == len(predictor.function_names) for row in matrix)


def test_predictor_version_is_stable_for_the_same_rules():
    assert RulesPredictor().version == RulesPredictor().version
    same = Gazetteer({"明珠计划": "PROGRAM"})
    assert RulesPredictor(same).version == RulesPredictor(Gazetteer(same.entries)).version


def test_predictor_version_changes_when_the_gazetteer_changes():
    versions = {
        RulesPredictor().version,
        RulesPredictor(Gazetteer({"明珠计划": "PROGRAM"})).version,
        RulesPredictor(Gazetteer({"明珠计划": "PROGRAM", "模力社区": "PLATFORM"})).version,
        RulesPredictor(Gazetteer({"明珠计划": "EVENT"})).version,
    }
    assert len(versions) == 4


def test_predictor_version_changes_when_the_rules_change():
    fewer = RulesPredictor(functions=LABELLING_FUNCTIONS[:-1])
    assert fewer.version != RulesPredictor().version
    assert len(fewer.label_matrix(["引进人才"])[0]) == len(LABELLING_FUNCTIONS) - 1
