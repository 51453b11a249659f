"""The model store: add, list, resolve, gated promotion and rollback."""

from __future__ import annotations

import json

import pytest

from models.errors import ModelError
from models.registry import ModelStore


def _model_dir(tmp_path, version, model_type="tfidf", micro=0.5, entity=0.5, created="2026-01-01"):
    directory = tmp_path / "build" / version
    directory.mkdir(parents=True)
    manifest = {"type": model_type, "version": version, "created": created}
    if micro is not None:
        manifest["eval"] = {"micro_f1": micro, "entity_f1": entity}
    (directory / "policytag.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "store")


def test_registry_add_moves_complete_dir(tmp_path, store):
    built = _model_dir(tmp_path, "tfidf-1")
    assert store.add(built) == "tfidf-1"
    assert not built.exists()
    assert store.versions() == ["tfidf-1"]
    assert store.manifest("tfidf-1")["type"] == "tfidf"
    with pytest.raises(ModelError, match="already in the store"):
        store.add(_model_dir(tmp_path / "again", "tfidf-1"))


def test_registry_promote_and_gate(tmp_path, store):
    store.add(_model_dir(tmp_path, "a", micro=0.6, entity=0.5))
    store.add(_model_dir(tmp_path, "b", micro=0.5, entity=0.7))
    store.add(_model_dir(tmp_path, "c", micro=0.7, entity=0.6))
    assert store.promote("a") is None
    assert store.current() == "a"
    with pytest.raises(ModelError, match=r"micro_f1 0\.500 < 0\.600 of a"):
        store.promote("b")
    assert store.current() == "a"
    assert store.promote("c") == "a"
    assert store.promote("b", force=True) == "c"
    assert [info.version for info in store.list() if info.current] == ["b"]


def test_registry_refuses_model_without_figures(tmp_path, store):
    store.add(_model_dir(tmp_path, "a"))
    store.add(_model_dir(tmp_path, "nofig", micro=None))
    store.promote("a")
    with pytest.raises(ModelError, match="no evaluation figures"):
        store.promote("nofig")


def test_registry_rollback_walks_back(tmp_path, store):
    for version, score in [("a", 0.1), ("b", 0.2), ("c", 0.3)]:
        store.add(_model_dir(tmp_path, version, micro=score, entity=score))
        store.promote(version)
    assert store.rollback() == "b"
    assert store.rollback() == "a"
    with pytest.raises(ModelError, match="nothing to roll back"):
        store.rollback()
    assert store.current() == "a"


def test_registry_resolve_names(tmp_path, store):
    store.add(_model_dir(tmp_path, "t1", created="2026-01-01"))
    store.add(_model_dir(tmp_path, "t2", created="2026-03-01"))
    store.add(_model_dir(tmp_path, "b1", model_type="bert"))
    with pytest.raises(ModelError, match="no current model"):
        store.resolve("current")
    assert store.resolve("tfidf").name == "t2"
    store.promote("t1")
    assert store.resolve("tfidf").name == "t1"
    assert store.resolve("current").name == "t1"
    assert store.resolve("b1").name == "b1"
    assert store.resolve("bert").name == "b1"
    assert store.resolve("unknown-thing") is None
    with pytest.raises(ModelError, match="no model version 'zzz'"):
        store.path("zzz")


def test_registry_lists_corrupt_dirs_without_crashing(tmp_path, store):
    store.add(_model_dir(tmp_path, "good"))
    broken = store.versions_dir / "broken"
    broken.mkdir()
    (broken / "policytag.json").write_text("{not json", encoding="utf-8")
    types = {info.version: info.type for info in store.list()}
    assert types == {"broken": "corrupt", "good": "tfidf"}
    with pytest.raises(ModelError, match="corrupt manifest"):
        store.manifest("broken")


def test_registry_free_version_numbers_a_repeated_version(tmp_path, store):
    assert store.free_version("bert-abc") == "bert-abc"
    store.add(_model_dir(tmp_path, "bert-abc", model_type="bert"))
    assert store.free_version("bert-abc") == "bert-abc.2"
    store.add(_model_dir(tmp_path / "again", "bert-abc.2", model_type="bert"))
    assert store.free_version("bert-abc") == "bert-abc.3"
