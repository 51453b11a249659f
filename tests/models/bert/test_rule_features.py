"""The hybrid joint BERT: the rules' scores and tags as inputs, trained, saved, exported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from models.bert.encoding import encode
from models.bert.engine import BertPredictor
from models.bert.export import export_model
from models.bert.model import RULE_PRIOR, JointBertModel, configure
from models.bert.rule_features import rule_inputs, rule_views
from models.bert.runtime import ONNX, RULE_INPUT_NAMES, TORCH
from models.bert.tags import TAG_IDS, TAGS
from models.bert.train import fine_tune
from models.schema import MEASURE_LABELS
from tests.models.bert.test_train import FAST, FIXED_EPOCHS, _examples
from tests.models.bert.tiny import tiny_config

TEXT = "落实《上海市促进人工智能产业发展条例》，加强数据安全评估。"
NAME = "上海市促进人工智能产业发展条例"


def _hybrid(seed: int = 0) -> JointBertModel:
    torch.manual_seed(seed)
    return JointBertModel(configure(tiny_config(), rule_features=True)).eval()


def _inputs(tokenizer, text: str = TEXT) -> dict[str, torch.Tensor]:
    [window] = encode(text, tokenizer, 64, 16)
    [view] = rule_views([text])
    extra = rule_inputs([view], [window], len(window))
    return {
        "input_ids": torch.tensor([window.input_ids]),
        "attention_mask": torch.ones((1, len(window)), dtype=torch.long),
        **{name: torch.from_numpy(array) for name, array in extra.items()},
    }


def test_rule_features_tag_the_rules_spans_and_pad_with_o(tokenizer):
    [window] = encode(TEXT, tokenizer, 64, 16)
    [view] = rule_views([TEXT])
    assert [s.text for s in view.spans] == [NAME]
    assert view.scores[MEASURE_LABELS.index("security")] > 0.5
    tags = view.window_tags(window)
    tagged = [i for i, tag in enumerate(tags) if tag != TAG_IDS["O"]]
    first, last = window.offsets[tagged[0]][0], window.offsets[tagged[-1]][1]
    assert TEXT[first:last] == NAME
    assert TAGS[tags[tagged[0]]] == "B-POLICY"
    assert {TAGS[tags[i]] for i in tagged[1:]} == {"I-POLICY"}
    assert tags[0] == tags[-1] == TAG_IDS["O"]  # [CLS] and [SEP]

    padded = rule_inputs([view], [window], len(window) + 3)
    assert padded["rule_scores"].shape == (1, len(MEASURE_LABELS))
    assert padded["rule_tags"].shape == (1, len(window) + 3)
    assert padded["rule_tags"][0, len(window) :].tolist() == [TAG_IDS["O"]] * 3


def test_rule_features_untrained_hybrid_starts_at_the_rules_decisions(tokenizer):
    inputs = _inputs(tokenizer)
    with torch.no_grad():
        output = _hybrid()(**inputs)
    decided = [MEASURE_LABELS[i] for i in (output.label_logits[0] > 0).nonzero().flatten()]
    assert decided == ["security"]
    assert output.tag_logits[0].argmax(-1).tolist() == inputs["rule_tags"][0].tolist()


def test_rule_features_are_required_by_a_hybrid_model(tokenizer):
    inputs = _inputs(tokenizer)
    with pytest.raises(ValueError, match="rule_scores and rule_tags"):
        _hybrid()(inputs["input_ids"], inputs["attention_mask"])


def test_rule_features_head_round_trips_and_starts_at_the_prior_from_a_base(
    tiny_base: Path, tmp_path: Path, tokenizer
):
    model = _hybrid()
    with torch.no_grad():
        model.rule_head.label_weight.fill_(0.25)
        model.rule_head.tag_table[1, 2] = -7.0
    model.save_pretrained(tmp_path / "hybrid")
    loaded = JointBertModel.from_pretrained(tmp_path / "hybrid").eval()
    assert loaded.config.rule_features
    assert torch.equal(loaded.rule_head.tag_table, model.rule_head.tag_table)
    assert torch.equal(loaded.rule_head.label_weight, model.rule_head.label_weight)
    with torch.no_grad():
        assert torch.equal(
            loaded(**_inputs(tokenizer)).tag_logits, model(**_inputs(tokenizer)).tag_logits
        )

    config = configure(tiny_config(), rule_features=True)
    fresh = JointBertModel.from_pretrained(tiny_base, config=config)
    assert torch.equal(fresh.rule_head.label_weight, torch.full((len(MEASURE_LABELS),), RULE_PRIOR))
    assert torch.equal(fresh.rule_head.tag_table, RULE_PRIOR * torch.eye(len(TAGS)))


@pytest.fixture(scope="module")
def hybrid_dir(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hybrid") / "model"
    fine_tune(
        _examples(),
        tiny_base,
        out,
        epochs=2,
        rule_features=True,
        entity_tag_weight=3.0,
        **FIXED_EPOCHS,
        **FAST,
    )
    return out


def test_rule_features_hybrid_trains_saves_and_predicts(hybrid_dir: Path):
    predictor = BertPredictor.load(hybrid_dir, runtime=TORCH)
    assert predictor.reads_rules
    assert predictor.manifest["rule_features"] is True
    assert predictor.manifest["entity_tag_weight"] == 3.0
    [prediction] = predictor.predict([TEXT])
    assert set(prediction.scores) == set(MEASURE_LABELS)
    assert all(TEXT[s.start : s.end] == s.text for s in prediction.entities)


def test_rule_features_hybrid_exports_to_onnx_with_the_extra_inputs(hybrid_dir, gold, tmp_path):
    directory = tmp_path / "model"
    shutil.copytree(hybrid_dir, directory)
    texts = [ex.text for ex in gold[:12]]
    result = export_model(directory, texts, int8=False)
    [check] = result.checks
    assert check.passed and check.agreement.labels == 1.0 and check.agreement.spans == 1.0
    onnx_run = BertPredictor.load(directory, runtime=ONNX)
    assert onnx_run.runtime.input_names[-2:] == RULE_INPUT_NAMES
    torch_run = BertPredictor.load(directory, runtime=TORCH)
    for a, b in zip(torch_run.predict(texts), onnx_run.predict(texts), strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-4)
