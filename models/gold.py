"""All the gold the project has: the seed gold plus every annotation round."""

from __future__ import annotations

from pathlib import Path

from models.errors import DataError
from models.examples import load_examples
from models.schema import Example


def gold_files(seeds_dir: Path, rounds_dir: Path) -> list[Path]:
    """The seed gold first, then rounds in order, so ids and folds are stable."""
    files = [Path(seeds_dir) / "gold.jsonl"]
    files += sorted(Path(rounds_dir).glob("round-*.jsonl")) if Path(rounds_dir).is_dir() else []
    return [path for path in files if path.is_file()]


def load_gold(seeds_dir: Path, rounds_dir: Path) -> list[Example]:
    """Every gold example; an id repeated across files is an error, not a merge."""
    examples: list[Example] = []
    origin: dict[str, Path] = {}
    for path in gold_files(seeds_dir, rounds_dir):
        for example in load_examples(path):
            if example.id in origin:
                raise DataError(f"{path}: id {example.id!r} is already in {origin[example.id]}")
            origin[example.id] = path
            examples.append(example)
    if not examples:
        raise DataError(f"no gold data: {Path(seeds_dir) / 'gold.jsonl'} is missing")
    return examples
