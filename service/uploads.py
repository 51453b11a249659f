"""Reading a job's documents from a JSON body or an uploaded JSONL, .txt or zip file.

A problem with the request as a whole (not JSON, not a zip, too many zip members,
too much uncompressed data, no documents) is answered with 413/415/422. A problem
with one document (empty, too long, not UTF-8 or GB18030, a bad JSONL line, a zip
member that does not extract) fails that document alone: it is kept with its
error and reported under the job's ``errors``.

Zip bombs: member count and the sum of the members' declared uncompressed sizes
are checked before anything is extracted, and ``zipfile`` never inflates a member
beyond its declared size.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from models.errors import ReadError
from models.readers import decode
from policytag.settings import Settings
from service.errors import InvalidInput, LimitExceeded, UnsupportedMediaType, limit_message
from service.jobs import DocumentInput
from service.limits import has_surrogates, text_problem
from service.schemas import JobCreate, JobDocumentIn

MAX_ID_CHARS = 200


@dataclass(frozen=True)
class JobInput:
    documents: list[DocumentInput]
    segment: bool = True
    include_metadata: bool = True

    @property
    def options(self) -> dict[str, Any]:
        return {"segment": self.segment, "include_metadata": self.include_metadata}


async def read_job_input(request: Request) -> JobInput:
    """The documents and options of ``POST /jobs``, by content type."""
    settings: Settings = request.app.state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        return parse_json_job(await request.body(), settings)
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInput("send the documents as a file field named 'file'")
            data = await upload.read()
            return JobInput(
                documents=parse_upload(upload.filename or "", data, settings),
                segment=_form_bool(form.get("segment"), "segment"),
                include_metadata=_form_bool(form.get("include_metadata"), "include_metadata"),
            )
    raise UnsupportedMediaType(
        "send a JSON body (application/json) or a file upload (multipart/form-data)"
    )


def _form_bool(value: object, name: str) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInput(f"form field {name!r} must be true or false")


def document(doc_id: str, text: str, settings: Settings) -> DocumentInput:
    problem = text_problem(text, settings)
    if problem is not None:
        return DocumentInput(doc_id, None, problem.message)
    return DocumentInput(doc_id, text)


def parse_json_job(body: bytes, settings: Settings) -> JobInput:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from exc
    if isinstance(data, list):
        data = {"documents": data}
    try:
        job = JobCreate.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    documents = []
    for i, item in enumerate(job.documents):
        if isinstance(item, JobDocumentIn):
            documents.append(document(item.id or f"doc-{i + 1}", item.text, settings))
        else:
            documents.append(document(f"doc-{i + 1}", item, settings))
    return JobInput(documents, job.segment, job.include_metadata)


def parse_upload(filename: str, data: bytes, settings: Settings) -> list[DocumentInput]:
    """Documents from a zip of .txt files, one .txt file, or JSONL (the default)."""
    name = filename.lower()
    if name.endswith(".zip") or data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        documents = read_zip(data, settings)
    elif name.endswith(".txt"):
        documents = [from_bytes(PurePosixPath(filename).stem or "doc-1", data, settings)]
    else:
        documents = read_jsonl(data, settings)
    if not documents:
        raise InvalidInput(f"the upload {filename or '(unnamed)'} holds no documents")
    return documents


def from_bytes(doc_id: str, data: bytes, settings: Settings) -> DocumentInput:
    try:
        text = decode(data, doc_id)
    except ReadError as exc:
        return DocumentInput(doc_id, None, str(exc))
    return document(doc_id, text, settings)


def read_zip(data: bytes, settings: Settings) -> list[DocumentInput]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the upload is not a valid zip file: {exc}") from exc
    with archive:
        members = archive.infolist()
        if len(members) > settings.max_zip_members:
            raise LimitExceeded(
                limit_message(
                    f"the zip has {len(members):,} members",
                    "max_zip_members",
                    settings.max_zip_members,
                )
            )
        texts = [m for m in members if _is_text_member(m)]
        unzipped = sum(m.file_size for m in texts)
        if unzipped > settings.max_unzipped_bytes:
            raise LimitExceeded(
                limit_message(
                    f"the zip's .txt files hold {unzipped:,} bytes uncompressed",
                    "max_unzipped_bytes",
                    settings.max_unzipped_bytes,
                )
            )
        if not texts:
            raise InvalidInput("the zip holds no .txt files")
        return [_zip_member(archive, member, settings) for member in texts]


def _is_text_member(member: zipfile.ZipInfo) -> bool:
    path = PurePosixPath(member.filename)
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts)
    return not member.is_dir() and not hidden and path.suffix.lower() == ".txt"


def _zip_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, settings: Settings
) -> DocumentInput:
    doc_id = PurePosixPath(member.filename).with_suffix("").as_posix()[-MAX_ID_CHARS:]
    try:
        with archive.open(member) as handle:
            data = handle.read(member.file_size + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, OSError) as exc:
        return DocumentInput(doc_id, None, f"{member.filename}: cannot extract ({exc})")
    if len(data) > member.file_size:
        return DocumentInput(doc_id, None, f"{member.filename}: larger than its zip entry says")
    return from_bytes(doc_id, data, settings)


def read_jsonl(data: bytes, settings: Settings) -> list[DocumentInput]:
    """One document per line: ``{"text": …, "id": …}`` (other keys ignored) or a string."""
    documents = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        doc_id = f"line-{number}"
        try:
            line = decode(raw, f"line {number}")
            record = json.loads(line)
        except ReadError as exc:
            documents.append(DocumentInput(doc_id, None, str(exc)))
            continue
        except ValueError as exc:
            documents.append(DocumentInput(doc_id, None, f"line {number}: not valid JSON ({exc})"))
            continue
        if isinstance(record, dict) and isinstance(record.get("text"), str):
            given = record.get("id")
            if isinstance(given, str) and given and not has_surrogates(given):
                doc_id = given[:MAX_ID_CHARS]
            documents.append(document(doc_id, record["text"], settings))
        elif isinstance(record, str):
            documents.append(document(doc_id, record, settings))
        else:
            message = f'line {number}: expected {{"text": "…"}} or a JSON string'
            documents.append(DocumentInput(doc_id, None, message))
    return documents
