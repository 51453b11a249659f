"""The unlabelled pool (``Settings.pool_file``), read at run time and never copied.

Rounds over pool text are stand-off: they hold a paragraph id and offsets, and are
joined with the pool here when loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from models.errors import DataError


@dataclass(frozen=True)
class PoolParagraph:
    id: str
    doc_id: str
    text: str
    title: str | None = None


def text_sha256(text: str) -> str:
    """The hash that identifies a segment's text in tasks and stand-off records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def _read(path: Path, mtime_ns: int, size: int) -> dict[str, PoolParagraph]:
    paragraphs: dict[str, PoolParagraph] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                paragraph = PoolParagraph(
                    id=str(record["id"]),
                    doc_id=str(record["doc_id"]),
                    text=str(record["text"]),
                    title=record.get("source_title"),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{number}: not a pool record ({exc})") from exc
            if paragraph.id in paragraphs:
                raise DataError(f"{path}:{number}: duplicate pool id {paragraph.id!r}")
            paragraphs[paragraph.id] = paragraph
    return paragraphs


def read_pool(path: Path) -> dict[str, PoolParagraph]:
    """Pool paragraphs by id; cached until the file changes."""
    path = Path(path).resolve()
    if not path.is_file():
        raise DataError(
            f"{path}: no pool file (set POLICYTAG_POOL_DIR to the folder with pool.jsonl)"
        )
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)
