"""setup, push and pull against a fake Label Studio: idempotent, validated, never duplicated."""

from __future__ import annotations

import json

import pytest

from annotation.convert import labels_to_result
from annotation.label_config import build_label_config
from annotation.project import setup_project
from annotation.pull import pull
from annotation.push import push
from annotation.rounds import load_round, manifest_path, read_manifest
from annotation.sampling import Strategy
from annotation.sources import load_candidates
from models.errors import PolicytagError
from models.gold import load_gold
from models.pool import text_sha256
from models.schema import Span
from tests.annotation.fakes import POOL_DIR, FakeLabelStudio, FakePredictor, make_settings


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def client(settings):
    fake = FakeLabelStudio()
    setup_project(fake, settings)
    return fake


def _project_id(client):
    [project] = client.projects()
    return project["id"]


def _annotate(client, task, labels, spans=(), **fields):
    text = task["data"]["text"]
    entities = [Span(start=s, end=e, label=k, text=text[s:e]) for s, e, k in spans]
    return client.create_annotation(task["id"], labels_to_result(labels, entities), **fields)


# -- setup --------------------------------------------------------------------


def test_setup_creates_then_reuses_and_updates_a_changed_config(settings):
    fake = FakeLabelStudio()
    first = setup_project(fake, settings)
    assert first.created and not first.config_updated
    again = setup_project(fake, settings)
    assert (again.project_id, again.created, again.config_updated) == (
        first.project_id,
        False,
        False,
    )
    fake.update_project(first.project_id, label_config="<View></View>")
    changed = setup_project(fake, settings)
    assert changed.config_updated and not changed.created
    assert fake.projects()[0]["label_config"] == build_label_config()
    assert len(fake.projects()) == 1


def test_setup_connects_the_ml_backend_once(settings):
    fake = FakeLabelStudio()
    url = "http://127.0.0.1:8000/labelstudio"
    assert setup_project(fake, settings, url).ml_backend_created
    assert not setup_project(fake, settings, url + "/").ml_backend_created
    assert len(fake.ml_backends(1)) == 1


def test_commands_fail_in_one_line_when_the_server_is_down(settings):
    fake = FakeLabelStudio()
    fake.up = False
    for action in (lambda: setup_project(fake, settings), lambda: pull(fake, settings)):
        with pytest.raises(PolicytagError, match="not reachable"):
            action()


def test_push_needs_the_project(settings):
    with pytest.raises(PolicytagError, match="policytag annotate setup"):
        push(FakeLabelStudio(), settings, n=1, predictor=FakePredictor())


# -- push ---------------------------------------------------------------------


def test_push_imports_pre_annotated_tasks_with_source_metadata(client, settings):
    result = push(client, settings, "pool", 5, Strategy.uncertainty, predictor=FakePredictor())
    assert result.imported == 5 and result.model_version == "fake-1"
    tasks = client.tasks(_project_id(client))
    assert len(tasks) == 5
    for task in tasks:
        data = task["data"]
        assert {
            "text",
            "segment_id",
            "doc_id",
            "source",
            "pool_id",
            "start",
            "end",
            "sha256",
        } <= set(data)
        assert data["source"] == "pool" and data["sha256"] == text_sha256(data["text"])
        [prediction] = task["predictions"]
        assert prediction["model_version"] == "fake-1"
        assert 0.0 <= prediction["score"] <= 1.0
        assert all(item["to_name"] == "text" for item in prediction["result"])


def test_push_never_imports_a_task_twice(client, settings):
    predictor = FakePredictor()
    first = push(client, settings, "pool", 6, Strategy.uncertainty, predictor=predictor)
    second = push(client, settings, "pool", 100, Strategy.random, predictor=predictor)
    texts = [t["data"]["text"] for t in client.tasks(_project_id(client))]
    assert len(texts) == len(set(texts)) == first.imported + second.imported
    assert second.already_known >= 6
    third = push(client, settings, "pool", 100, Strategy.diverse, predictor=predictor)
    assert third.imported == 0


def test_push_skips_segments_already_in_a_round(tmp_path, settings):
    predictor = FakePredictor()
    old = FakeLabelStudio()
    setup_project(old, settings)
    push(old, settings, "pool", 3, Strategy.uncertainty, predictor=predictor)
    for task in old.tasks(1):
        _annotate(old, task, ["compute"])
    assert pull(old, settings).records == 3
    fresh = FakeLabelStudio()  # a new server: only the round files remember
    setup_project(fresh, settings)
    push(fresh, settings, "pool", 100, Strategy.random, predictor=predictor)
    old_texts = {t["data"]["text"] for t in old.tasks(1)}
    assert not old_texts & {t["data"]["text"] for t in fresh.tasks(1)}


def test_push_user_files_travel_inline(client, settings, tmp_path):
    reply = tmp_path / "reply.txt"
    reply.write_text(
        "某某委员：\n一、设立“模塑申城”专项资金，支持大模型企业发展。\n二、建设国际人才驿站。\n",
        encoding="utf-8",
    )
    result = push(client, settings, str(reply), 5, Strategy.uncertainty, predictor=FakePredictor())
    assert result.imported == 2
    tasks = client.tasks(_project_id(client))
    assert {t["data"]["source"] for t in tasks} == {"file:reply.txt"}
    assert all("pool_id" not in t["data"] for t in tasks)
    for task in tasks:
        _annotate(client, task, ["funding"])
    pulled = pull(client, settings)
    lines = [json.loads(x) for x in pulled.round_file.read_text(encoding="utf-8").splitlines()]
    assert all("text" in line and "pool_id" not in line for line in lines)


def test_push_targeted_refuses_unknown_or_missing_targets(client, settings):
    with pytest.raises(PolicytagError, match=r"unknown target.*bogus"):
        push(
            client,
            settings,
            "pool",
            3,
            Strategy.targeted,
            predictor=FakePredictor(),
            targets=["bogus"],
        )
    with pytest.raises(PolicytagError, match="needs at least one --target"):
        push(client, settings, "pool", 3, Strategy.targeted, predictor=FakePredictor())


def test_push_targeted_imports_the_strongest_predictions_of_the_target(client, settings):
    predictor = FakePredictor()
    result = push(
        client, settings, "pool", 3, Strategy.targeted, predictor=predictor, targets=["talent"]
    )
    candidates = {c.id: c.text for c in load_candidates("pool", settings)}
    talent = [p.scores["talent"] for p in predictor.predict(list(candidates.values()))]
    chosen = [
        p.scores["talent"] for p in predictor.predict([candidates[i] for i in result.segment_ids])
    ]
    assert result.imported == 3
    assert min(chosen) >= sorted(talent, reverse=True)[len(chosen) + 2]


def test_push_refuses_a_jsonl_source(settings):
    with pytest.raises(PolicytagError, match="--source pool"):
        load_candidates(str(POOL_DIR / "pool.jsonl"), settings)


# -- pull ---------------------------------------------------------------------


@pytest.fixture
def annotated(client, settings):
    """Five pushed tasks: three good, one with a broken span, one untouched."""
    push(client, settings, "pool", 5, Strategy.uncertainty, predictor=FakePredictor())
    tasks = sorted(client.tasks(_project_id(client)), key=lambda t: t["id"])
    _annotate(client, tasks[0], ["compute", "funding"], [(0, 2, "PROGRAM")])
    _annotate(client, tasks[1], [])
    _annotate(client, tasks[2], ["talent"])
    broken = [
        *labels_to_result(["corpus"], []),
        {
            "id": "bad",
            "from_name": "entities",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 1, "end": 4, "text": "不对的", "labels": ["FUND"]},
        },
    ]
    client.create_annotation(tasks[3]["id"], broken)
    return tasks


def test_pull_writes_a_standoff_round_and_reports_the_broken_task(client, settings, annotated):
    result = pull(client, settings)
    assert result.round == 1 and result.records == 3
    [invalid] = result.invalid
    assert invalid.task_id == annotated[3]["id"]
    assert "says '不对的' but the text there is" in invalid.problems[0]
    lines = [json.loads(x) for x in result.round_file.read_text(encoding="utf-8").splitlines()]
    assert [line["pool_id"] for line in lines] == [t["data"]["pool_id"] for t in annotated[:3]]
    for line, task in zip(lines, annotated, strict=False):
        assert "text" not in line and "text" not in json.dumps(line["entities"])
        assert line["sha256"] == task["data"]["sha256"]
    examples = load_round(result.round_file, settings.pool_file)
    assert examples[0].labels == ["compute", "funding"]
    assert examples[0].entities[0].text == annotated[0]["data"]["text"][:2]
    assert examples[1].labels == []
    manifest = read_manifest(result.round_file)
    assert manifest.task_ids == [t["id"] for t in annotated[:3]]
    assert manifest.model_versions == ["fake-1"]
    assert manifest.annotators == 1
    assert manifest.counts["records"] == 3 and manifest.counts["invalid_tasks"] == 1
    assert manifest.counts["standoff"] == 3
    assert manifest.label_counts["compute"] == 1
    assert manifest.invalid[0].task_id == annotated[3]["id"]
    assert manifest.tasks[0].prediction.model_version == "fake-1"
    assert len(load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)) == 83


def test_pull_twice_gives_the_same_round_not_a_duplicate(client, settings, annotated):
    first = pull(client, settings)
    content = first.round_file.read_bytes()
    manifest = manifest_path(first.round_file).read_bytes()
    again = pull(client, settings)
    assert not again.changed and again.latest_round == 1
    assert again.already_in_rounds == 3 and len(again.invalid) == 1
    assert sorted(p.name for p in settings.rounds_dir.iterdir()) == [
        "round-001.jsonl",
        "round-001.manifest.json",
    ]
    assert first.round_file.read_bytes() == content
    assert manifest_path(first.round_file).read_bytes() == manifest


def test_pull_takes_fixed_and_new_annotations_into_the_next_round(client, settings, annotated):
    pull(client, settings)
    _annotate(client, annotated[3], ["corpus"])  # the annotator fixes the broken one…
    client._tasks[annotated[3]["id"]]["annotations"].pop(0)  # …by replacing it
    _annotate(client, annotated[4], ["security"])
    second = pull(client, settings)
    assert second.round == 2 and second.records == 2 and not second.invalid
    assert len(load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)) == 85


def test_pull_records_every_annotator_and_prefers_ground_truth(client, settings, annotated):
    _annotate(client, annotated[4], ["security"], completed_by=2)
    _annotate(client, annotated[4], ["security", "overseas"], completed_by=3, ground_truth=True)
    _annotate(client, annotated[4], ["talent"], completed_by=4)
    result = pull(client, settings)
    manifest = read_manifest(result.round_file)
    assert manifest.annotators == 4 and manifest.counts["multi_annotated"] == 1
    review = next(t for t in manifest.tasks if t.task_id == annotated[4]["id"])
    assert [a.annotator for a in review.annotations] == [2, 3, 4]
    example = next(
        e for e in load_round(result.round_file, settings.pool_file) if e.id == review.id
    )
    assert example.labels == ["security", "overseas"]


def test_pull_refuses_a_task_whose_text_no_longer_matches_the_pool(client, settings, annotated):
    client._tasks[annotated[4]["id"]]["data"]["start"] += 1
    _annotate(client, annotated[4], ["security"])
    result = pull(client, settings)
    assert any(
        t.task_id == annotated[4]["id"] and "is not the task text" in t.problems[0]
        for t in result.invalid
    )
