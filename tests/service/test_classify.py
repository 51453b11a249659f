from __future__ import annotations

import pytest

from models.predict import load_model
from models.schema import MEASURE_LABELS
from models.tagging import tag_documents
from service.app import create_app
from tests.service.fakes import FakePredictor, loader_for, make_settings, running, seed_texts


def test_classify_tags_a_reply_into_segments_with_offsets(client):
    text = seed_texts()[0]
    response = client.post("/classify", json={"text": text})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "rules"
    assert body["model_version"].startswith("rules-")
    assert body["timing_ms"] > 0
    (document,) = body["documents"]
    assert document["metadata"]["doc_number"]
    assert len(document["segments"]) > 1
    for segment in document["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= len(text)
        assert set(segment["scores"]) == set(MEASURE_LABELS)
        for entity in segment["entities"]:
            assert segment["text"][entity["start"] : entity["end"]] == entity["text"]
    union = {label for s in document["segments"] for label in s["labels"]}
    assert set(document["labels"]) == union
    for label in MEASURE_LABELS:
        assert document["label_scores"][label] == max(
            s["scores"][label] for s in document["segments"]
        )


def test_classify_equals_the_batch_engine(client, settings):
    texts = seed_texts()[:3]
    body = client.post("/classify", json={"texts": texts}).json()
    expected = tag_documents(texts, load_model("rules", settings))
    assert body["documents"] == [d.model_dump(mode="json") for d in expected]


def test_classify_options_one_segment_per_text_without_metadata(fake_client):
    texts = ["一是加强人才培养，实施启明星计划。\n二是设立基金。", "加强算力建设。"]
    body = fake_client.post(
        "/classify", json={"texts": texts, "segment": False, "include_metadata": False}
    ).json()
    assert [len(d["segments"]) for d in body["documents"]] == [1, 1]
    assert all(d["metadata"] is None for d in body["documents"])
    first = body["documents"][0]["segments"][0]
    assert first["labels"] == ["talent"]
    assert first["entities"][0]["text"] == "启明星计划"
    assert body["model_version"] == "fake-1"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({}, "exactly one of"),
        ({"text": "a", "texts": ["b"]}, "exactly one of"),
        ({"texts": []}, "at least 1 item"),
        ({"text": 5}, "valid string"),
        ({"texts": "one"}, "valid list"),
        ({"text": "ok", "segment": "maybe"}, "boolean"),
        ({"text": "ok", "colour": "red"}, "Extra inputs"),
        ({"text": "   \n\t"}, "empty or only whitespace"),
        ({"texts": ["fine", ""]}, "texts[1] is empty"),
    ],
)
def test_classify_rejects_bad_input_with_422(fake_client, payload, fragment):
    response = fake_client.post("/classify", json=payload)
    assert response.status_code == 422
    assert fragment in str(response.json()["detail"])


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "\\ud800"}', b'{"text": ', b"[1, 2]", b"\xff\xfe", b'"just a string"'],
)
def test_classify_rejects_malformed_bodies_with_422(fake_client, raw):
    response = fake_client.post(
        "/classify", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_classify_limits_answer_413_naming_the_limit(tmp_path):
    settings = make_settings(
        tmp_path, max_text_chars=50, max_texts_per_request=3, max_upload_bytes=4000
    )
    with running(create_app(settings, loader=loader_for(FakePredictor()))) as client:
        long = client.post("/classify", json={"text": "人" * 51})
        assert long.status_code == 413
        assert "max_text_chars" in long.json()["detail"]
        assert "50" in long.json()["detail"]
        many = client.post("/classify", json={"texts": ["a"] * 4})
        assert many.status_code == 413
        assert "max_texts_per_request" in many.json()["detail"]
        big = client.post("/classify", json={"text": "x" * 5000})
        assert big.status_code == 413
        assert "max_upload_bytes" in big.json()["detail"]

        def chunks():
            yield b'{"text": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'"}'

        streamed = client.post(
            "/classify", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        assert "max_upload_bytes" in streamed.json()["detail"]


def test_classify_without_a_model_answers_503_with_the_reason(tmp_path):
    settings = make_settings(tmp_path, model=str(tmp_path / "no-such-model"))
    with running(create_app(settings)) as client:
        response = client.post("/classify", json={"text": "加强人才培养。"})
        assert response.status_code == 503
        assert "no-such-model" in response.json()["detail"]
        assert response.headers["Retry-After"]
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False
        assert "no-such-model" in ready.json()["reason"]
        assert client.get("/health").json()["model_state"] == "failed"
        assert client.get("/model").status_code == 503


def test_classify_with_a_corrupt_model_dir_answers_503(tmp_path):
    model_dir = tmp_path / "broken"
    model_dir.mkdir()
    (model_dir / "policytag.json").write_text("{not json", encoding="utf-8")
    settings = make_settings(tmp_path, model=str(model_dir))
    with running(create_app(settings)) as client:
        response = client.post("/classify", json={"text": "加强人才培养。"})
        assert response.status_code == 503
        assert "broken" in response.json()["detail"]


def test_a_bug_becomes_a_logged_json_500_with_the_request_id(tmp_path, caplog):
    def broken_tagger(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    app = create_app(
        make_settings(tmp_path), loader=loader_for(FakePredictor()), tagger=broken_tagger
    )
    with running(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/classify", json={"text": "加强人才培养。"}, headers={"X-Request-ID": "req-42"}
        )
    assert response.status_code == 500
    assert response.json()["request_id"] == "req-42"
    assert response.headers["X-Request-ID"] == "req-42"
    assert "ZeroDivisionError" in caplog.text
