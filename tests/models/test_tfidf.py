"""The tfidf baseline: fits, tunes thresholds across documents, saves and loads."""

from __future__ import annotations

import pytest

from models.errors import ModelError
from models.predict import load_model_dir
from models.schema import Example
from models.tfidf import TfidfPredictor, train_tfidf

TOPICS = {
    "compute": ["建设智能算力中心，发放算力券。", "部署千卡算力集群，统筹调度算力。"],
    "talent": ["引进高层次人才，提供人才公寓。", "支持博士后进站，办理人才落户。"],
    "": ["浦东拥有六百家企业。", "再次感谢您的宝贵建议。"],
}


def _examples() -> list[Example]:
    examples = []
    for doc in range(4):
        for label, texts in TOPICS.items():
            for i, text in enumerate(texts):
                examples.append(
                    Example(
                        id=f"d{doc}#{label or 'none'}{i}",
                        doc_id=f"d{doc}",
                        text=f"{text}第{doc}批。",
                        labels=[label] if label else [],
                    )
                )
    return examples


def test_tfidf_learns_separable_topics():
    model = train_tfidf(_examples(), seed=1)
    compute, talent, none = model.predict(
        ["新建算力中心，发放算力券。", "引进人才，提供人才公寓。", "感谢建议。"]
    )
    assert "compute" in compute.labels and "talent" not in compute.labels
    assert "talent" in talent.labels and "compute" not in talent.labels
    assert set(none.labels) <= {"compute", "talent"}
    assert set(compute.scores) == {"talent", "compute", "corpus", "funding", "security", "overseas"}
    assert compute.scores["funding"] == 0.0  # no funding example: constant score


def test_tfidf_save_load_round_trip(tmp_path):
    model = train_tfidf(_examples(), seed=1)
    model.save(tmp_path / "m")
    loaded = load_model_dir(tmp_path / "m")
    assert isinstance(loaded, TfidfPredictor)
    assert loaded.version == model.version
    texts = ["新建算力中心。", "人才公寓。"]
    assert loaded.predict(texts) == model.predict(texts)


def test_tfidf_corrupt_dir_is_a_model_error(tmp_path):
    model = train_tfidf(_examples(), seed=1)
    model.save(tmp_path / "m")
    (tmp_path / "m" / "tfidf.joblib").write_bytes(b"truncated")
    with pytest.raises(ModelError, match="not a readable tfidf model"):
        load_model_dir(tmp_path / "m")
    with pytest.raises(ModelError, match=r"no policytag\.json"):
        load_model_dir(tmp_path)


def test_tfidf_refuses_no_examples_and_predicts_nothing_for_nothing():
    with pytest.raises(ModelError, match="no examples"):
        train_tfidf([])
    assert train_tfidf(_examples()).predict([]) == []


def test_tfidf_version_changes_with_data():
    examples = _examples()
    assert train_tfidf(examples).version != train_tfidf(examples[:-1]).version
