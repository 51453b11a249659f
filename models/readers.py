"""Reading documents from disk into text.

Government sites still publish GB18030 text, so a file that is not UTF-8 is
tried as GB18030 before it is refused.
"""

from __future__ import annotations

from pathlib import Path

from models.errors import ReadError

TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def decode(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8, else GB18030; refuse anything else by name."""
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{name}: not UTF-8 or GB18030 text")


def read_text(path: Path) -> str:
    """The text of a .txt file, with a clear error for missing or empty files."""
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    if path.is_dir():
        raise ReadError(f"{path}: is a directory, expected a text file")
    text = decode(path.read_bytes(), str(path))
    if not text.strip():
        raise ReadError(f"{path}: file is empty")
    return text


def doc_id_for(path: Path) -> str:
    """Documents are named after their file, which is stable across runs."""
    return Path(path).stem
