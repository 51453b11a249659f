"""Train → cross-validate → store → promote, on a small hand-made gold set."""

from __future__ import annotations

import json

from models.examples import write_examples
from models.pipeline import MODEL_CARD, train_and_register
from models.predict import load_model
from models.registry import ModelStore
from models.schema import Example
from models.thresholds import SPAN_GRID
from policytag.settings import Settings

SENTENCES = [
    ("建设智能算力中心，发放算力券。", ["compute", "funding"]),
    ("引进高层次人才，提供人才公寓。", ["talent"]),
    ("设立天使母基金，支持初创企业融资。", ["funding"]),
    ("再次感谢您的宝贵建议。", []),
]


def _settings(tmp_path) -> Settings:
    seeds = tmp_path / "seeds"
    examples = [
        Example(id=f"d{d}#s{i}", doc_id=f"d{d}", text=f"{text}（{d}）", labels=labels)
        for d in range(3)
        for i, (text, labels) in enumerate(SENTENCES)
    ]
    write_examples(seeds / "gold.jsonl", examples)
    return Settings(seeds_dir=seeds, rounds_dir=tmp_path / "rounds", data_dir=tmp_path / "data")


def test_pipeline_stores_promotes_and_loads(tmp_path):
    settings = _settings(tmp_path)
    messages: list[str] = []
    outcome = train_and_register("tfidf", settings, progress=messages.append)
    assert outcome.promoted and outcome.refused is None
    store = ModelStore(settings.store_dir)
    assert store.current() == outcome.version
    manifest = store.manifest(outcome.version)
    assert manifest["eval"]["cv"] == "leave-one-document-out"
    assert manifest["eval"]["micro_f1"] == outcome.report.labels.micro_f1
    assert manifest["training"]["documents"] == 3
    card = (store.path(outcome.version) / MODEL_CARD).read_text(encoding="utf-8")
    assert outcome.version in card
    assert any("fold" in m for m in messages)
    assert load_model("current", settings).version == outcome.version
    assert load_model("tfidf", settings).version == outcome.version


def test_pipeline_refuses_worse_model(tmp_path):
    settings = _settings(tmp_path)
    first = train_and_register("tfidf", settings)
    store = ModelStore(settings.store_dir)
    manifest_path = store.path(first.version) / "policytag.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["eval"]["micro_f1"] = 1.5  # an incumbent nothing can beat
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    # A second, different training set gives a new version that must be refused.
    extra = Example(id="d9#s0", doc_id="d9", text="开展数据标注，建设语料库。", labels=["corpus"])
    gold = settings.seeds_dir / "gold.jsonl"
    gold.write_text(
        gold.read_text(encoding="utf-8") + extra.model_dump_json() + "\n", encoding="utf-8"
    )
    second = train_and_register("tfidf", settings)
    assert not second.promoted
    assert "refusing to promote" in second.refused
    assert store.current() == first.version


def test_pipeline_bert_with_cross_fitted_thresholds(tmp_path):
    import torch
    from transformers import BertForMaskedLM

    from tests.models.bert.tiny import tiny_config

    base = tmp_path / "base"
    torch.manual_seed(0)
    BertForMaskedLM(tiny_config()).save_pretrained(base)
    settings = _settings(tmp_path).model_copy(
        update={"base_model": str(base), "bert_epochs": 2, "bert_max_length": 64}
    )
    outcome = train_and_register("bert", settings)
    store = ModelStore(settings.store_dir)
    manifest = store.manifest(outcome.version)
    assert manifest["type"] == "bert"
    assert manifest["calibrated"] == "cross-validated out-of-fold scores"
    assert set(manifest["thresholds"]) == {
        "talent",
        "compute",
        "corpus",
        "funding",
        "security",
        "overseas",
    }
    assert manifest["eval"]["n"] == 12
    assert manifest["span_threshold"] in SPAN_GRID  # tuned on out-of-fold spans
    assert manifest["rule_features"] is True  # the default hybrid
    model = load_model("bert", settings)
    [prediction] = model.predict(["建设智能算力中心，发放算力券。"])
    assert set(prediction.scores) == set(manifest["thresholds"])
    # the same data and settings hash to the same version: the store keeps both
    again = train_and_register("bert", settings, promote=False)
    assert again.version == f"{outcome.version}.2"
    assert store.manifest(again.version)["version"] == again.version
