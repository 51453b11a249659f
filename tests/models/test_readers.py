"""Reading text files: UTF-8, GB18030, and clear errors for the rest."""

from __future__ import annotations

import pytest

from models.errors import ReadError
from models.readers import doc_id_for, read_text


def test_readers_utf8_and_bom(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeff设立算力券。".encode())
    assert read_text(path) == "设立算力券。"


def test_readers_gb18030_fallback(tmp_path):
    path = tmp_path / "gb.txt"
    path.write_bytes("建设数据跨境服务中心，推动企业出海。".encode("gb18030"))
    assert read_text(path) == "建设数据跨境服务中心，推动企业出海。"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\t\n", "file is empty"),
        (b"\x80\xff\xfe\x81", "not UTF-8 or GB18030"),
    ],
)
def test_readers_bad_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        read_text(path)


def test_readers_missing_file_and_directory(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(ReadError, match="is a directory"):
        read_text(tmp_path)


def test_readers_doc_id_is_file_stem(tmp_path):
    assert doc_id_for(tmp_path / "003_abc.txt") == "003_abc"
