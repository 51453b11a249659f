"""ONNX export: round trips with a tiny model, the agreement gate, runtime choice."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from models.bert import export as export_module
from models.bert.engine import BertPredictor, save_model_dir
from models.bert.export import (
    FILES,
    Agreement,
    ExportError,
    agreement,
    agreement_texts,
    export_model,
)
from models.bert.runtime import ONNX, ONNX_INT8, PREFERENCE, TORCH, TORCH_INT8, candidates
from models.errors import ModelError
from models.predict import MANIFEST_FILE, load_model_dir
from models.schema import MEASURE_LABELS, Prediction, Span
from tests.models.bert.tiny import tiny_model

REPO = Path(__file__).resolve().parents[3]


def _texts(gold) -> list[str]:
    """A spread of gold lengths, the longest (several windows at 128 tokens) included."""
    by_length = sorted(gold, key=lambda ex: len(ex.text))
    return [ex.text for ex in by_length[:: len(by_length) // 10]] + [by_length[-1].text]


def _keys(predictions: list[Prediction]) -> list[tuple]:
    return [(p.labels, [s.key for s in p.entities]) for p in predictions]


def _copy(source: Path, tmp_path: Path, name: str = "model") -> Path:
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def _manifest(directory: Path) -> dict:
    return json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))


def _write_manifest(directory: Path, manifest: dict) -> None:
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture(scope="module")
def exported(tiny_dir: Path, gold, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with every variant exported and recorded, agreement ungated."""
    directory = _copy(tiny_dir, tmp_path_factory.mktemp("exported"))
    export_model(directory, _texts(gold), int8=True, min_agreement=0.0)
    return directory


# Agreement arithmetic


def _prediction(labels: list[str], spans: list[tuple[int, int, str]]) -> Prediction:
    return Prediction(
        labels=labels,
        scores=dict.fromkeys(MEASURE_LABELS, 0.5),
        entities=[Span(start=s, end=e, label=t, text="x" * (e - s)) for s, e, t in spans],
    )


def test_export_agreement_counts_label_decisions_and_span_union():
    reference = [_prediction(["talent"], [(0, 2, "FUND"), (3, 5, "PROGRAM")]), _prediction([], [])]
    candidate = [
        _prediction(["talent", "funding"], [(0, 2, "FUND"), (3, 6, "PROGRAM")]),
        _prediction([], []),
    ]
    result = agreement(reference, candidate)
    assert (result.label_decisions, result.labels_agreeing) == (12, 11)
    assert (result.spans_union, result.spans_shared) == (3, 1)
    assert result.labels == pytest.approx(11 / 12)
    assert result.overall == pytest.approx(1 / 3)
    assert Agreement().overall == 1.0  # nothing to disagree on
    with pytest.raises(ValueError):
        agreement(reference, candidate[:1])


def test_export_agreement_texts_are_seeds_plus_a_fixed_pool_sample(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text(
        "".join(json.dumps({"id": i, "text": f"段落{i}"}) + "\n" for i in range(50)),
        encoding="utf-8",
    )
    gold_file = REPO / "seeds" / "gold.jsonl"
    texts = agreement_texts(gold_file, pool, pool_sample=10, seed=1)
    assert len(texts) == 80 + 10
    assert texts == agreement_texts(gold_file, pool, pool_sample=10, seed=1)
    assert agreement_texts(None, tmp_path / "missing.jsonl") == []


# Round trips


def test_export_fp32_onnx_round_trip_matches_torch(tiny_dir, gold, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    texts = _texts(gold)
    result = export_model(directory, texts, int8=False)
    [check] = result.checks
    assert check.runtime == ONNX and check.passed
    assert check.agreement.labels == 1.0 and check.agreement.spans == 1.0
    manifest = _manifest(directory)
    assert manifest["runtimes"] == [TORCH, ONNX]
    assert manifest["export"]["files"] == {ONNX: FILES[ONNX]}
    assert set(manifest["export"]["texts_per_second"]) == {TORCH, ONNX}
    assert (directory / FILES[ONNX]).is_file()
    assert not (directory / FILES[ONNX_INT8]).exists()
    assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == []

    torch_run = BertPredictor.load(directory, runtime=TORCH)
    onnx_run = BertPredictor.load(directory, runtime=ONNX)
    assert onnx_run.runtime.name == ONNX
    before, after = torch_run.predict(texts), onnx_run.predict(texts)
    assert _keys(before) == _keys(after)
    assert any(p.entities for p in after)  # random heads tag something: the check has teeth
    for a, b in zip(before, after, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-4)


def test_export_onnx_graph_has_named_dynamic_axes_and_metadata(exported):
    graph = onnx.load(str(exported / FILES[ONNX]))
    inputs = {
        i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
        for i in graph.graph.input
    }
    outputs = [o.name for o in graph.graph.output]
    assert inputs == {"input_ids": ["batch", "sequence"], "attention_mask": ["batch", "sequence"]}
    assert outputs == ["label_logits", "tag_logits"]
    metadata = {p.key: p.value for p in graph.metadata_props}
    assert metadata["max_length"] == str(_manifest(exported)["max_length"])
    assert json.loads(metadata["labels"]) == list(MEASURE_LABELS)


def test_export_onnx_batches_like_one_at_a_time(exported, gold):
    texts = _texts(gold)
    batched = BertPredictor.load(exported, runtime=ONNX, batch_size=4).predict(texts)
    single_run = BertPredictor.load(exported, runtime=ONNX, batch_size=1)
    single = [single_run.predict([text])[0] for text in texts]
    assert _keys(batched) == _keys(single)


def test_export_int8_quantises_the_encoder_and_keeps_the_heads(exported, gold):
    manifest = _manifest(exported)
    assert manifest["runtimes"] == [TORCH, ONNX, ONNX_INT8, TORCH_INT8]
    assert set(manifest["export"]["agreement"]) == {ONNX, ONNX_INT8, TORCH_INT8}
    nodes = onnx.load(str(exported / FILES[ONNX_INT8])).graph.node
    quantised = [n.name for n in nodes if n.op_type == "MatMulInteger"]
    assert len(quantised) == 6 * 2  # q, k, v, out, up, down in each of the 2 layers
    assert not [name for name in quantised if "_head/" in name]
    texts = _texts(gold)
    reference = BertPredictor.load(exported, runtime=TORCH).predict(texts)
    for runtime in (ONNX_INT8, TORCH_INT8):
        predictions = BertPredictor.load(exported, runtime=runtime).predict(texts)
        assert agreement(reference, predictions).labels >= 0.9  # int8 is close, not exact


def test_export_int8_is_listed_when_it_agrees_or_fails_loudly(tiny_dir, gold, tmp_path):
    """On a random tiny model int8 may flip argmaxes; the gate decides, never silently."""
    directory = _copy(tiny_dir, tmp_path)
    before = (directory / MANIFEST_FILE).read_bytes()
    try:
        result = export_model(directory, _texts(gold), int8=True)
    except ExportError as error:
        message = str(error)
        assert "onnx-int8" in message and "--no-int8" in message and "\n" not in message
        assert (directory / MANIFEST_FILE).read_bytes() == before
        assert not (directory / "onnx").exists()
    else:
        # int8 has to beat the bar with a margin, to keep it on texts outside the check
        bar = 0.99 + export_module.INT8_MARGIN
        checks = {c.runtime: c for c in result.checks}
        assert checks[ONNX_INT8].agreement.overall >= bar
        manifest = _manifest(directory)
        assert manifest["export"]["min_agreement_int8"] == pytest.approx(bar)
        assert ONNX_INT8 in manifest["runtimes"]
        # The torch fallback never fails the export: listed exactly when it agrees.
        assert (TORCH_INT8 in manifest["runtimes"]) == (checks[TORCH_INT8].agreement.overall >= bar)


def test_export_int8_recipes_keep_more_of_the_feed_forward_block_in_fp32():
    recipes = export_module.INT8_RECIPES
    assert list(recipes) == ["all-matmuls", "fp32-ffn-output", "fp32-ffn"]

    def kept(recipe: str, name: str) -> bool:
        return any(re.search(p, name) for p in recipes[recipe])

    down = "/model/bert/encoder/layer.3/output/dense/MatMul"
    up = "/model/bert/encoder/layer.0/intermediate/dense/MatMul"
    attention_out = "/model/bert/encoder/layer.3/attention/output/dense/MatMul"
    assert [kept(r, down) for r in recipes] == [False, True, True]
    assert [kept(r, up) for r in recipes] == [False, False, True]
    assert not any(kept(r, attention_out) for r in recipes)


def _quantiser_failing(times: int, bad_graph: Path, calls: list[tuple[str, ...]]):
    """``quantize_onnx`` whose first ``times`` calls write an unrelated network."""
    real = export_module.quantize_onnx

    def quantize(source, target, keep_fp32=()):
        calls.append(tuple(keep_fp32))
        if len(calls) <= times:
            shutil.copy(bad_graph, target)
            return Path(target)
        return real(source, target, keep_fp32)

    return quantize


@pytest.fixture(scope="module")
def unrelated_graph(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("unrelated") / "other.onnx"
    return export_module.export_onnx(tiny_model(seed=7), path)


def test_export_int8_falls_back_to_a_milder_recipe(
    tiny_dir, gold, tmp_path, monkeypatch, unrelated_graph
):
    directory = _copy(tiny_dir, tmp_path)
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        export_module, "quantize_onnx", _quantiser_failing(1, unrelated_graph, calls)
    )
    result = export_model(directory, _texts(gold), int8=True)
    recipes = export_module.INT8_RECIPES
    first, second = list(recipes)[:2]
    assert calls == [recipes[first], recipes[second]]
    [int8_check] = [c for c in result.checks if c.runtime == ONNX_INT8]
    assert int8_check.recipe == second and int8_check.passed
    manifest = _manifest(directory)
    assert manifest["export"]["int8_recipe"] == second
    assert ONNX_INT8 in manifest["runtimes"]


def test_export_int8_fails_loudly_when_no_recipe_agrees(
    tiny_dir, gold, tmp_path, monkeypatch, unrelated_graph
):
    directory = _copy(tiny_dir, tmp_path)
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        export_module, "quantize_onnx", _quantiser_failing(99, unrelated_graph, calls)
    )
    files_before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(ExportError) as error:
        export_model(directory, _texts(gold), int8=True)
    recipes = export_module.INT8_RECIPES
    assert calls == list(recipes.values())
    last = list(recipes)[-1]
    assert f"onnx-int8 [{last}]" in str(error.value) and "--no-int8" in str(error.value)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == files_before


def test_export_forced_mismatch_fails_loudly_and_changes_nothing(
    tiny_dir, gold, tmp_path, monkeypatch
):
    directory = _copy(tiny_dir, tmp_path)
    real_export = export_module.export_onnx

    def export_another_network(model, path, **kwargs):
        return real_export(tiny_model(seed=7), path, **kwargs)

    monkeypatch.setattr(export_module, "export_onnx", export_another_network)
    files_before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(ExportError) as error:
        export_model(directory, _texts(gold), int8=False)
    message = str(error.value)
    assert "disagrees" in message and "onnx: labels" in message and "nothing was written" in message
    assert isinstance(error.value, ModelError)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == files_before


def test_export_without_int8_drops_an_earlier_int8_file(exported, gold, tmp_path):
    directory = _copy(exported, tmp_path)
    export_model(directory, _texts(gold)[:4], int8=False)
    manifest = _manifest(directory)
    assert manifest["runtimes"] == [TORCH, ONNX]
    assert not (directory / FILES[ONNX_INT8]).exists()
    with pytest.raises(ModelError, match="policytag export"):
        BertPredictor.load(directory, runtime=ONNX_INT8)


def test_export_refuses_no_texts_and_a_bad_threshold(tiny_dir, tmp_path):
    with pytest.raises(ModelError, match="no texts"):
        export_model(tiny_dir, [])
    with pytest.raises(ModelError, match="min_agreement"):
        export_model(tiny_dir, ["明珠计划"], min_agreement=1.5)


# Choosing a runtime


def test_export_auto_picks_the_fastest_recorded_runtime(exported, tmp_path):
    directory = _copy(exported, tmp_path)
    manifest = _manifest(directory)
    for fastest in (TORCH, ONNX, ONNX_INT8, TORCH_INT8):
        manifest["export"]["texts_per_second"] = {
            r: (1000.0 if r == fastest else 10.0) for r in manifest["runtimes"]
        }
        _write_manifest(directory, manifest)
        assert candidates(manifest, directory)[0] == fastest
        assert BertPredictor.load(directory).runtime.name == fastest


def test_export_auto_without_figures_prefers_int8_onnx(exported, tmp_path):
    directory = _copy(exported, tmp_path)
    manifest = _manifest(directory)
    del manifest["export"]["texts_per_second"]
    _write_manifest(directory, manifest)
    assert candidates(manifest, directory) == list(PREFERENCE)
    loaded = load_model_dir(directory)
    assert isinstance(loaded, BertPredictor) and loaded.runtime.name == ONNX_INT8


def test_export_auto_skips_a_broken_onnx_file_with_a_warning(exported, tmp_path, caplog):
    directory = _copy(exported, tmp_path)
    manifest = _manifest(directory)
    manifest["export"]["texts_per_second"] = {
        ONNX: 3.0,
        ONNX_INT8: 2.0,
        TORCH_INT8: 1.5,
        TORCH: 1.0,
    }
    _write_manifest(directory, manifest)
    (directory / FILES[ONNX]).write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING):
        assert BertPredictor.load(directory).runtime.name == ONNX_INT8
    assert "runtime onnx unavailable" in caplog.text
    with pytest.raises(ModelError, match="onnxruntime cannot load it"):
        BertPredictor.load(directory, runtime=ONNX)


def test_export_unexported_model_runs_torch(tiny_dir):
    assert BertPredictor.load(tiny_dir).runtime.name == TORCH
    with pytest.raises(ModelError, match="policytag export"):
        BertPredictor.load(tiny_dir, runtime=ONNX)
    with pytest.raises(ModelError, match="unknown runtime"):
        BertPredictor.load(tiny_dir, runtime="tensorrt")
    assert BertPredictor.load(tiny_dir, runtime=TORCH_INT8).runtime.name == TORCH_INT8


def test_export_manifest_with_an_unknown_runtime_is_a_model_error(exported, tmp_path):
    directory = _copy(exported, tmp_path)
    manifest = _manifest(directory)
    manifest["runtimes"] = [TORCH, "tensorrt"]
    _write_manifest(directory, manifest)
    with pytest.raises(ModelError, match="runtimes"):
        BertPredictor.load(directory)


def test_export_resaving_a_model_forgets_its_exported_runtimes(exported, tokenizer, tmp_path):
    manifest = _manifest(exported)
    directory = save_model_dir(tiny_model(), tokenizer, manifest, tmp_path / "resaved")
    resaved = _manifest(directory)
    assert resaved["runtimes"] == [TORCH]
    assert "export" not in resaved


# The command


def test_export_cli_exports_a_directory(tiny_dir, tmp_path):
    directory = _copy(tiny_dir, tmp_path)
    env = {
        **os.environ,
        "POLICYTAG_DATA_DIR": str(tmp_path / "data"),
        "POLICYTAG_POOL_DIR": str(tmp_path / "no-pool"),
    }
    command = [sys.executable, "-m", "policytag", "export", str(directory), "--no-int8"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "auto runtime" in result.stdout
    assert _manifest(directory)["runtimes"] == [TORCH, ONNX]
    missing = subprocess.run(
        [sys.executable, "-m", "policytag", "export", "bert"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no model 'bert'")
