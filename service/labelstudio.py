"""Predictions in Label Studio's result format: pure functions, no web framework.

The annotation package imports these to push pre-annotations; the service's
``/predict`` uses the same ones. Tag names and label values are read from the
project's label config (``parse_label_config``) when there is one, else the
defaults of the generated config apply: ``<Choices name="measures">`` and
``<Labels name="entities">``, both over ``<Text name="text" value="$text">``.

Offsets in Label Studio results are Python ``str`` (code-point) indices, the same
rule as ``models.schema``. Label Studio does not validate what it is sent, so we do:
a label the config has no value for is dropped, and so is a span whose text does not
match the task text at its offsets.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.schema import (
    ENTITY_NAMES_ZH,
    ENTITY_TYPES,
    MEASURE_LABELS,
    MEASURE_NAMES_ZH,
    Prediction,
)

log = logging.getLogger("policytag.service.labelstudio")

MAX_LABEL_CONFIG_CHARS = 200_000


class LabelConfigError(ValueError):
    """A label config that is not XML or has no usable tags."""


def _identity(labels: Iterable[str]) -> dict[str, str]:
    return {label: label for label in labels}


@dataclass(frozen=True)
class LSNames:
    """Where predictions go in a project: tag names and our label → config value."""

    choices: str | None = "measures"
    choices_to: str = "text"
    labels: str | None = "entities"
    labels_to: str = "text"
    data_key: str = "text"
    choice_values: Mapping[str, str] = field(default_factory=lambda: _identity(MEASURE_LABELS))
    label_values: Mapping[str, str] = field(default_factory=lambda: _identity(ENTITY_TYPES))


DEFAULT_NAMES = LSNames()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _value_map(
    tag: ET.Element, ours: Iterable[str], zh: Mapping[str, str], child: str
) -> dict[str, str]:
    """Our label → the config's value, by value, alias, ``predicted_values`` or Chinese name."""
    mapping: dict[str, str] = {}
    for option in tag.iter():
        if _local(option.tag) != child or "value" not in option.attrib:
            continue
        value = option.attrib["value"]
        names = {value, option.attrib.get("alias", "")}
        names |= {v.strip() for v in option.attrib.get("predicted_values", "").split(",")}
        folded = {n.casefold() for n in names if n}
        for label in ours:
            if label not in mapping and (label.casefold() in folded or zh.get(label) in names):
                mapping[label] = value
    return mapping


def parse_label_config(config: str) -> LSNames:
    """Tag names, data key and label values from a project's label config XML.

    Picks the ``Choices`` and ``Labels`` over a ``Text`` tag that match most of our
    measure and entity labels; a config without one of them gets no results of
    that kind.
    """
    if len(config) > MAX_LABEL_CONFIG_CHARS:
        raise LabelConfigError(f"label config longer than {MAX_LABEL_CONFIG_CHARS:,} characters")
    try:
        root = ET.fromstring(config)
    except ET.ParseError as exc:
        raise LabelConfigError(f"label config is not valid XML: {exc}") from exc
    texts = {
        el.attrib["name"]: el.attrib.get("value", "$text")
        for el in root.iter()
        if _local(el.tag) in ("text", "hypertext") and "name" in el.attrib
    }
    if not texts:
        raise LabelConfigError("label config has no <Text name=… value=…> tag")

    def best(kind: str, child: str, ours: tuple[str, ...], zh: Mapping[str, str]):
        candidates = [
            (el, _value_map(el, ours, zh, child))
            for el in root.iter()
            if _local(el.tag) == kind and "name" in el.attrib and el.attrib.get("toName") in texts
        ]
        return max(candidates, key=lambda c: len(c[1]), default=(None, {}))

    choices, choice_values = best("choices", "choice", MEASURE_LABELS, MEASURE_NAMES_ZH)
    labels, label_values = best("labels", "label", ENTITY_TYPES, ENTITY_NAMES_ZH)
    if choices is None and labels is None:
        raise LabelConfigError("label config has no <Choices> or <Labels> over a <Text> tag")
    choices_to = choices.attrib["toName"] if choices is not None else next(iter(texts))
    labels_to = labels.attrib["toName"] if labels is not None else choices_to
    source = texts[choices_to if choices is not None else labels_to]
    return LSNames(
        choices=choices.attrib["name"] if choices is not None else None,
        choices_to=choices_to,
        labels=labels.attrib["name"] if labels is not None else None,
        labels_to=labels_to,
        data_key=source[1:] if source.startswith("$") else DEFAULT_NAMES.data_key,
        choice_values=choice_values,
        label_values=label_values,
    )


def prediction_to_ls_result(
    prediction: Prediction, from_names: LSNames = DEFAULT_NAMES, *, text: str | None = None
) -> list[dict[str, Any]]:
    """One prediction as Label Studio result items: one ``choices``, one ``labels`` per span.

    Entity offsets must point into the task's text; pass ``text`` to check them.
    """
    result: list[dict[str, Any]] = []
    if from_names.choices is not None:
        chosen = [
            from_names.choice_values[label]
            for label in prediction.labels
            if label in from_names.choice_values
        ]
        if chosen:
            result.append(
                {
                    "id": "measures",
                    "from_name": from_names.choices,
                    "to_name": from_names.choices_to,
                    "type": "choices",
                    "value": {"choices": chosen},
                }
            )
    if from_names.labels is None:
        return result
    for i, span in enumerate(prediction.entities):
        value = from_names.label_values.get(span.label)
        if value is None:
            continue
        if text is not None and text[span.start : span.end] != span.text:
            log.warning(
                "dropped span %r [%d, %d): not in the task text", span.text, span.start, span.end
            )
            continue
        item: dict[str, Any] = {
            "id": f"entity-{i + 1}",
            "from_name": from_names.labels,
            "to_name": from_names.labels_to,
            "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [value]},
        }
        if span.score is not None:
            item["score"] = span.score
        result.append(item)
    return result


def prediction_score(prediction: Prediction) -> float:
    """How sure the model is, in [0.5, 1]: the mean over labels of max(p, 1 - p).

    Label Studio sorts and samples tasks by it; low means worth annotating.
    """
    if not prediction.scores:
        return 0.0
    return sum(max(p, 1.0 - p) for p in prediction.scores.values()) / len(prediction.scores)
