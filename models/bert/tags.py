"""The BIO tag set of the entity head, derived once from ``ENTITY_TYPES``.

Model, encoding and engine all index tags through this module, so a new entity
type in the schema changes the head size and the decoder together.
"""

from __future__ import annotations

from models.schema import ENTITY_TYPES, EntityType

OUTSIDE = "O"
IGNORE_INDEX = -100
"""Target for tokens that carry no tag ([CLS], [SEP], padding); ``CrossEntropyLoss`` skips it."""

TAGS: tuple[str, ...] = (
    OUTSIDE,
    *(f"{prefix}-{entity_type}" for entity_type in ENTITY_TYPES for prefix in ("B", "I")),
)
TAG_IDS: dict[str, int] = {tag: i for i, tag in enumerate(TAGS)}


def begin(entity_type: EntityType) -> int:
    """Tag id that opens a span of ``entity_type``."""
    return TAG_IDS[f"B-{entity_type}"]


def inside(entity_type: EntityType) -> int:
    """Tag id that continues a span of ``entity_type``."""
    return TAG_IDS[f"I-{entity_type}"]


def parse(tag_id: int) -> tuple[str, EntityType | None]:
    """``("B" | "I" | "O", entity type or None)`` for a tag id."""
    tag = TAGS[tag_id]
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, entity_type = tag.split("-", 1)
    return prefix, entity_type  # type: ignore[return-value]
