"""Shared output helpers, so every command writes JSONL and tables the same way."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from rich.console import Console
from rich.table import Table

from models import atomic

console = Console(stderr=True)
TABLE_WIDTH = 160


class Format(StrEnum):
    jsonl = "jsonl"
    table = "table"


def resolve_format(requested: Format | None, out: Path | None) -> Format:
    """As asked; else JSONL into files and pipes, a table for people at a terminal."""
    if requested is not None:
        return requested
    return Format.table if out is None and sys.stdout.isatty() else Format.jsonl


def write_jsonl(records: Iterable[dict], out: Path | None) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if out is None:
        sys.stdout.write(lines)
    else:
        atomic.write_text(out, lines)
        console.print(f"wrote {out}")


def print_table(title: str, columns: list[str], rows: Iterable[list[str]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    # Logs and pipes get a wide table rather than one folded into 80 columns.
    Console(width=None if sys.stdout.isatty() else TABLE_WIDTH).print(table)
