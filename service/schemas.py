"""Request and response models, one per direction; routes declare them all.

Request strings refuse lone surrogates (JSON ``"\\ud800"``): they are not text, and
echoing them back would make the response unencodable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from models.schema import TaggedDocument
from models.training import TRAINERS
from service.limits import has_surrogates


def _no_surrogates(value: str) -> str:
    if has_surrogates(value):
        raise ValueError("not valid Unicode: holds a lone surrogate")
    return value


CleanStr = Annotated[str, AfterValidator(_no_surrogates)]
# A text to tag. The schema says it must hold a non-space character; the check itself
# is ``service.limits``, whose 422 names the offending text.
Text = Annotated[CleanStr, WithJsonSchema({"type": "string", "pattern": r"\S"})]
JobStatus = Literal["queued", "running", "completed", "failed"]
JobKind = Literal["classify", "train"]


class ErrorResponse(BaseModel):
    """Every 4xx/5xx: a message naming the problem (a list for schema errors)."""

    detail: str | list[dict[str, Any]]


# --------------------------------------------------------------------------- classify


class ClassifyRequest(BaseModel):
    """One text (``text``) or many (``texts``); each is one document."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"text": "一是加强人才培养。二是设立产业基金。"}],
            "oneOf": [{"required": ["text"]}, {"required": ["texts"]}],
        },
    )

    text: Text = Field(None, description="One document.")  # type: ignore[assignment]
    texts: list[Text] = Field(None, min_length=1, description="Several documents.")  # type: ignore[assignment]
    segment: bool = Field(
        True, description="Split replies into measures; false: each text is one segment."
    )
    include_metadata: bool = Field(True, description="Read the reply header fields.")

    @model_validator(mode="after")
    def _one_of(self) -> ClassifyRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' or 'texts'")
        return self

    @property
    def all_texts(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])


class ClassifyResponse(BaseModel):
    model: str = Field(description="Name of the model that tagged the documents.")
    model_version: str
    timing_ms: float = Field(description="Time in the service, queueing included.")
    documents: list[TaggedDocument]


# --------------------------------------------------------------------------- jobs


class JobDocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: CleanStr | None = Field(None, min_length=1, max_length=200)
    text: CleanStr


class JobCreate(BaseModel):
    """A JSON job: the documents (strings or ``{"id", "text"}``) and the options.

    A bare JSON list is read as ``documents``. Empty or too long texts do not fail
    the job: each fails alone and is reported under ``errors``.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    documents: list[JobDocumentIn | CleanStr] = Field(min_length=1)
    segment: bool = True
    include_metadata: bool = True


class JobProgress(BaseModel):
    total: int
    done: int = Field(description="Documents finished, failed ones included.")
    failed: int


class DocumentError(BaseModel):
    index: int
    id: str
    error: str


class JobPublic(BaseModel):
    id: str
    kind: JobKind
    status: JobStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: JobProgress
    options: dict[str, Any]
    error: str | None = Field(description="Why the whole job failed.")
    note: str | None = Field(description="E.g. that the job resumed after a restart.")
    model_versions: list[str]
    summary: dict[str, Any] | None = Field(description="A training job's outcome.")
    errors: list[DocumentError] = Field(description="Documents that failed (the first 1,000).")
    results_url: str | None


class JobsPublic(BaseModel):
    jobs: list[JobPublic]


# --------------------------------------------------------------------------- meta


class HealthResponse(BaseModel):
    status: Literal["UP"] = "UP"
    model_state: Literal["loading", "ready", "failed"]
    model_version: str | None


class ReadyResponse(BaseModel):
    ready: bool
    model_state: Literal["loading", "ready", "failed"]
    reason: str | None = None


class LabelInfo(BaseModel):
    name: str
    zh: str


class LabelsResponse(BaseModel):
    measures: list[LabelInfo]
    entities: list[LabelInfo]


class ModelInfo(BaseModel):
    name: str
    version: str
    source: str = Field(description="What was loaded: a model name, a directory or a job.")
    loaded_at: datetime
    manifest: dict[str, Any] | None = Field(
        description="policytag.json of a model directory (with its eval figures), if any."
    )
    last_error: str | None = Field(description="Why the last reload failed, if it did.")


# --------------------------------------------------------------------------- admin


class ReloadResponse(BaseModel):
    model: str
    model_version: str
    previous_version: str | None
    source: str


# The types ``models.training.train_model`` knows; a BERT trainer joins by registering there.
TrainableType = Literal[tuple(TRAINERS)]  # type: ignore[valid-type]


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    model_type: TrainableType | None = Field(  # type: ignore[valid-type]
        None, description="Default: the served on-the-fly type (rules or tfidf)."
    )
    activate: bool = Field(True, description="Serve the new model when training ends.")


# --------------------------------------------------------------------------- Label Studio


class LSSetupRequest(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True)

    project: str | int | None = None
    label_config: CleanStr | None = Field(None, alias="schema")
    model_version: str | None = None


class LSSetupResponse(BaseModel):
    model_version: str


class LSTask(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    id: int | str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class LSPredictRequest(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    tasks: list[LSTask]
    label_config: CleanStr | None = None
    project: str | int | None = None


class LSPrediction(BaseModel):
    result: list[dict[str, Any]]
    score: float
    model_version: str


class LSPredictResponse(BaseModel):
    results: list[LSPrediction]


class LSWebhookRequest(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    action: CleanStr
    project: dict[str, Any] | int | str | None = None


class LSWebhookResponse(BaseModel):
    status: Literal["queued", "already running", "ignored"]
    action: str
    job_id: str | None = None


class LSVersionsResponse(BaseModel):
    versions: list[str]
    model_version: str | None
