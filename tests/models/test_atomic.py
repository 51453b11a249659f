"""Atomic writes: whole files or nothing, with ordinary permissions."""

from __future__ import annotations

import os

import pytest

from models import atomic


def test_atomic_write_replaces_and_keeps_plain_permissions(tmp_path):
    path = tmp_path / "out.txt"
    atomic.write_text(path, "一")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    atomic.write_text(path, "二")
    assert path.read_text(encoding="utf-8") == "二"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_directory_keeps_old_dir_when_block_fails(tmp_path):
    target = tmp_path / "model"
    with atomic.directory(target) as tmp:
        (tmp / "weights").write_text("v1", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic.directory(target) as tmp:
        (tmp / "weights").write_text("half", encoding="utf-8")
        raise RuntimeError("crash mid-write")
    assert (target / "weights").read_text(encoding="utf-8") == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
