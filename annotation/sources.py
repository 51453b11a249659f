"""Candidate segments for a round: from the pool, a reply file, or a folder of them.

Pool segments are cut from their paragraph by ``segment()``'s offsets and keep the
paragraph's exact characters, so a round can store them stand-off (pool id,
offsets, hash) and join them back with the pool later. Segments of users' own files
are the cleaned segment texts and travel inline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotation.rounds import POOL_SOURCE
from models.errors import DataError
from models.pool import read_pool, text_sha256
from models.readers import read_text
from models.segment import segment
from policytag.settings import Settings

TEXT_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Candidate:
    """One segment that could become a task; ``start``/``end`` point into its source."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    source: str
    pool_id: str | None = None
    title: str | None = None

    @property
    def sha256(self) -> str:
        return text_sha256(self.text)

    def task_data(self) -> dict[str, Any]:
        """The task's ``data``: the text plus what a pull needs to write the round record."""
        data: dict[str, Any] = {
            "text": self.text,
            "segment_id": self.id,
            "doc_id": self.doc_id,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "sha256": self.sha256,
        }
        if self.pool_id is not None:
            data["pool_id"] = self.pool_id
        if self.title is not None:
            data["title"] = self.title
        return data


def pool_candidates(pool_file: Path) -> list[Candidate]:
    """Every segment of every pool paragraph, in pool order."""
    candidates = []
    for paragraph in read_pool(pool_file).values():
        for seg in segment(paragraph.text, paragraph.id):
            text = paragraph.text[seg.start : seg.end]
            if not text.strip():
                continue
            candidates.append(
                Candidate(
                    id=seg.id,
                    doc_id=f"pool-{paragraph.doc_id}",
                    text=text,
                    start=seg.start,
                    end=seg.end,
                    source=POOL_SOURCE,
                    pool_id=paragraph.id,
                    title=paragraph.title,
                )
            )
    return candidates


def document_id(path: Path, text: str) -> str:
    """File stem plus a content hash, so two files named alike never share ids."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{Path(path).stem}_{digest}"


def file_candidates(paths: list[Path]) -> list[Candidate]:
    candidates = []
    for path in paths:
        text = read_text(path)
        doc_id = document_id(path, text)
        for seg in segment(text, doc_id):
            candidates.append(
                Candidate(
                    id=seg.id,
                    doc_id=doc_id,
                    text=seg.text,
                    start=seg.start,
                    end=seg.end,
                    source=f"file:{Path(path).name}",
                    title=Path(path).name,
                )
            )
    return candidates


def load_candidates(source: str, settings: Settings) -> list[Candidate]:
    """``pool`` (``Settings.pool_file``), one reply file, or a folder of ``.txt``/``.md``."""
    if source == POOL_SOURCE:
        return pool_candidates(settings.pool_file)
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in TEXT_SUFFIXES and p.is_file())
        if not files:
            raise DataError(f"{path}: no .txt or .md files to push")
        return file_candidates(files)
    if path.is_file():
        if path.suffix == ".jsonl":
            raise DataError(
                f"{path}: JSONL is not a reply text; for the pool use --source pool "
                "(with POLICYTAG_POOL_DIR)"
            )
        return file_candidates([path])
    raise DataError(f"{source}: no such file or folder (or use --source pool)")
