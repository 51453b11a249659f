"""Label Studio results ↔ labels and spans: round trips, and broken input reported."""

from __future__ import annotations

import pytest

from annotation.convert import labels_to_result, parse_result, prediction_to_result
from annotation.label_config import build_label_config
from models.schema import Prediction, Span
from service.labelstudio import DEFAULT_NAMES, parse_label_config

TEXT = "设立“模塑申城”基金，支持浦东人才“25条”落地。"


def _span(start: int, end: int, label: str = "PROGRAM") -> Span:
    return Span(start=start, end=end, label=label, text=TEXT[start:end])


def _entity(start, end, text, labels=("PROGRAM",)):
    return {
        "id": "x",
        "from_name": "entities",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text, "labels": list(labels)},
    }


def test_convert_prediction_round_trips_through_a_result():
    prediction = Prediction(
        labels=["funding", "talent"],
        scores={"funding": 0.9, "talent": 0.6},
        entities=[_span(3, 7, "PROGRAM"), _span(13, 22, "POLICY")],
    )
    result = prediction_to_result(prediction, TEXT)
    assert result[0]["value"] == {"choices": ["funding", "talent"]}
    assert {item["id"] for item in result} == {
        item["id"] for item in prediction_to_result(prediction)
    }
    assert len({item["id"] for item in result}) == len(result)
    parsed = parse_result(result, TEXT)
    assert parsed.valid
    assert parsed.labels == ["talent", "funding"]
    assert [(s.start, s.end, s.label, s.text) for s in parsed.entities] == [
        (3, 7, "PROGRAM", "模塑申城"),
        (13, 22, "POLICY", "浦东人才“25条”"),
    ]


def test_convert_no_labels_gives_no_choices_item():
    assert labels_to_result([], []) == []
    parsed = parse_result([], TEXT)
    assert parsed.valid and parsed.labels == [] and parsed.entities == []


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (_entity(3, 8, "模塑申城"), "says '模塑申城' but the text there is '模塑申城”'"),
        (_entity(3, 7, "模塑申城", ("GROUP",)), "unknown entity type 'GROUP'"),
        (_entity(3, 99, "模塑申城"), "outside a text of length"),
        (_entity(7, 3, "模塑申城"), "outside a text of length"),
        (_entity("3", 7, "模塑申城"), "must be integers"),
        (_entity(3, 7, None), "has no text to check"),
        (_entity(3, 7, "模塑申城", ("PROGRAM", "FUND")), "exactly one entity type"),
        (
            {
                "from_name": "measures",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["talent", "money"]},
            },
            "unknown measure label(s) ['money']",
        ),
        (
            {
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["x"]},
            },
            "unknown control 'sentiment'",
        ),
        ({"from_name": "measures", "type": "choices"}, "not a result object"),
    ],
)
def test_convert_broken_results_are_reported_not_fixed(item, problem):
    parsed = parse_result([item], TEXT)
    assert not parsed.valid
    assert any(problem in p for p in parsed.problems), parsed.problems
    assert parsed.entities == []


def test_convert_repeated_span_is_reported():
    item = _entity(3, 7, "模塑申城")
    parsed = parse_result([item, dict(item, id="y")], TEXT)
    assert parsed.problems == ["result item 2: span '模塑申城' PROGRAM is repeated"]


def test_convert_result_that_is_not_a_list_is_reported():
    assert parse_result({"choices": []}, TEXT).problems == ["result is not a list but dict"]


def test_convert_service_reads_our_label_config_as_its_defaults():
    assert parse_label_config(build_label_config()) == DEFAULT_NAMES


def test_convert_prediction_spans_not_in_the_text_are_dropped():
    wrong = Span(start=0, end=2, label="FUND", text="基金")
    prediction = Prediction(labels=[], scores={}, entities=[wrong, _span(3, 7)])
    result = prediction_to_result(prediction, TEXT)
    assert [item["value"]["text"] for item in result] == ["模塑申城"]
