"""Round report: pre-annotation vs gold and inter-annotator agreement, from the scorer."""

from __future__ import annotations

import pytest

from annotation.convert import labels_to_result
from annotation.metrics import round_metrics
from annotation.project import setup_project
from annotation.pull import pull
from annotation.push import push
from annotation.sampling import Strategy
from models.schema import Span
from tests.annotation.fakes import FakeLabelStudio, FakePredictor, make_settings


def _annotate(client, task, labels, spans=(), **fields):
    text = task["data"]["text"]
    entities = [Span(start=s, end=e, label=k, text=text[s:e]) for s, e, k in spans]
    client.create_annotation(task["id"], labels_to_result(labels, entities), **fields)


def test_metrics_compare_pre_annotations_with_gold_and_annotators(tmp_path):
    settings = make_settings(tmp_path)
    client = FakeLabelStudio()
    setup_project(client, settings)
    push(client, settings, "pool", 4, Strategy.uncertainty, predictor=FakePredictor())
    tasks = sorted(client.tasks(1), key=lambda t: t["id"])
    # Task 0 accepts the pre-annotation as it is; the others change it.
    client.create_annotation(tasks[0]["id"], tasks[0]["predictions"][0]["result"], completed_by=1)
    for task in tasks[1:]:
        _annotate(client, task, ["talent"], [(0, 2, "EVENT")], completed_by=1)
    # Two annotators on tasks 1-3: agree on task 1, disagree on tasks 2-3.
    _annotate(client, tasks[1], ["talent"], [(0, 2, "EVENT")], completed_by=2)
    _annotate(client, tasks[2], ["funding"], completed_by=2)
    _annotate(client, tasks[3], ["talent", "funding"], [(0, 2, "EVENT")], completed_by=2)
    pull(client, settings)

    [m] = round_metrics(settings.rounds_dir, settings.pool_file)
    assert (m.round, m.records, m.pre_annotated, m.annotators) == (1, 4, 4, 2)
    assert m.model_versions == ["fake-1"]
    assert m.changed == 3 and m.changed_rate == pytest.approx(0.75)
    assert m.versus_gold is not None and m.versus_gold.n == 4
    iaa = m.inter_annotator
    assert iaa is not None and iaa.n == 3
    # talent: annotator 1 yes, yes, yes; annotator 2 yes, no, yes → p_o = p_e = 2/3, κ = 0.
    assert iaa.kappa["talent"] == pytest.approx(0.0)
    assert iaa.kappa["funding"] == pytest.approx(0.0)
    assert iaa.kappa["compute"] is None  # nobody chose it: kappa is undefined
    assert iaa.entity_f1 == pytest.approx(0.8)
    assert iaa.label_f1["talent"] == pytest.approx(0.8)


def test_metrics_without_rounds_is_empty(tmp_path):
    assert round_metrics(tmp_path / "rounds", tmp_path / "pool.jsonl") == []
