"""Reading reply files: TXT, DOCX, PDF and HTML, batch inputs, and clear errors."""

from __future__ import annotations

import json

import pytest

from models.errors import ReadError
from models.readers import (
    PAGE_BREAK,
    doc_id_for,
    find_inputs,
    iter_inputs,
    read_document,
    read_text,
)
from models.segment import segment
from tests import reply_files


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


# ---------------------------------------------------------------------------
# Every format behind read_document


def test_readers_gb18030_txt_through_read_document(tmp_path):
    path = reply_files.write_txt_gb18030(tmp_path / "reply.txt")
    assert read_document(path) == reply_files.reply_text()


def test_readers_docx_paragraphs_and_tables_in_order_without_footer(tmp_path):
    text = read_document(reply_files.write_docx(tmp_path / "reply.docx"))
    lines = text.splitlines()
    assert lines[:4] == reply_files.REPLY_LINES[:4]
    assert lines[4] == "联系人：李四 联系电话：12345678"
    assert lines[5:] == reply_files.REPLY_LINES[4:]
    assert "- 1 -" not in text


def test_readers_docx_reply_is_segmented_like_text(tmp_path):
    text = read_document(reply_files.write_docx(tmp_path / "reply.docx"))
    assert [s.text for s in segment(text)] == [
        "您提出的《关于加快人工智能产业发展的建议》收悉，现答复如下：",
        "一、设立天使母基金，支持初创企业发展。",
        "二、建设算力调度平台，发放算力券。",
    ]


def test_readers_pdf_keeps_page_breaks_so_page_numbers_are_dropped(tmp_path):
    text = read_document(reply_files.write_pdf(tmp_path / "reply.pdf"))
    assert text.count(PAGE_BREAK) == 1
    assert "- 1 -" in text and "- 2 -" in text
    segments = " ".join(s.text for s in segment(text))
    assert "sheli tianshi mujijin" in segments and "fafang suanliquan" in segments
    assert "- 1 -" not in segments and "- 2 -" not in segments


def test_readers_pdf_locked_with_an_empty_user_password_is_read(tmp_path):
    path = reply_files.write_encrypted_pdf(tmp_path / "locked.pdf", user_password="")
    assert "suanli diaodu pingtai" in read_document(path)


@pytest.mark.parametrize("per_line", ["p", "div"])
def test_readers_html_keeps_the_article_and_drops_boilerplate(tmp_path, per_line):
    text = read_document(reply_files.write_html(tmp_path / "reply.html", per_line))
    assert text.splitlines() == ["关于市政协第0043号提案的答复", *reply_files.REPLY_LINES]
    for boilerplate in ("脚本文字", "导航一", "政务公开", "版权所有", "打印本页", "color"):
        assert boilerplate not in text


def test_readers_html_utf8_without_charset(tmp_path):
    path = tmp_path / "page.htm"
    path.write_text("<html><body><p>设立算力券。</p><p>发放人才补贴。</p></body></html>", "utf-8")
    assert read_document(path) == "设立算力券。\n发放人才补贴。"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scanned.pdf", reply_files.write_scanned_pdf, r"no text layer \(a scanned document\?\)"),
        ("locked.pdf", reply_files.write_encrypted_pdf, "encrypted with a password"),
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "not a valid PDF"),
        ("corrupt.docx", b"PK\x03\x04 not a zip", "not a valid .docx"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 ole", "password-protected or legacy"),
        ("blank.docx", None, "the document has no text"),
        ("empty.pdf", b"", "file is empty"),
        ("empty.docx", b"", "file is empty"),
        ("empty.html", b"  \n", "file is empty"),
        ("nav.html", b"<html><body><nav><a>home</a></nav></body></html>", "no article text"),
        ("notes.xyz", b"text", "unsupported file type '.xyz'"),
        ("old.doc", b"text", "unsupported file type '.doc'.*save it as .docx"),
    ],
)
def test_readers_broken_files_name_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        import docx

        docx.Document().save(str(path))
    elif callable(content):
        content(path)
    else:
        path.write_bytes(content)
    with pytest.raises(ReadError, match=message) as caught:
        read_document(path)
    assert str(caught.value).startswith(f"{path}: ")


# ---------------------------------------------------------------------------
# Batch inputs


def test_readers_find_inputs_walks_folders_and_jsonl_lines(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    reply_files.write_txt_gb18030(tmp_path / "in" / "a.txt")
    reply_files.write_docx(tmp_path / "in" / "sub" / "b.docx")
    (tmp_path / "in" / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    (tmp_path / "in" / "~$b.docx").write_bytes(b"lock")
    lines = [
        json.dumps({"id": "p1", "doc_id": "d1", "text": "设立算力券。"}, ensure_ascii=False),
        "",
        json.dumps({"doc_id": "d2", "text": "发放人才补贴。"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "p3", "text": ""}),
        json.dumps({"text": "出海。"}, ensure_ascii=False),
    ]
    jsonl = tmp_path / "pool.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")

    inputs = find_inputs([tmp_path / "in", jsonl, tmp_path / "missing"])
    documents = list(iter_inputs(inputs))

    assert [(d.doc_id, d.source) for d in documents] == [
        ("a", str(tmp_path / "in" / "a.txt")),
        ("b", str(tmp_path / "in" / "sub" / "b.docx")),
        ("p1", f"{jsonl}:1"),
        ("d2", f"{jsonl}:3"),
        ("pool-4", f"{jsonl}:4"),
        ("pool-5", f"{jsonl}:5"),
        ("pool-6", f"{jsonl}:6"),
        ("missing", str(tmp_path / "missing")),
    ]
    texts = [d.text for d in documents]
    assert texts[0] == reply_files.reply_text()
    assert texts[2:4] == ["设立算力券。", "发放人才补贴。"]
    assert texts[6] == "出海。"
    assert "not JSON" in str(texts[4]) and "no non-empty string field 'text'" in str(texts[5])
    assert "no such file or folder" in str(texts[7])
    assert all(isinstance(texts[i], ReadError) for i in (4, 5, 7))
    assert {i.path for i in inputs[2:7]} == {jsonl}


def test_readers_find_inputs_makes_ids_unique_and_reads_nothing(tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "reply.pdf").write_bytes(b"never parsed")
    inputs = find_inputs([tmp_path / "x", tmp_path / "y", tmp_path / "x" / "reply.pdf"])
    assert [i.doc_id for i in inputs] == ["reply", "reply~2", "reply~3"]
    [first, *_] = iter_inputs(inputs)
    assert isinstance(first.text, ReadError) and "not a valid PDF" in str(first.text)
