"""fine_tune on a dozen hand-made examples with a tiny base: seconds, not minutes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import BertForMaskedLM

from models.bert.engine import BertPredictor
from models.bert.tokenizer import SHIPPED_VOCAB
from models.bert.train import TrainProgress, fine_tune
from models.errors import ModelError
from models.predict import MANIFEST_FILE, load_model_dir
from models.schema import MEASURE_LABELS, Example, Span
from tests.models.bert.tiny import tiny_config

SENTENCES = [
    ("实施明珠计划，给予人才专项资金支持。", ["talent", "funding"], [("明珠计划", "PROGRAM")]),
    ("建设智算中心，发放算力券。", ["compute", "funding"], [("算力券", "PROGRAM")]),
    ("举办世界人工智能大会，拓展海外市场。", ["overseas"], [("世界人工智能大会", "EVENT")]),
    ("设立引领区基金，支持大模型企业。", ["funding"], [("引领区基金", "FUND")]),
    ("推动公共数据开放，建设语料库。", ["corpus"], []),
    ("开展模型备案和数据安全评估。", ["security"], []),
]


def _examples(n_documents: int = 4) -> list[Example]:
    """Twelve examples over ``n_documents`` documents, cycling the sentences above."""
    examples = []
    for i in range(12):
        text, labels, names = SENTENCES[i % len(SENTENCES)]
        entities = [
            Span(start=text.index(name), end=text.index(name) + len(name), label=kind, text=name)
            for name, kind in names
        ]
        document = f"doc{i % n_documents}"
        examples.append(
            Example(id=f"{document}#s{i:02d}", text=text, labels=labels, entities=entities)
        )
    return examples


FAST = {"batch_size": 4, "lr": 2e-3, "max_length": 64, "stride": 16, "seed": 7}
# Exactly ``epochs`` epochs on everything: no dev split, early stopping or fold models.
FIXED_EPOCHS = {"calibrate": False, "dev_fraction": 0.0, "patience": None}


def test_train_fine_tune_lowers_loss_and_writes_a_loadable_dir(tiny_base: Path, tmp_path: Path):
    events: list[TrainProgress] = []
    result = fine_tune(
        _examples(),
        tiny_base,
        tmp_path / "model",
        epochs=4,
        patience=10,
        tag_loss_weight=1.0,
        calibrate=False,
        progress=events.append,
        **FAST,
    )
    assert result.train_losses[-1] < result.train_losses[0]
    assert result.epochs_run == result.best_epoch == len(result.train_losses)
    assert result.best_dev_loss == min(result.select_losses)
    assert len(result.dev_documents) == 1 and result.dev_documents[0] in {
        "doc0",
        "doc1",
        "doc2",
        "doc3",
    }
    assert not result.calibrated and result.thresholds == dict.fromkeys(MEASURE_LABELS, 0.5)
    assert result.seconds > 0 and set(result.stage_seconds) == {"select", "final"}
    assert {e.stage for e in events} == {"select", "final"}
    assert all(1 <= e.step <= e.steps and 1 <= e.epoch <= e.epochs for e in events)

    predictor = load_model_dir(result.out_dir)
    assert isinstance(predictor, BertPredictor)
    assert predictor.version == result.version
    manifest = json.loads((result.out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["base_model"] == str(tiny_base) and manifest["max_length"] == 64
    assert manifest["n_train"] == 12 and manifest["best_dev_loss"] == result.best_dev_loss
    [prediction] = predictor.predict(["实施明珠计划，给予人才专项资金支持。"])
    assert set(prediction.scores) == set(MEASURE_LABELS)


def test_train_fine_tune_is_reproducible_with_a_seed(tiny_base: Path, tmp_path: Path):
    runs = [
        fine_tune(_examples(), tiny_base, tmp_path / f"m{i}", epochs=2, calibrate=False, **FAST)
        for i in range(2)
    ]
    assert runs[0].train_losses == runs[1].train_losses
    assert runs[0].version == runs[1].version


def test_train_fine_tune_calibrates_thresholds_on_folds(tiny_base: Path, tmp_path: Path):
    weak = [ex.model_copy(update={"id": f"weak{i}#s1"}) for i, ex in enumerate(_examples()[:4])]
    result = fine_tune(
        _examples(n_documents=3),
        tiny_base,
        tmp_path / "model",
        epochs=2,
        calibrate=True,
        calibration_epochs=1,
        weak_examples=weak,
        weak_weight=0.3,
        **FAST,
    )
    assert result.calibrated and result.folds == 3 and result.n_weak == 4
    assert "calibrate" in result.stage_seconds
    predictor = BertPredictor.load(result.out_dir)
    assert predictor.thresholds == result.thresholds
    assert all(0.0 < t < 1.0 for t in result.thresholds.values())


def test_train_single_document_early_stops_on_training_loss(tiny_base: Path, tmp_path: Path):
    result = fine_tune(_examples(n_documents=1), tiny_base, tmp_path / "model", epochs=2, **FAST)
    assert result.dev_documents == [] and result.best_dev_loss is None
    assert not result.calibrated  # one document: no out-of-fold scores
    assert result.best_epoch == 1 + result.select_losses.index(min(result.select_losses))


def test_train_hub_id_base_is_a_one_line_model_error(tmp_path: Path):
    with pytest.raises(ModelError) as error:
        fine_tune(_examples(), "hfl/rbt3", tmp_path / "model", local_files_only=True, **FAST)
    message = str(error.value)
    assert "\n" not in message
    assert "hfl/rbt3" in message and "policytag pretrain" in message
    assert not (tmp_path / "model").exists()


def test_train_config_only_base_says_it_has_no_weights(tmp_path: Path):
    with pytest.raises(ModelError, match="no weights") as error:
        fine_tune(_examples(), SHIPPED_VOCAB, tmp_path / "model", **FAST)
    assert "\n" not in str(error.value) and "policytag pretrain" in str(error.value)


def test_train_max_length_beyond_base_positions_is_a_model_error(tiny_base, tmp_path: Path):
    with pytest.raises(ModelError, match="positions"):
        fine_tune(_examples(), tiny_base, tmp_path / "model", **{**FAST, "max_length": 512})


def test_train_missing_local_base_says_no_such_directory(tmp_path: Path):
    with pytest.raises(ModelError, match="no such directory"):
        fine_tune(_examples(), tmp_path / "no-base", tmp_path / "model", **FAST)


def test_train_freeze_layers_keeps_embeddings_and_lower_layers(tiny_base: Path, tmp_path: Path):
    model_dir = tmp_path / "model"
    fine_tune(
        _examples(),
        tiny_base,
        model_dir,
        epochs=2,
        freeze_layers=1,
        head_lr=1e-2,
        **FIXED_EPOCHS,
        **FAST,
    )
    base = BertForMaskedLM.from_pretrained(tiny_base).bert
    tuned = load_model_dir(model_dir).runtime.model.bert
    embeddings = "embeddings.word_embeddings.weight"
    lower, upper = "encoder.layer.0.output.dense.weight", "encoder.layer.1.output.dense.weight"
    base_state, tuned_state = base.state_dict(), tuned.state_dict()
    assert torch.equal(base_state[embeddings], tuned_state[embeddings])
    assert torch.equal(base_state[lower], tuned_state[lower])
    assert not torch.equal(base_state[upper], tuned_state[upper])


def test_train_cannot_freeze_more_layers_than_the_base_has(tiny_base: Path, tmp_path: Path):
    with pytest.raises(ModelError, match="cannot freeze 3 layers: the base has 2"):
        fine_tune(_examples(), tiny_base, tmp_path / "model", freeze_layers=3, **FAST)


def test_train_version_changes_with_the_base_weights_at_the_same_path(tmp_path: Path):
    base = tmp_path / "base"
    versions = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        BertForMaskedLM(tiny_config()).save_pretrained(base)
        result = fine_tune(
            _examples(), base, tmp_path / f"m{seed}", epochs=1, **FIXED_EPOCHS, **FAST
        )
        versions.append(result.version)
    assert versions[0] != versions[1]
