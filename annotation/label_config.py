"""The Label Studio labelling interface, generated from the schema and the guidelines.

``annotation/label_config.xml`` is this module's output, checked in so people can
read it; a test fails when the file and :func:`build_label_config` disagree, so the
interface can never drift from ``models/schema.py``. Regenerate it with
``policytag annotate config``.

The control names below are the contract between the interface, the pre-annotations
we import and the annotations we export (see ``annotation/convert.py``).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from models import atomic
from models.schema import ENTITY_NAMES_ZH, ENTITY_TYPES, MEASURE_LABELS, MEASURE_NAMES_ZH

ANNOTATION_DIR = Path(__file__).resolve().parent
LABEL_CONFIG_FILE = ANNOTATION_DIR / "label_config.xml"
GUIDELINES_FILE = ANNOTATION_DIR / "GUIDELINES.md"

TEXT_NAME = "text"
"""The <Text> tag; it shows ``task.data.text``, the segment."""
CHOICES_NAME = "measures"
"""The multi-choice <Choices> for the six measure labels."""
LABELS_NAME = "entities"
"""The <Labels> for the five entity span types."""
FROM_NAMES = {"choices": CHOICES_NAME, "labels": LABELS_NAME, "text": TEXT_NAME}

ENTITY_COLOURS = {
    "PROGRAM": "#1f77b4",
    "POLICY": "#d62728",
    "PLATFORM": "#2ca02c",
    "FUND": "#ff7f0e",
    "EVENT": "#9467bd",
}
RULES = (
    "Label what the segment does, not words it mentions in passing; a segment may have no label.",
    "Spans are proper names of one specific thing. Leave out quotes or 《》 that wrap the "
    "whole name; tag the longest of nested names; no organisations, places, people or products.",
)
_TABLE_ROW = re.compile(r"^\|\s*`([A-Za-z]+)`\s*\|(.+)\|\s*$")


def guideline_hints(path: Path = GUIDELINES_FILE) -> dict[str, str]:
    """One-line descriptions of each label and entity type from the guidelines' tables.

    Measures take the third column ("a segment gets it when it describes …"), entity
    types the second ("what"). A label the tables lack simply has no hint.
    """
    hints: dict[str, str] = {}
    if not path.is_file():
        return hints
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _TABLE_ROW.match(line.strip())
        if not match:
            continue
        name, cells = match.group(1), [c.strip() for c in match.group(2).split("|")]
        if name in MEASURE_LABELS and len(cells) >= 2:
            hints[name] = cells[1]
        elif name in ENTITY_TYPES and cells:
            hints[name] = cells[0]
    return hints


def build_label_config(hints: dict[str, str] | None = None) -> str:
    """The interface's XML: a guidelines header, the segment, entity labels, measure choices."""
    hints = guideline_hints() if hints is None else hints
    view = ET.Element("View")
    guide = ET.SubElement(view, "View", style="margin-bottom: 8px")
    ET.SubElement(
        guide,
        "Header",
        value="policytag · 按 annotation/GUIDELINES.md 标注 (label by annotation/GUIDELINES.md)",
        size="5",
    )
    for rule in RULES:
        ET.SubElement(guide, "Header", value=rule, size="6")
    labels = ET.SubElement(view, "Labels", name=LABELS_NAME, toName=TEXT_NAME)
    for kind in ENTITY_TYPES:
        hint = (
            f"{ENTITY_NAMES_ZH[kind]} — {hints[kind]}" if kind in hints else ENTITY_NAMES_ZH[kind]
        )
        ET.SubElement(labels, "Label", value=kind, hint=hint, background=ENTITY_COLOURS[kind])
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}", granularity="symbol")
    ET.SubElement(
        view, "Header", value="措施类型 Measure types (multi-label; none is allowed)", size="6"
    )
    choices = ET.SubElement(
        view, "Choices", name=CHOICES_NAME, toName=TEXT_NAME, choice="multiple", showInline="true"
    )
    for label in MEASURE_LABELS:
        # No hotkeys: Label Studio assigns them across both controls without clashes.
        attributes = {"value": label, "html": f"{MEASURE_NAMES_ZH[label]} {label}"}
        if label in hints:
            attributes["hint"] = hints[label]
        ET.SubElement(choices, "Choice", attributes)
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"


def config_digest(xml: str) -> str:
    """A hash of the config that ignores indentation, to tell a real change from layout."""
    canonical = re.sub(r">\s+<", "><", xml.strip())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_label_config(path: Path = LABEL_CONFIG_FILE) -> bool:
    """Write the generated config; return whether the file changed."""
    xml = build_label_config()
    if path.is_file() and path.read_text(encoding="utf-8") == xml:
        return False
    atomic.write_text(path, xml)
    return True
