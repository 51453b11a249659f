"""Reading and writing gold JSONL (the guidelines' format), with validation.

Loading never drops a line silently: every problem is reported with its file and
line number, and the whole file is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from models import atomic
from models.errors import DataError
from models.schema import Example

__all__ = ["DataError", "dump_examples", "load_examples", "parse_examples", "write_examples"]


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


def parse_examples(lines: Iterable[str], source: str) -> list[Example]:
    """Parse JSONL lines into examples; ``source`` names the data in errors."""
    examples: list[Example] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{source}:{number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(
                f"{source}:{number}: expected a JSON object, got {type(record).__name__}"
            )
            continue
        try:
            example = Example.model_validate(record)
        except ValidationError as exc:
            problems.append(f"{source}:{number}: {_describe(exc)}")
            continue
        if example.id in seen:
            problems.append(
                f"{source}:{number}: duplicate id {example.id!r} (first on line {seen[example.id]})"
            )
            continue
        seen[example.id] = number
        examples.append(example)
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError(f"{len(problems)} invalid line(s) in {source}:\n{shown}{more}")
    return examples


def load_examples(path: Path) -> list[Example]:
    """Load and validate a gold JSONL file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    examples = parse_examples(text.splitlines(), str(path))
    if not examples:
        raise DataError(f"{path}: no examples in file")
    return examples


def dump_examples(examples: Iterable[Example]) -> str:
    lines = [ex.model_dump_json(exclude_none=True) for ex in examples]
    return "".join(line + "\n" for line in lines)


def write_examples(path: Path, examples: Iterable[Example]) -> None:
    """Write examples as JSONL, atomically."""
    atomic.write_text(Path(path), dump_examples(examples))
