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


def _settings_pool_file() -> Path:
    from policytag.settings import get_settings

    return get_settings().pool_file


def load_gold(seeds_dir: Path, rounds_dir: Path, pool_file: Path | None = None) -> list[Example]:
    """Every gold example; an id repeated across files is an error, not a merge.

    Round files go through ``annotation.rounds.load_round``, which joins stand-off
    pool records with ``pool_file`` (default: ``Settings.pool_file``, read only
    when a round needs it).
    """
    from annotation.rounds import load_round

    pool = pool_file if pool_file is not None else _settings_pool_file
    seed_file = Path(seeds_dir) / "gold.jsonl"
    examples: list[Example] = []
    origin: dict[str, Path] = {}
    for path in gold_files(seeds_dir, rounds_dir):
        loaded = load_examples(path) if path == seed_file else load_round(path, pool)
        for example in loaded:
            if example.id in origin:
                raise DataError(f"{path}: id {example.id!r} is already in {origin[example.id]}")
            origin[example.id] = path
            examples.append(example)
    if not examples:
        raise DataError(f"no gold data: {Path(seeds_dir) / 'gold.jsonl'} is missing")
    return examples
