"""The labelling interface is generated from the schema and cannot drift from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from annotation.label_config import (
    CHOICES_NAME,
    LABEL_CONFIG_FILE,
    LABELS_NAME,
    TEXT_NAME,
    build_label_config,
    config_digest,
    guideline_hints,
)
from models.schema import ENTITY_NAMES_ZH, ENTITY_TYPES, MEASURE_LABELS, MEASURE_NAMES_ZH


def test_label_config_file_matches_the_generated_config():
    assert LABEL_CONFIG_FILE.read_text(encoding="utf-8") == build_label_config(), (
        "annotation/label_config.xml is stale: run `policytag annotate config`"
    )


def test_label_config_has_every_label_and_type_from_the_schema():
    root = ET.fromstring(build_label_config())
    [text] = root.iter("Text")
    assert text.get("name") == TEXT_NAME and text.get("value") == f"${TEXT_NAME}"
    [choices] = root.iter("Choices")
    assert choices.get("name") == CHOICES_NAME
    assert choices.get("toName") == TEXT_NAME
    assert choices.get("choice") == "multiple"
    shown = {c.get("value"): c.get("html") for c in choices.iter("Choice")}
    assert list(shown) == list(MEASURE_LABELS)
    for label, html in shown.items():
        assert MEASURE_NAMES_ZH[label] in html and label in html
    [labels] = root.iter("Labels")
    assert labels.get("name") == LABELS_NAME and labels.get("toName") == TEXT_NAME
    hints = {label.get("value"): label.get("hint") for label in labels.iter("Label")}
    assert list(hints) == list(ENTITY_TYPES)
    for kind, hint in hints.items():
        assert hint.startswith(ENTITY_NAMES_ZH[kind])
    headers = [h.get("value") for h in root.iter("Header")]
    assert any("GUIDELINES.md" in h for h in headers)


def test_label_config_hints_come_from_the_guidelines_tables():
    hints = guideline_hints()
    assert set(hints) == set(MEASURE_LABELS) | set(ENTITY_TYPES)
    assert hints["FUND"] == "a named fund"
    assert hints["compute"].startswith("computing power")


def test_label_config_digest_ignores_layout_but_not_content():
    xml = build_label_config()
    assert config_digest(xml) == config_digest(xml.replace("\n  ", "\n    "))
    assert config_digest(xml) != config_digest(xml.replace('value="talent"', 'value="talents"'))
