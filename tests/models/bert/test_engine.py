"""BertPredictor: save/load, batching, thresholds, long texts and broken directories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from torch import nn

from models.bert.encoding import Window
from models.bert.engine import WEIGHTS_FILE, BertPredictor, save_model_dir
from models.bert.model import JointOutput
from models.bert.tags import TAG_IDS, TAGS
from models.errors import ModelError
from models.predict import MANIFEST_FILE, Predictor, load_model, load_model_dir
from models.schema import ENTITY_TYPES, MEASURE_LABELS, check_spans
from policytag.settings import Settings
from tests.models.bert.tiny import MAX_POSITIONS, save_tiny, tiny_model

FILLER = "我们持续推动人工智能产业发展，"


def _texts(gold) -> list[str]:
    """Short, long (several windows at max_length 128) and Latin-bearing gold texts."""
    by_length = sorted(gold, key=lambda ex: len(ex.text))
    return [ex.text for ex in by_length[:: len(by_length) // 12]] + [by_length[-1].text]


def _keys(prediction) -> tuple:
    return (prediction.labels, [(s.key, s.text) for s in prediction.entities])


def test_engine_manifest_has_the_documented_fields(tiny_dir: Path):
    manifest = json.loads((tiny_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["type"] == "bert"
    assert manifest["labels"] == list(MEASURE_LABELS)
    assert manifest["entity_types"] == list(ENTITY_TYPES)
    assert manifest["tags"] == list(TAGS)
    assert manifest["runtimes"] == ["torch"]
    for key in ("version", "thresholds", "max_length", "stride", "base_model", "created"):
        assert key in manifest
    assert (tiny_dir / WEIGHTS_FILE).is_file()
    assert (tiny_dir / "tokenizer.json").is_file()


def test_engine_save_load_round_trip_gives_identical_predictions(tokenizer, tmp_path, gold):
    texts = _texts(gold)
    model = tiny_model(seed=3)
    in_memory = BertPredictor(
        model, tokenizer, thresholds=dict.fromkeys(MEASURE_LABELS, 0.5), version="v", max_length=128
    )
    directory = save_model_dir(
        model,
        tokenizer,
        {
            "version": "v",
            "thresholds": dict.fromkeys(MEASURE_LABELS, 0.5),
            "base_model": "tiny",
            "max_length": 128,
        },
        tmp_path / "model",
    )
    loaded = load_model_dir(directory)
    assert isinstance(loaded, BertPredictor)
    assert isinstance(loaded, Predictor)
    assert (loaded.name, loaded.version) == ("bert", "v")
    before, after = in_memory.predict(texts), loaded.predict(texts)
    assert before == after
    assert any(p.entities for p in after)  # random heads tag something: the check has teeth
    for text, prediction in zip(texts, after, strict=True):
        check_spans(text, prediction.entities)


def test_engine_batching_by_length_matches_one_at_a_time(tiny_dir, gold):
    texts = _texts(gold)
    batched = BertPredictor.load(tiny_dir, batch_size=4).predict(texts)
    predictor = BertPredictor.load(tiny_dir, batch_size=1)
    single = [predictor.predict([text])[0] for text in texts]
    assert [_keys(p) for p in batched] == [_keys(p) for p in single]
    for a, b in zip(batched, single, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-5)
        assert [s.score for s in a.entities] == pytest.approx(
            [s.score for s in b.entities], abs=1e-5
        )


def test_engine_batches_sort_by_length_within_the_window_and_token_caps(tokenizer):
    predictor = BertPredictor(
        tiny_model(),
        tokenizer,
        thresholds=dict.fromkeys(MEASURE_LABELS, 0.5),
        version="v",
        batch_size=4,
        max_batch_tokens=100,
    )
    lengths = [5, 60, 30, 30, 12, 7, 40, 3, 3, 150, 3, 3, 3]
    windows = [Window(input_ids=[0] * n, offsets=[(0, 0)] * n, first_token=0) for n in lengths]
    batches = predictor._batches(windows)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    # Longest first; a batch closes at 4 windows or before 100 padded tokens; a window
    # longer than the budget runs alone.
    assert [[lengths[i] for i in batch] for batch in batches] == [
        [150],
        [60],
        [40, 30],
        [30, 12, 7],
        [5, 3, 3, 3],
        [3, 3],
    ]


def test_engine_thresholds_are_stored_and_applied(tokenizer, tmp_path, gold):
    thresholds = {label: 1.0 for label in MEASURE_LABELS} | {"talent": 0.0}
    directory = save_tiny(tmp_path / "model", tokenizer, thresholds=thresholds)
    predictor = BertPredictor.load(directory)
    assert predictor.thresholds == thresholds
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["thresholds"] == thresholds
    predictions = predictor.predict([ex.text for ex in gold[:5]])
    assert all(p.labels == ["talent"] for p in predictions)


def test_engine_empty_text_gives_an_empty_prediction(tiny_dir):
    predictor = BertPredictor.load(tiny_dir)
    empty, blank, real = predictor.predict(["", " \n\t ", "明珠计划"])
    for prediction in (empty, blank):
        assert prediction.labels == [] and prediction.entities == []
        assert prediction.scores == dict.fromkeys(MEASURE_LABELS, 0.0)
    assert set(real.scores) == set(MEASURE_LABELS)
    assert predictor.predict([]) == []


class _NameSpotter(nn.Module):
    """A stand-in network: tags fixed token ids, so long-text plumbing is testable."""

    def __init__(self, tags_by_token: dict[int, int]) -> None:
        super().__init__()
        self.tags_by_token = tags_by_token

    def forward(self, input_ids, attention_mask, token_type_ids=None) -> JointOutput:
        tag_logits = torch.full((*input_ids.shape, len(TAGS)), -5.0)
        tag_logits[..., TAG_IDS["O"]] = 5.0
        for token_id, tag in self.tags_by_token.items():
            hit = input_ids == token_id
            tag_logits[hit] = -5.0
            tag_logits[..., tag][hit] = 5.0
        label_logits = torch.zeros((input_ids.shape[0], len(MEASURE_LABELS)))
        return JointOutput(label_logits=label_logits, tag_logits=tag_logits)


def test_engine_finds_a_name_at_the_end_of_a_3000_character_text(tokenizer):
    text = FILLER * 200 + "设立引领区基金"
    ids = tokenizer.convert_tokens_to_ids(list("引领区基金"))
    spotter = _NameSpotter({ids[0]: TAG_IDS["B-FUND"], **dict.fromkeys(ids[1:], TAG_IDS["I-FUND"])})
    predictor = BertPredictor(
        spotter,  # type: ignore[arg-type]
        tokenizer,
        thresholds=dict.fromkeys(MEASURE_LABELS, 0.5),
        version="spotter",
        max_length=128,
        stride=32,
        batch_size=8,
    )
    [prediction] = predictor.predict([text])
    assert [(s.start, s.end, s.label, s.text) for s in prediction.entities] == [
        (3002, 3007, "FUND", "引领区基金")
    ]


# Broken directories: one clear ModelError each


def _copy(tiny_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(tiny_dir, target)
    return target


def _load_error(directory: Path) -> str:
    with pytest.raises(ModelError) as error:
        BertPredictor.load(directory)
    message = str(error.value)
    assert "\n" not in message
    with pytest.raises(ModelError):
        load_model_dir(directory)
    return message


def test_engine_missing_directory_is_a_model_error(tmp_path):
    assert "no such model directory" in _load_error(tmp_path / "nowhere")


def test_engine_missing_manifest_is_a_model_error(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    (directory / MANIFEST_FILE).unlink()
    assert MANIFEST_FILE in _load_error(directory)


def test_engine_corrupt_manifest_is_a_model_error(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    (directory / MANIFEST_FILE).write_text('{"type": "bert", "version": ', encoding="utf-8")
    assert "corrupt manifest" in _load_error(directory)


def test_engine_truncated_weights_are_a_model_error(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    weights = directory / WEIGHTS_FILE
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    assert "truncated" in _load_error(directory)
    weights.write_bytes(data[:5])
    assert "corrupt weights" in _load_error(directory)


def test_engine_missing_weights_are_a_model_error(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    (directory / WEIGHTS_FILE).unlink()
    assert "no weights" in _load_error(directory)


def test_engine_mismatched_label_list_is_a_model_error(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["labels"] = [*MEASURE_LABELS[:-1], "export"]
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    assert "do not match" in _load_error(directory)


def test_engine_weights_without_heads_are_a_model_error(tiny_dir, tiny_base, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    shutil.copy(tiny_base / WEIGHTS_FILE, directory / WEIGHTS_FILE)  # a base, not fine-tuned
    assert "fine-tuned" in _load_error(directory)


def test_engine_max_length_beyond_positions_is_a_model_error(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["max_length"] = MAX_POSITIONS * 2
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    assert "positions" in _load_error(directory)


def test_engine_load_model_passes_the_thread_setting(tiny_dir: Path, tmp_path: Path):
    before = torch.get_num_threads()
    try:
        settings = Settings(data_dir=tmp_path, torch_threads=1)
        predictor = load_model(str(tiny_dir), settings)
        assert isinstance(predictor, BertPredictor)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def _with_span_threshold(tiny_dir: Path, tmp_path: Path, value: object) -> Path:
    directory = _copy(tiny_dir, tmp_path)
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["span_threshold"] = value
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def test_engine_span_threshold_drops_spans_scoring_below_it(tiny_dir, gold, tmp_path):
    texts = [ex.text for ex in gold[:20]]
    every = [s for p in BertPredictor.load(tiny_dir).predict(texts) for s in p.entities]
    cut = sorted(s.score for s in every)[len(every) // 2]
    directory = _with_span_threshold(tiny_dir, tmp_path, cut)
    kept = [s for p in BertPredictor.load(directory).predict(texts) for s in p.entities]
    assert kept and len(kept) < len(every)
    assert kept == [s for s in every if s.score >= cut]


def test_engine_span_threshold_outside_0_1_is_a_model_error(tiny_dir, tmp_path):
    directory = _with_span_threshold(tiny_dir, tmp_path, 2)
    assert "span_threshold" in _load_error(directory)
