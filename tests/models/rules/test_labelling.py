"""Labelling functions: each label on hand-written positives and negatives."""

from __future__ import annotations

import re

import pytest

from models.rules import (
    ABSTAIN,
    AGAINST,
    FOR,
    LABELLING_FUNCTIONS,
    LabellingFunction,
    RulesPredictor,
)
from models.schema import MEASURE_LABELS

POSITIVES = {
    "talent": "区人社局将为新引进的青年科技人才提供人才公寓，并简化落户办理流程。",
    "compute": "我区将统筹部署智能算力集群，提升公共算力的调度能力。",
    "corpus": "市数据局将推动公共数据授权运营，建设一批行业高质量数据集。",
    "funding": "区财政每年安排专项资金，对首次采购本地大模型服务的企业给予最高50万元补贴。",
    "security": "网信部门将指导企业完成生成式人工智能服务备案，并开展数据安全风险评估。",
    "overseas": "支持本地软件企业出海，开拓一带一路共建国家市场。",
}


@pytest.fixture(scope="module")
def predictor() -> RulesPredictor:
    return RulesPredictor()


def labels_of(predictor: RulesPredictor, text: str) -> list[str]:
    return predictor.predict([text])[0].labels


@pytest.mark.parametrize("label", MEASURE_LABELS)
def test_labelling_each_label_fires_on_its_positive(predictor, label):
    assert label in labels_of(predictor, POSITIVES[label])


@pytest.mark.parametrize("label", MEASURE_LABELS)
def test_labelling_positives_do_not_leak_into_unrelated_labels(predictor, label):
    unrelated = {"compute": {"talent"}, "talent": {"compute", "security"}}.get(label, set())
    assert not unrelated & set(labels_of(predictor, POSITIVES[label]))


@pytest.mark.parametrize(
    "text",
    [
        # topic framing only: the guidelines' 围绕人工智能产业 case
        "围绕人工智能产业发展需要，区里召开了专题座谈会。",
        "在数据要素方面，区里还有很多工作要做。",
        "《关于加强人才队伍建设的若干意见》已经区委常委会审议。",
        # thanks and restated proposals
        "衷心感谢您对全区人才工作和资金保障的关心和支持！",
        "您提出的关于加快算力基础设施建设的提案收悉，现答复如下：",
        "提案中提出的数据安全和企业出海问题针对性强，具有重要参考价值。",
        # the economy described, nothing done
        "浦东拥有600家企业。",
        "浦东新区集聚了芯片设计企业超过200家，产业规模达800亿元。",
    ],
)
def test_labelling_negatives_get_no_label(predictor, text):
    assert labels_of(predictor, text) == []


def test_labelling_thanks_at_the_end_does_not_cancel_a_concrete_measure(predictor):
    text = "下一步，我们将继续完善海外高层次人才引进政策。再次感谢您的关心和支持！"
    assert "talent" in labels_of(predictor, text)


def test_labelling_compute_voucher_is_funding_and_compute(predictor):
    labels = labels_of(predictor, "向中小企业发放算力券，降低模型训练成本。")
    assert {"funding", "compute"} <= set(labels)


def test_labelling_corpus_voucher_is_funding_and_corpus(predictor):
    labels = labels_of(predictor, "试点发放语料券，鼓励企业采购行业语料。")
    assert {"funding", "corpus"} <= set(labels)


def test_labelling_model_voucher_alone_is_funding_only(predictor):
    labels = labels_of(predictor, "对购买大模型推理服务的企业给予模型券支持。")
    assert labels == ["funding"]


def test_labelling_cross_border_data_is_corpus_and_overseas(predictor):
    labels = labels_of(predictor, "成立数据跨境服务中心，帮助企业办理数据出境手续。")
    assert set(labels) == {"corpus", "overseas"}


def test_labelling_cross_border_data_with_security_review_adds_security(predictor):
    labels = labels_of(predictor, "指导企业开展数据出境安全评估，便利数据跨境流动。")
    assert {"corpus", "overseas", "security"} <= set(labels)


def test_labelling_attracting_overseas_talent_alone_is_talent_not_overseas(predictor):
    labels = labels_of(predictor, "举办海外人才招聘会，吸引外籍高层次人才来沪工作。")
    assert "talent" in labels
    assert "overseas" not in labels


def test_labelling_overseas_talent_plus_going_abroad_is_both(predictor):
    text = "设立海外人才工作站，同时为出海企业提供境外法律咨询服务。"
    assert {"talent", "overseas"} <= set(labels_of(predictor, text))


def test_labelling_industrial_cluster_is_not_compute(predictor):
    assert "compute" not in labels_of(predictor, "推动形成人工智能世界级产业集群。")


def test_labelling_function_votes_polarity_or_abstains():
    lf = LabellingFunction("talent:test", "talent", re.compile("人才"), weight=1.0)
    assert lf("引进人才") == FOR
    assert lf("发放补贴") == ABSTAIN
    against = LabellingFunction("talent:neg", "talent", lambda t: "感谢" in t, 2.0, AGAINST)
    assert against("感谢支持") == AGAINST
    assert against("引进人才") == ABSTAIN


@pytest.mark.parametrize(
    "kwargs",
    [
        {"label": "people"},
        {"polarity": 0},
        {"weight": 0.0},
    ],
)
def test_labelling_function_rejects_bad_fields(kwargs):
    fields = {"name": "x", "label": "talent", "rule": re.compile("人才")} | kwargs
    with pytest.raises(ValueError):
        LabellingFunction(**fields)


def test_labelling_function_spec_changes_with_the_rule():
    a = LabellingFunction("talent:x", "talent", re.compile("人才"))
    b = LabellingFunction("talent:x", "talent", re.compile("引才"))
    assert a.spec != b.spec
    assert a.spec == LabellingFunction("talent:x", "talent", re.compile("人才")).spec


def test_labelling_default_set_covers_every_label_both_ways():
    names = [lf.name for lf in LABELLING_FUNCTIONS]
    assert len(names) == len(set(names))
    for label in MEASURE_LABELS:
        polarities = {lf.polarity for lf in LABELLING_FUNCTIONS if lf.label == label}
        assert polarities == {FOR, AGAINST}, label
