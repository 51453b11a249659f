"""Reading documents from disk into text.

Replies are downloaded from government sites as TXT, DOCX, PDF or HTML. Each
format has one reader behind ``read_document``; every problem a user can act on
(unknown type, empty, encrypted, corrupt, a scan without a text layer) is a
``ReadError`` that names the file, so a batch can report it and go on.

Government sites still publish GB18030 text, so a file that is not UTF-8 is
tried as GB18030 before it is refused.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from models.errors import ReadError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from lxml.html import HtmlElement

TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
# pdftotext's page separator: on a line of its own, so the segmenter drops the
# page number next to it like any other page-furniture line.
PAGE_BREAK = "\n\f\n"
JSONL_SUFFIX = ".jsonl"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .doc, and Office files encrypted with a password


def decode(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8, else GB18030; refuse anything else by name."""
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{name}: not UTF-8 or GB18030 text")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing a missing path, a directory or an empty file."""
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    if path.is_dir():
        raise ReadError(f"{path}: is a directory, expected a file")
    data = path.read_bytes()
    if not data.strip():
        raise ReadError(f"{path}: file is empty")
    return data


def _require_text(path: Path, text: str, problem: str) -> str:
    if not text.strip():
        raise ReadError(f"{path}: {problem}")
    return text


def read_text(path: Path) -> str:
    """The text of a .txt (or .md) file, with a clear error for missing or empty files."""
    path = Path(path)
    return _require_text(path, decode(_read_bytes(path), str(path)), "file is empty")


# ---------------------------------------------------------------------------
# DOCX


def _docx_lines(document: DocxDocument) -> Iterator[str]:
    """Body paragraphs and table rows in document order; headers and footers are skipped."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:  # a merged cell repeats; keep it once
                    text = cell.text.strip()
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                yield " ".join(cells)
        else:
            yield block.text


def read_docx(path: Path) -> str:
    """The body text of a Word (.docx) file, one paragraph a line."""
    import docx

    path = Path(path)
    data = _read_bytes(path)
    if data.startswith(_OLE_MAGIC):
        raise ReadError(
            f"{path}: password-protected or legacy Word (.doc) file; save it as an "
            "unprotected .docx"
        )
    try:
        text = "\n".join(_docx_lines(docx.Document(io.BytesIO(data))))
    # python-docx fails on a damaged package with zip, XML or key errors alike; any
    # of them means this one file is unreadable, and the message says why.
    except Exception as exc:
        raise ReadError(f"{path}: not a valid .docx file ({type(exc).__name__}: {exc})") from exc
    return _require_text(path, text, "the document has no text")


# ---------------------------------------------------------------------------
# PDF


def read_pdf(path: Path) -> str:
    """The text layer of a PDF, pages joined by ``PAGE_BREAK``.

    An encrypted PDF is opened when its user password is empty (a permissions-only
    lock, common on government sites); a PDF whose pages have no text is a scan,
    which needs OCR rather than an empty tagging.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    path = Path(path)
    data = _read_bytes(path)
    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise ReadError(f"{path}: not a valid PDF file ({exc})") from exc
    # pypdf raises plain KeyError/ValueError/TypeError on malformed objects deep in
    # a damaged file; any of them makes this one file unreadable.
    except Exception as exc:
        raise ReadError(f"{path}: damaged PDF file ({type(exc).__name__}: {exc})") from exc
    if locked:
        raise ReadError(f"{path}: the PDF is encrypted with a password; remove it first")
    return _require_text(
        path,
        PAGE_BREAK.join(page.strip("\n") for page in pages),
        "the PDF has no text layer (a scanned document?); run OCR on it first",
    )


# ---------------------------------------------------------------------------
# HTML

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_WHITESPACE = re.compile(r"\s+")
# Navigation, scripts and page chrome: never part of the article.
_BOILERPLATE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "button",
    "select",
    "svg",
)
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "body",
    ]
)
_CONTAINER_TAGS = ("article", "main", "section", "div", "td", "body")


def _charset(data: bytes) -> str | None:
    """The ``<meta charset>`` of a page; GB2312 and GBK pages are read as GB18030."""
    match = _CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii").lower()
    return "gb18030" if name in {"gb2312", "gbk", "gb18030", "x-gbk"} else name


def _decode_html(data: bytes, path: Path) -> str:
    charset = _charset(data)
    if charset is not None:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: fall back to detection
    return decode(data, str(path))


def _is_block(element: HtmlElement) -> bool:
    return isinstance(element.tag, str) and element.tag in _BLOCK_TAGS


def _link_text(element: HtmlElement) -> int:
    return sum(len(a.text_content()) for a in element.iter("a"))


def _paragraph_text(element: HtmlElement) -> int:
    """Characters the element holds itself, in paragraphs or inline, not in links.

    A child counts when it is inline, a ``<p>``, or a block with no blocks inside
    (sites that put each line in its own ``<div>``); nested containers are scored
    on their own. The element with the most such text is the article body.
    """
    total = len((element.text or "").strip())
    for child in element:
        if not isinstance(child.tag, str):
            continue
        leaf = child.tag == "p" or not any(_is_block(d) for d in child.iterdescendants())
        if leaf and child.tag != "a":
            total += len(child.text_content().strip()) - _link_text(child)
        total += len((child.tail or "").strip())
    return total


def _html_text(root: HtmlElement) -> str:
    """Text with a line break around every block element; HTML source wraps ignored."""
    parts: list[str] = []

    def walk(node: HtmlElement, top: bool) -> None:
        if isinstance(node.tag, str):  # comments and processing instructions: tail only
            block = node.tag in _BLOCK_TAGS
            if block:
                parts.append("\n")
            parts.append(_WHITESPACE.sub(" ", node.text or ""))
            for child in node:
                walk(child, top=False)
            parts.append("\n" if block else " " if node.tag in ("td", "th") else "")
        if not top:
            parts.append(_WHITESPACE.sub(" ", node.tail or ""))

    walk(root, top=True)
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def read_html(path: Path) -> str:
    """The article body of a saved web page, with its ``<h1>`` title above it.

    Scripts, navigation, headers and footers are dropped; the body is the element
    that holds the most paragraph text outside links.
    """
    import lxml.html
    from lxml.etree import ParserError

    path = Path(path)
    markup = _XML_DECLARATION.sub("", _decode_html(_read_bytes(path), path))
    try:
        tree = lxml.html.document_fromstring(markup)
    except (ParserError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable HTML page ({exc})") from exc
    for element in list(tree.iter(*_BOILERPLATE_TAGS)):
        element.drop_tree()
    body = max(tree.iter(*_CONTAINER_TAGS), key=_paragraph_text, default=tree)
    text = _html_text(body)
    title = next(tree.iter("h1"), None)
    if title is not None and title not in body.iterdescendants():
        text = f"{_html_text(title)}\n{text}"
    return _require_text(path, text, "no article text in the page")


# ---------------------------------------------------------------------------
# Dispatch

READERS: dict[str, Callable[[Path], str]] = {
    ".txt": read_text,
    ".md": read_text,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".shtml": read_html,
    ".xhtml": read_html,
}


def read_document(path: Path) -> str:
    """The text of a reply file, by its extension."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted({*READERS, JSONL_SUFFIX}))
        hint = "; save it as .docx" if path.suffix.lower() == ".doc" else ""
        raise ReadError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r} (expected {known}){hint}"
        )
    return reader(path)


def doc_id_for(path: Path) -> str:
    """Documents are named after their file, which is stable across runs."""
    return Path(path).stem


# ---------------------------------------------------------------------------
# Batch inputs


class InputDocument(NamedTuple):
    """One document of a batch: its text, or why it could not be read."""

    doc_id: str
    source: str
    text: str | ReadError


@dataclasses.dataclass(frozen=True)
class Input:
    """A document found but not read yet, so counting and skipping cost nothing."""

    doc_id: str
    source: str
    path: Path  # the file it comes from: a JSONL file holds many inputs
    load: Callable[[], str]

    def read(self) -> str | ReadError:
        try:
            return self.load()
        except ReadError as exc:
            return exc


def _failed(error: ReadError) -> Callable[[], str]:
    def load() -> str:
        raise error

    return load


def _files(path: Path) -> list[Path]:
    """Files under a folder, sorted; hidden files and Office lock files (``~$x``) skipped."""
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        and not p.name.startswith("~$")
    )


def _jsonl_inputs(path: Path) -> Iterator[Input]:
    """One document a line: its ``text``, named by ``id``, else ``doc_id``, else the line."""
    try:
        lines = decode(_read_bytes(path), str(path)).splitlines()
    except ReadError as exc:
        yield Input(path.stem, str(path), path, _failed(exc))
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        fallback = f"{path.stem}-{number}"
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield Input(fallback, source, path, _failed(ReadError(f"{source}: not JSON ({exc})")))
            continue
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str) or not text.strip():
            error = ReadError(f"{source}: no non-empty string field 'text'")
            yield Input(fallback, source, path, _failed(error))
            continue
        name = record.get("id") or record.get("doc_id") or fallback
        yield Input(str(name), source, path, lambda text=text: text)


def find_inputs(paths: Iterable[Path]) -> list[Input]:
    """The documents under ``paths``: files, folders (recursively) and JSONL files.

    Nothing is parsed but JSONL lines. Ids are unique: a repeated one gets ``~2``,
    ``~3``… in input order, so the same inputs always get the same ids.
    """
    found: list[Input] = []
    for path in map(Path, paths):
        if not path.exists():
            error = ReadError(f"{path}: no such file or folder")
            found.append(Input(path.stem, str(path), path, _failed(error)))
            continue
        for file in _files(path) if path.is_dir() else [path]:
            if file.suffix.lower() == JSONL_SUFFIX:
                found.extend(_jsonl_inputs(file))
            else:
                load = functools.partial(read_document, file)
                found.append(Input(doc_id_for(file), str(file), file, load))
    seen: Counter[str] = Counter()
    for number, item in enumerate(found):
        seen[item.doc_id] += 1
        if seen[item.doc_id] > 1:
            found[number] = dataclasses.replace(item, doc_id=f"{item.doc_id}~{seen[item.doc_id]}")
    return found


def iter_inputs(inputs: Iterable[Input]) -> Iterator[InputDocument]:
    """Read each input when it is reached; a file that fails carries its ``ReadError``."""
    for item in inputs:
        yield InputDocument(item.doc_id, item.source, item.read())
