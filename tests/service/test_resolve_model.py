"""Which model the service serves by default: the promoted one, else rules."""

from __future__ import annotations

import json

from models.registry import ModelStore
from policytag.settings import Settings
from service.model_holder import resolve_model


def test_resolve_model_falls_back_to_rules_without_promotion(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.model == "current"
    assert resolve_model(settings) == "rules"


def test_resolve_model_uses_current_when_promoted(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    built = tmp_path / "built"
    built.mkdir()
    manifest = {"type": "tfidf", "version": "v1", "eval": {"micro_f1": 0.5, "entity_f1": 0.5}}
    (built / "policytag.json").write_text(json.dumps(manifest), encoding="utf-8")
    store = ModelStore(settings.store_dir)
    store.promote(store.add(built))
    assert resolve_model(settings) == "current"


def test_resolve_model_explicit_choice_is_kept(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, model="tfidf")
    assert resolve_model(settings) == "tfidf"
