"""The one data vocabulary of policytag.

Every module speaks these types; nobody re-declares the label list. Offsets are
Python ``str`` indices (code points), ``end`` exclusive, everywhere.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

MeasureLabel = Literal["talent", "compute", "corpus", "funding", "security", "overseas"]
EntityType = Literal["PROGRAM", "POLICY", "PLATFORM", "FUND", "EVENT"]

MEASURE_LABELS: tuple[MeasureLabel, ...] = get_args(MeasureLabel)
ENTITY_TYPES: tuple[EntityType, ...] = get_args(EntityType)

MEASURE_NAMES_ZH: dict[MeasureLabel, str] = {
    "talent": "人才",
    "compute": "算力",
    "corpus": "语料/数据",
    "funding": "资金",
    "security": "安全",
    "overseas": "出海",
}
ENTITY_NAMES_ZH: dict[EntityType, str] = {
    "PROGRAM": "计划/项目",
    "POLICY": "政策文件",
    "PLATFORM": "平台",
    "FUND": "基金",
    "EVENT": "活动/会议",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Strict):
    """A named entity: ``text == segment_text[start:end]``."""

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    label: EntityType
    text: str = Field(min_length=1)
    score: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _consistent(self) -> Span:
        if self.end <= self.start:
            raise ValueError(f"span end {self.end} must be greater than start {self.start}")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"span text {self.text!r} has length {len(self.text)}, "
                f"but [{self.start}, {self.end}) covers {self.end - self.start} characters"
            )
        return self

    @property
    def key(self) -> tuple[int, int, str]:
        """What strict matching compares: boundaries and type, not the score."""
        return (self.start, self.end, self.label)


def check_spans(text: str, spans: list[Span]) -> None:
    """Raise ``ValueError`` if a span does not match the text it points into."""
    for span in spans:
        if span.end > len(text):
            raise ValueError(
                f"span {span.text!r} [{span.start}, {span.end}) runs past the end of a "
                f"text of length {len(text)}"
            )
        if text[span.start : span.end] != span.text:
            raise ValueError(
                f"span [{span.start}, {span.end}) says {span.text!r} but the text there is "
                f"{text[span.start : span.end]!r}"
            )


class Segment(_Strict):
    """One measure-level unit of a document.

    ``start``/``end`` point into the *original* document text, so a UI can highlight
    the segment there; ``text`` is the cleaned text (line wraps joined, page numbers
    and markdown removed) that models see and entity offsets point into.
    """

    id: str
    doc_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Example(_Strict):
    """One gold line in the guidelines' JSONL format.

    ``doc_id`` groups segments for leave-one-document-out evaluation; when it is
    missing, the part of ``id`` before ``#`` stands in for it.
    """

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    labels: list[MeasureLabel] = Field(default_factory=list)
    entities: list[Span] = Field(default_factory=list)
    doc_id: str | None = None
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    source: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Example:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels repeat: {self.labels}")
        check_spans(self.text, self.entities)
        return self

    @property
    def document(self) -> str:
        return self.doc_id or self.id.split("#", 1)[0]


class Prediction(_Strict):
    """What every Predictor returns for one text."""

    labels: list[MeasureLabel]
    scores: dict[MeasureLabel, float]
    entities: list[Span] = Field(default_factory=list)

    def as_example(self, id: str, text: str) -> Example:
        """The prediction in gold shape, so gold and predictions score alike."""
        return Example(id=id, text=text, labels=list(self.labels), entities=list(self.entities))


class ReplyMetadata(BaseModel):
    """Header and footer fields of a proposal reply; a missing field is ``None``."""

    model_config = ConfigDict(extra="forbid")

    doc_number: str | None = None
    proposal_number: str | None = None
    session: str | None = None
    addressee: str | None = None
    proposers: list[str] | None = None
    proposal_title: str | None = None
    agency: str | None = None
    date: str | None = None
    result: str | None = None
    disclosure: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


class Document(BaseModel):
    """A whole reply or policy text with its segments and metadata."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    source: str | None = None
    metadata: ReplyMetadata = Field(default_factory=ReplyMetadata)
    segments: list[Segment] = Field(default_factory=list)


class TaggedSegment(BaseModel):
    """A segment with its prediction; entity offsets point into ``text``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    start: int
    end: int
    text: str
    labels: list[MeasureLabel]
    scores: dict[MeasureLabel, float]
    entities: list[Span] = Field(default_factory=list)


class TaggedDocument(BaseModel):
    """A whole document tagged: the union of its segments' labels, and the segments."""

    model_config = ConfigDict(extra="forbid")

    id: str
    metadata: ReplyMetadata | None = None
    labels: list[MeasureLabel]
    label_scores: dict[MeasureLabel, float]
    segments: list[TaggedSegment]
