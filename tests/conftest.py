"""Shared fixtures. Real text comes from ../shared; other fixtures are our own."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def seed_files() -> list[Path]:
    files = sorted((REPO / "seeds").glob("*.txt"))
    assert len(files) == 5, "the five seed replies must be in seeds/"
    return files
