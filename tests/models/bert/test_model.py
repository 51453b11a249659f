"""The joint network: loading encoders, config round trip, the joint loss."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BertModel

from models.bert.model import JointBertModel, configure
from models.bert.tags import IGNORE_INDEX, TAGS
from models.schema import ENTITY_TYPES, MEASURE_LABELS
from tests.models.bert.tiny import tiny_config, tiny_model


def _batch() -> dict[str, torch.Tensor]:
    return {
        "input_ids": torch.tensor([[101, 704, 1744, 102, 0], [101, 3300, 102, 0, 0]]),
        "attention_mask": torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]]),
        "label_targets": torch.tensor([[1.0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 1]]),
        "tag_targets": torch.tensor([[IGNORE_INDEX, 1, 2, IGNORE_INDEX, IGNORE_INDEX]] * 2),
    }


def test_model_tags_are_bio_over_entity_types():
    assert TAGS[0] == "O"
    assert len(TAGS) == 1 + 2 * len(ENTITY_TYPES)
    assert {tag.split("-", 1)[1] for tag in TAGS[1:]} == set(ENTITY_TYPES)


def test_model_loads_encoder_from_masked_lm_checkpoint(tiny_base: Path):
    from transformers import BertForMaskedLM

    masked_lm = BertForMaskedLM.from_pretrained(tiny_base)
    model, info = JointBertModel.from_pretrained(tiny_base, output_loading_info=True)
    assert torch.equal(
        model.bert.embeddings.word_embeddings.weight,
        masked_lm.bert.embeddings.word_embeddings.weight,
    )
    assert torch.equal(
        model.bert.encoder.layer[1].output.dense.weight,
        masked_lm.bert.encoder.layer[1].output.dense.weight,
    )
    assert info["missing_keys"] == {
        "label_head.weight",
        "label_head.bias",
        "tag_head.weight",
        "tag_head.bias",
    }
    assert model.label_head.out_features == len(MEASURE_LABELS)
    assert model.tag_head.out_features == len(TAGS)
    assert model.label_head.weight.abs().sum() > 0  # initialised, not left empty


def test_model_loads_encoder_from_bert_model_checkpoint(tmp_path: Path):
    torch.manual_seed(1)
    encoder = BertModel(tiny_config(), add_pooling_layer=False)
    encoder.save_pretrained(tmp_path)
    model = JointBertModel.from_pretrained(tmp_path)
    query = model.bert.encoder.layer[0].attention.self.query.weight
    assert torch.equal(query, encoder.encoder.layer[0].attention.self.query.weight)


def test_model_save_pretrained_round_trips_config_and_outputs(tmp_path: Path):
    config = configure(tiny_config(), tag_loss_weight=0.25, label_pos_weight=[2.0] * 6)
    torch.manual_seed(0)
    model = JointBertModel(config).eval()
    model.save_pretrained(tmp_path)
    loaded = JointBertModel.from_pretrained(tmp_path).eval()
    assert loaded.config.measure_labels == list(MEASURE_LABELS)
    assert loaded.config.tag_names == list(TAGS)
    assert loaded.config.tag_loss_weight == 0.25
    assert loaded.config.label_pos_weight == [2.0] * 6
    batch = _batch()
    with torch.no_grad():
        before, after = model(**batch), loaded(**batch)
    assert torch.equal(before.label_logits, after.label_logits)
    assert torch.equal(before.tag_logits, after.tag_logits)
    assert torch.equal(before.loss, after.loss)


def test_model_forward_without_targets_has_no_loss():
    batch = _batch()
    output = tiny_model()(batch["input_ids"], batch["attention_mask"])
    assert output.loss is None
    assert output.label_logits.shape == (2, len(MEASURE_LABELS))
    assert output.tag_logits.shape == (2, 5, len(TAGS))


def test_model_sample_weight_scales_whole_examples():
    model = tiny_model()
    batch = _batch()
    with torch.no_grad():
        weighted = model(**batch, sample_weight=torch.tensor([1.0, 0.0])).loss
        first = model(**{k: v[:1] for k, v in batch.items()}).loss
        even = model(**batch, sample_weight=torch.tensor([0.3, 0.3])).loss
        plain = model(**batch).loss
    assert torch.allclose(weighted, first, atol=1e-6)
    assert torch.allclose(even, plain, atol=1e-6)


def test_model_loss_weights_change_the_loss():
    batch = _batch()
    losses = []
    for tag_weight, pos_weight in [(1.0, None), (0.0, None), (1.0, [5.0] * 6)]:
        torch.manual_seed(0)
        model = JointBertModel(
            configure(tiny_config(), tag_loss_weight=tag_weight, label_pos_weight=pos_weight)
        ).eval()
        with torch.no_grad():
            losses.append(float(model(**batch).loss))
    assert losses[1] < losses[0] < losses[2]
