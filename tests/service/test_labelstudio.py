from __future__ import annotations

import time

import pytest

from models.schema import MEASURE_LABELS, Prediction, Span
from service.labelstudio import (
    DEFAULT_NAMES,
    LabelConfigError,
    parse_label_config,
    prediction_score,
    prediction_to_ls_result,
)

CONFIG = """
<View>
  <Text name="reply" value="$content"/>
  <Choices name="tools" toName="reply" choice="multiple">
    <Choice value="人才"/>
    <Choice value="Compute"/>
    <Choice value="money" alias="funding"/>
  </Choices>
  <Labels name="names" toName="reply">
    <Label value="PROGRAM"/>
    <Label value="政策文件"/>
  </Labels>
</View>
"""

TEXT = "一是加强人才培养，实施启明星计划。"


def _prediction(labels=("talent", "funding", "security"), with_entity=True) -> Prediction:
    scores = {label: (0.9 if label in labels else 0.2) for label in MEASURE_LABELS}
    entities = [Span(start=11, end=16, label="PROGRAM", text="启明星计划", score=0.8)]
    entities += [Span(start=2, end=4, label="FUND", text="加强")]
    return Prediction(labels=list(labels), scores=scores, entities=entities if with_entity else [])


def test_ls_result_uses_default_names():
    result = prediction_to_ls_result(_prediction(), text=TEXT)
    choices, *spans = result
    assert choices == {
        "id": "measures",
        "from_name": "measures",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": ["talent", "funding", "security"]},
    }
    assert spans[0]["value"] == {
        "start": 11,
        "end": 16,
        "text": "启明星计划",
        "labels": ["PROGRAM"],
    }
    assert spans[0]["from_name"] == "entities"
    assert spans[0]["score"] == 0.8
    assert spans[1]["value"]["labels"] == ["FUND"]
    assert "score" not in spans[1]


def test_ls_label_config_gives_names_and_values():
    names = parse_label_config(CONFIG)
    assert (names.choices, names.choices_to, names.labels, names.data_key) == (
        "tools",
        "reply",
        "names",
        "content",
    )
    assert dict(names.choice_values) == {"talent": "人才", "compute": "Compute", "funding": "money"}
    assert dict(names.label_values) == {"PROGRAM": "PROGRAM", "POLICY": "政策文件"}
    result = prediction_to_ls_result(_prediction(), names, text=TEXT)
    assert result[0]["value"]["choices"] == ["人才", "money"]  # security is not in the config
    assert [r["value"]["labels"] for r in result[1:]] == [["PROGRAM"]]  # FUND is not either
    assert {r["from_name"] for r in result[1:]} == {"names"}
    assert {r["to_name"] for r in result} == {"reply"}


def test_ls_result_drops_spans_that_do_not_match_the_text():
    result = prediction_to_ls_result(
        _prediction(labels=()), text="完全不同的一段文字，长度也够长了吧。"
    )
    assert result == []


def test_ls_config_without_labels_gives_only_choices():
    names = parse_label_config(
        '<View><Text name="t" value="$text"/><Choices name="c" toName="t">'
        '<Choice value="talent"/></Choices></View>'
    )
    assert names.labels is None
    result = prediction_to_ls_result(_prediction(), names, text=TEXT)
    assert [r["type"] for r in result] == ["choices"]


@pytest.mark.parametrize(
    "config",
    ["<View", "<View><Choices name='c' toName='t'/></View>", '<View><Text name="t"/></View>'],
)
def test_ls_bad_label_configs_raise(config):
    with pytest.raises(LabelConfigError):
        parse_label_config(config)


def test_ls_score_is_the_mean_confidence():
    assert prediction_score(_prediction()) == pytest.approx((0.9 * 3 + 0.8 * 3) / 6)
    assert DEFAULT_NAMES.data_key == "text"


# ---------------------------------------------------------------------------- routes


def test_ls_setup_answers_the_model_version(fake_client):
    response = fake_client.post("/setup", json={"project": "3.1700000000", "schema": CONFIG})
    assert response.status_code == 200
    assert response.json() == {"model_version": "fake-1"}
    assert fake_client.post("/setup", json={"schema": "<View"}).status_code == 422


def test_ls_predict_one_result_per_task_in_order(fake_client):
    raw = "**一是**加强人才培养，实施 启明星计划。"  # markdown and a space that cleaning removes
    tasks = [
        {"id": 1, "data": {"content": raw}},
        {"id": 2, "data": {"content": "   "}},
        {"id": 3, "data": {"other": "no text here"}},
        {"id": 4, "data": {"content": "建设算力。"}},
    ]
    response = fake_client.post("/predict", json={"tasks": tasks, "label_config": CONFIG})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 4
    assert all(r["model_version"] == "fake-1" for r in results)
    first = results[0]["result"]
    assert first[0]["value"]["choices"] == ["人才"]
    span = first[1]["value"]
    assert raw[span["start"] : span["end"]] == span["text"]
    assert span["text"].replace(" ", "") == "启明星计划"
    assert (first[1]["from_name"], first[1]["to_name"]) == ("names", "reply")
    assert results[1]["result"] == [] and results[2]["result"] == []
    assert results[3]["result"] == []  # no measure, no entity
    assert results[3]["score"] > 0


def test_ls_predict_uses_the_config_from_setup_then_defaults(fake_client):
    fake_client.post("/setup", json={"project": "7.123", "schema": CONFIG})
    task = {"data": {"content": TEXT, "text": TEXT}}
    remembered = fake_client.post("/predict", json={"tasks": [task], "project": "7.456"}).json()
    assert remembered["results"][0]["result"][0]["from_name"] == "tools"
    default = fake_client.post("/predict", json={"tasks": [task], "project": 8}).json()
    assert default["results"][0]["result"][0]["from_name"] == "measures"
    assert fake_client.post("/predict", json={"tasks": []}).json() == {"results": []}


def test_ls_predict_refuses_a_broken_label_config(fake_client):
    response = fake_client.post("/predict", json={"tasks": [], "label_config": "<View><"})
    assert response.status_code == 422
    assert "not valid XML" in response.json()["detail"]


def test_ls_webhook_queues_training_and_returns_at_once(client):
    started = time.perf_counter()
    response = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200
    body = response.json()
    assert body["status"] in ("queued", "already running")
    job = client.get(f"/jobs/{body['job_id']}").json()
    assert job["kind"] == "train"
    ignored = client.post("/webhook", json={"action": "ANNOTATION_CREATED", "annotation": {}})
    assert ignored.json() == {"status": "ignored", "action": "ANNOTATION_CREATED", "job_id": None}
    assert client.post("/webhook", json={"project": 1}).status_code == 422


def test_ls_versions_and_health(fake_client):
    assert fake_client.get("/versions").json() == {
        "versions": ["fake-1"],
        "model_version": "fake-1",
    }
    assert fake_client.get("/health").json()["status"] == "UP"
