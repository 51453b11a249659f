"""Reply files of every supported type, and broken ones, built by the tests themselves.

fpdf2's core fonts have no Chinese glyphs and no CJK font can be assumed on a test
machine, so the PDFs hold pinyin; Chinese is tested through TXT, DOCX and HTML.
"""

from __future__ import annotations

from pathlib import Path

REPLY_LINES = [
    "张三委员：",
    "您提出的《关于加快人工智能产业发展的建议》收悉，现答复如下：",
    "一、设立天使母基金，支持初创企业发展。",
    "二、建设算力调度平台，发放算力券。",
    "某市经济和信息化委员会",
    "2024年5月6日",
]

PDF_PAGES = [
    "Zhang San weiyuan:\nYi, sheli tianshi mujijin, zhichi chuchuang qiye fazhan.",
    "Er, jianshe suanli diaodu pingtai, fafang suanliquan.",
]

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>答复 - 某市人民政府</title><script>var hidden = "脚本文字";</script>
<style>.x {{ color: red; }}</style></head>
<body>
<div class="header"><a href="/">首页</a> <a href="/gk">政务公开</a> <a href="/hd">互动交流</a></div>
<nav><ul><li><a href="/1">导航一</a></li><li><a href="/2">导航二</a></li></ul></nav>
<div class="main">
  <h1>关于市政协第0043号提案的答复</h1>
  <div class="info">发布时间：2024-05-06 <a href="#">打印本页</a></div>
  <div class="TRS_Editor">
{body}
  </div>
</div>
<footer>版权所有 某市人民政府 <a href="/map">网站地图</a></footer>
</body></html>
"""


def reply_text() -> str:
    return "\n".join(REPLY_LINES) + "\n"


def write_txt_gb18030(path: Path) -> Path:
    path.write_bytes(reply_text().encode("gb18030"))
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    for line in REPLY_LINES[:4]:
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "联系人：李四"
    table.cell(0, 1).text = "联系电话：12345678"
    for line in REPLY_LINES[4:]:
        document.add_paragraph(line)
    document.sections[0].footer.paragraphs[0].text = "- 1 -"
    document.save(str(path))
    return path


def write_html(path: Path, per_line: str = "p") -> Path:
    """A saved page; ``per_line="div"`` puts each paragraph in its own ``<div>``."""
    body = "\n".join(f"<{per_line}>{line}</{per_line}>" for line in REPLY_LINES)
    path.write_bytes(HTML_PAGE.format(body=body).encode("gb18030"))
    return path


def write_pdf(path: Path, pages: list[str] = PDF_PAGES) -> Path:
    """A text PDF with a ``- n -`` page number at the foot of each page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for number, text in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 8, text)
        pdf.set_y(-20)
        pdf.cell(0, 8, f"- {number} -", align="C")
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A page that is only an image, as a scanner makes it."""
    from fpdf import FPDF
    from PIL import Image

    image = Image.new("RGB", (200, 100), "white")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=100)
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path, user_password: str = "secret") -> Path:
    from pypdf import PdfWriter

    source = write_pdf(path.with_name(f"plain-{path.name}"))
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password=user_password, owner_password="owner")
    writer.write(str(path))
    source.unlink()
    return path


def write_all(folder: Path) -> dict[str, Path]:
    """One good file per type and one of each broken case, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "txt": write_txt_gb18030(folder / "reply-gb.txt"),
        "docx": write_docx(folder / "reply.docx"),
        "html": write_html(folder / "reply.html"),
        "pdf": write_pdf(folder / "reply.pdf"),
        "scanned": write_scanned_pdf(folder / "scanned.pdf"),
        "encrypted": write_encrypted_pdf(folder / "encrypted.pdf"),
        "corrupt_docx": folder / "corrupt.docx",
        "unknown": folder / "notes.xyz",
        "empty": folder / "empty.txt",
    }
    files["corrupt_docx"].write_bytes(b"PK\x03\x04 this is not a zip archive")
    files["unknown"].write_text("算力券", encoding="utf-8")
    files["empty"].write_bytes(b"")
    return files
