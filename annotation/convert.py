"""Label Studio results ↔ our labels and spans, validated both ways.

Label Studio checks neither labels, offsets nor span text in imported predictions or
in annotations made through its API, so we do: a result that names an unknown label,
points outside the text, or whose span text differs from ``text[start:end]`` is
reported as a problem, never repaired.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation.label_config import CHOICES_NAME, LABELS_NAME, TEXT_NAME
from models.schema import ENTITY_TYPES, MEASURE_LABELS, MeasureLabel, Prediction, Span
from service.labelstudio import DEFAULT_NAMES, prediction_to_ls_result


def prediction_to_result(prediction: Prediction, text: str | None = None) -> list[dict[str, Any]]:
    """A model's prediction as a Label Studio pre-annotation for our label config.

    The service's ``/predict`` builds its results with the same function
    (``service.labelstudio.prediction_to_ls_result``), so both speak one format. With
    ``text``, spans that do not match it are dropped there (and logged).
    """
    return prediction_to_ls_result(prediction, DEFAULT_NAMES, text=text)


def labels_to_result(
    labels: Iterable[MeasureLabel], entities: Iterable[Span]
) -> list[dict[str, Any]]:
    """Measure labels and spans (an annotation, not a model's output) as result items."""
    chosen = set(labels)
    ordered = [label for label in MEASURE_LABELS if label in chosen]
    spans = sorted(entities, key=lambda s: (s.start, s.end, s.label))
    return prediction_to_result(Prediction(labels=ordered, scores={}, entities=spans))


@dataclass
class ParsedResult:
    """What one annotation (or prediction) says, plus every problem found in it."""

    labels: list[MeasureLabel] = field(default_factory=list)
    entities: list[Span] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_span(value: dict[str, Any], text: str, where: str) -> tuple[Span | None, list[str]]:
    kinds = value.get("labels")
    start, end, span_text = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(kinds, list) or len(kinds) != 1:
        return None, [f"{where}: a span needs exactly one entity type, got {kinds!r}"]
    kind = kinds[0]
    if kind not in ENTITY_TYPES:
        return None, [f"{where}: unknown entity type {kind!r}"]
    if not (_is_int(start) and _is_int(end)):
        return None, [f"{where}: span offsets must be integers, got {start!r}, {end!r}"]
    if not 0 <= start < end <= len(text):
        return None, [
            f"{where}: span [{start}, {end}) is outside a text of length {len(text)} or empty"
        ]
    if not isinstance(span_text, str):
        return None, [f"{where}: span [{start}, {end}) has no text to check"]
    if text[start:end] != span_text:
        return None, [
            f"{where}: span [{start}, {end}) says {span_text!r} but the text there is "
            f"{text[start:end]!r}"
        ]
    return Span(start=start, end=end, label=kind, text=span_text), []


def parse_result(result: Sequence[Any], text: str) -> ParsedResult:
    """Read a Label Studio result list against the segment ``text`` it annotates."""
    parsed = ParsedResult()
    chosen: set[str] = set()
    seen_spans: set[tuple[int, int, str]] = set()
    if not isinstance(result, list):
        parsed.problems.append(f"result is not a list but {type(result).__name__}")
        return parsed
    for number, item in enumerate(result, start=1):
        where = f"result item {number}"
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            parsed.problems.append(f"{where}: not a result object with a value")
            continue
        from_name, kind, value = item.get("from_name"), item.get("type"), item["value"]
        if item.get("to_name", TEXT_NAME) != TEXT_NAME:
            parsed.problems.append(f"{where}: points at {item.get('to_name')!r}, not {TEXT_NAME!r}")
        elif from_name == CHOICES_NAME and kind == "choices":
            values = value.get("choices")
            if not isinstance(values, list):
                parsed.problems.append(f"{where}: choices must be a list, got {values!r}")
                continue
            unknown = [v for v in values if v not in MEASURE_LABELS]
            if unknown:
                parsed.problems.append(f"{where}: unknown measure label(s) {unknown}")
            chosen.update(v for v in values if v in MEASURE_LABELS)
        elif from_name == LABELS_NAME and kind == "labels":
            span, problems = _parse_span(value, text, where)
            parsed.problems.extend(problems)
            if span is None:
                continue
            if span.key in seen_spans:
                parsed.problems.append(f"{where}: span {span.text!r} {span.label} is repeated")
                continue
            seen_spans.add(span.key)
            parsed.entities.append(span)
        else:
            parsed.problems.append(f"{where}: unknown control {from_name!r} of type {kind!r}")
    parsed.labels = [label for label in MEASURE_LABELS if label in chosen]
    parsed.entities.sort(key=lambda s: (s.start, s.end, s.label))
    return parsed
