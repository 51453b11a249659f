"""Cleaning and segmentation of replies and policy texts.

Replies arrive as text extracted from PDFs: lines wrapped mid-sentence, page
numbers, stray markdown, spaces between CJK characters and digits. We clean them
line by line, join wrapped lines back into paragraphs, find the body between the
salutation and the signature, and split it into measure-level segments as the
annotation guidelines define them.

Every character of the cleaned text remembers its index in the original text
(``MappedText.origin``), so each segment's ``start``/``end`` point into the
original document whatever was removed or joined.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from enum import Enum

from models.schema import Segment

# ---------------------------------------------------------------------------
# Offsets-preserving text


@dataclass
class MappedText:
    """Cleaned text whose ``origin[i]`` is the original index of ``text[i]``."""

    text: str = ""
    origin: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, item: slice) -> MappedText:
        return MappedText(self.text[item], self.origin[item])

    def __add__(self, other: MappedText) -> MappedText:
        return MappedText(self.text + other.text, self.origin + other.origin)

    def joined(self, other: MappedText, sep: str) -> MappedText:
        """Join two pieces with ``sep``, which is anchored after this piece."""
        anchor = self.origin[-1] + 1 if self.origin else (other.origin[0] if other.origin else 0)
        return self + MappedText(sep, [anchor] * len(sep)) + other

    def delete(self, pattern: re.Pattern[str], group: int = 0) -> MappedText:
        """Remove every match (or one group of it), keeping the rest's origins."""
        keep = [True] * len(self.text)
        for match in pattern.finditer(self.text):
            for i in range(match.start(group), match.end(group)):
                keep[i] = False
        return MappedText(
            "".join(c for c, k in zip(self.text, keep, strict=True) if k),
            [o for o, k in zip(self.origin, keep, strict=True) if k],
        )

    def strip(self) -> MappedText:
        text = self.text
        left = len(text) - len(text.lstrip())
        right = len(text.rstrip())
        return self[left:right] if right > left else MappedText()

    @property
    def span(self) -> tuple[int, int]:
        """Start and end (exclusive) of this piece in the original text."""
        return self.origin[0], self.origin[-1] + 1


# ---------------------------------------------------------------------------
# Patterns

NUMERALS = "一二三四五六七八九十"
ITEM_MARKER = re.compile(
    rf"^(?:[{NUMERALS}]+、"
    rf"|[（(][{NUMERALS}]+[）)]"
    r"|[（(]\d{1,2}[）)]"
    r"|\d{1,2}[.．、](?!\d))"
)
CLAUSE_MARKER = re.compile(rf"^[{NUMERALS}]是")
INLINE_CLAUSE = re.compile(rf"(?:^|(?<=[。；;：:，,！!]))([{NUMERALS}])是")
PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~]+\s*(?:第\s*)?\d{1,4}\s*(?:页)?\s*[-—–－~]+"
    r"|第\s*\d{1,4}\s*页(?:\s*[/／共]\s*\d{1,4}\s*页?)?"
    r"|\d{1,3})$"
)
NO_TEXT_PAGE = re.compile(r"^[（(]\s*此页无正文\s*[）)]$")
MARKDOWN_RULE = re.compile(r"^(?:[-*_=]\s*){3,}$")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s*")
MARKDOWN_EMPHASIS = re.compile(r"\*\*|__")
MARKDOWN_AUTOLINK = re.compile(r"<(?=https?://)|(?<=[\w/])>")
# Whitespace touching a non-ASCII character is a PDF artefact ("第 195号");
# between two ASCII words it is a real space ("Med Go") and is kept as one.
CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000\u00a0]+|[ \t\u3000\u00a0]+(?=[^\x00-\x7f])")
EXTRA_SPACE = re.compile(r"(?<= )[ \t\u3000\u00a0]+")
TERMINAL = "。！？：!?:"
CLOSERS = "”’」』）)】》\"'"
SENTENCE_PUNCT = re.compile(r"[，。；！？,;!?]")
METADATA_LINE = re.compile(
    r"^(?:办理结果|(?:信息)?公开属性|联系人(?:姓名)?|联系电话|(?:联系|通讯)地址|承办单位"
    r"|邮政编码|邮编|抄\s*送|主\s*送|签发人?|附\s*件)\s*[:：]"
    r"|^[（(]共印\s*\d+\s*份[）)]$"
    r"|印发$"
)
SALUTATION_MAX = 30
SALUTATION_SEARCH = 15
HEADING_MAX = 60
FULL_LINE_MAX = 40.0  # display width above which a line is never a heading
WRAPPED_WIDTH_MAX = 40.0  # wrap widths up to this mean PDF-wrapped lines
WRAP_TOLERANCE = 2.0
LEAD_IN_MIN = 20


def display_width(text: str) -> float:
    """Width as a PDF lays it out: full-width characters count 1, ASCII 0.5."""
    return sum(0.5 if ord(c) < 0x80 else 1.0 for c in text)


# ---------------------------------------------------------------------------
# Cleaning


def _lines(text: str) -> list[MappedText]:
    """Split into lines with origins, accepting \\n, \\r\\n and \\r."""
    lines = []
    for match in re.finditer(r"[^\r\n]*", text):
        if match.start() == match.end() and match.start() > 0 and text[match.start() - 1] in "\r\n":
            continue
        lines.append(MappedText(match.group(), list(range(match.start(), match.end()))))
    return lines


def clean_line(line: MappedText) -> MappedText:
    """One line without markdown, page furniture and PDF spacing; may be empty."""
    line = line.strip()
    if not line.text or MARKDOWN_RULE.match(line.text):
        return MappedText()
    line = line.delete(MARKDOWN_HEADING).delete(MARKDOWN_EMPHASIS).delete(MARKDOWN_AUTOLINK)
    line = line.delete(CJK_SPACE).delete(EXTRA_SPACE).strip()
    if PAGE_NUMBER.match(line.text) or NO_TEXT_PAGE.match(line.text):
        return MappedText()
    return line


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


def _starts_unit(text: str) -> bool:
    return bool(ITEM_MARKER.match(text) or CLAUSE_MARKER.match(text))


def _wrap_width(lines: list[MappedText]) -> float:
    """The width at which the PDF wrapped lines: the upper quartile of widths."""
    widths = sorted(display_width(line.text) for line in lines)
    return widths[(3 * len(widths)) // 4] if widths else 0.0


def _is_wrapped(lines: list[MappedText], wrap: float) -> bool:
    """Whether a PDF wrapped this text at a fixed width.

    It did if several lines stop mid-sentence at that width; a text typed one
    paragraph a line does not, however short its lines.
    """
    cut = [
        line
        for line in lines
        if not _ends_sentence(line.text) and abs(display_width(line.text) - wrap) <= WRAP_TOLERANCE
    ]
    return wrap <= WRAPPED_WIDTH_MAX and len(cut) >= max(3, 0.2 * len(lines))


def _join_separator(left: str, right: str) -> str:
    """Chinese joins with nothing; two Latin words or numbers keep a space."""
    return (
        " "
        if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum()
        else ""
    )


def paragraphs(text: str) -> list[MappedText]:
    """Clean ``text`` and join wrapped lines back into paragraphs.

    A line ends its paragraph when it ends a sentence, when the next line starts a
    numbered item or a metadata field, or when it is clearly shorter than the wrap
    width (a heading or a signature); a sentence that ends flush with the margin
    of a wrapped page does not end the paragraph. Blank lines do not end paragraphs: PDF
    extraction puts them between wrapped lines too.
    """
    lines = [cleaned for cleaned in map(clean_line, _lines(text)) if cleaned.text]
    wrap = _wrap_width(lines)
    full = min(0.7 * wrap, FULL_LINE_MAX)
    wrapped = _is_wrapped(lines, wrap)
    result: list[MappedText] = []
    for previous, line in zip([None, *lines], lines, strict=False):
        width = display_width(previous.text) if previous is not None else 0.0
        continues = (
            previous is not None
            and not _starts_unit(line.text)
            and not METADATA_LINE.search(line.text)
            and (
                (not _ends_sentence(previous.text) and width >= full)
                # A sentence that ends exactly at the right margin of a wrapped
                # page usually runs on: the paragraph's last line is rarely full.
                or (wrapped and width >= wrap and previous.text[-1] == "。")
            )
        )
        if continues:
            result[-1] = result[-1].joined(line, _join_separator(previous.text, line.text))
        else:
            result.append(line)
    return result


# ---------------------------------------------------------------------------
# Segmentation


class Kind(Enum):
    """What a body paragraph is, which decides how it becomes segments."""

    ITEM = "item"  # starts with 一、 / （一） / （1） / 1.
    CLAUSE = "clause"  # starts with 一是 / 二是 …
    PLAIN = "plain"


def _kind(text: str) -> Kind:
    if ITEM_MARKER.match(text):
        return Kind.ITEM
    if CLAUSE_MARKER.match(text):
        return Kind.CLAUSE
    return Kind.PLAIN


def _is_salutation(text: str) -> bool:
    """``民盟浦东区委：`` — short, ends with a colon, no sentence inside."""
    return (
        len(text) <= SALUTATION_MAX
        and text[-1] in ":："
        and not SENTENCE_PUNCT.search(text)
        and not METADATA_LINE.search(text)
    )


def _is_body(paragraph: MappedText) -> bool:
    """Body text has sentences or a numbered heading; signatures and dates do not."""
    text = paragraph.text
    if METADATA_LINE.search(text):
        return False
    return bool(SENTENCE_PUNCT.search(text)) or _kind(text) is not Kind.PLAIN


def body_paragraphs(paras: list[MappedText]) -> list[MappedText]:
    """The paragraphs after the salutation that are not header or footer lines."""
    start = 0
    for index, paragraph in enumerate(paras[:SALUTATION_SEARCH]):
        if _is_salutation(paragraph.text):
            start = index + 1
            break
    return [p for p in paras[start:] if _is_body(p)]


def split_clauses(paragraph: MappedText) -> list[MappedText]:
    """Split ``…：一是…；二是…`` into its clauses.

    Only a run of ordinals in sequence (一是, 二是, …) splits, so a stray 一是 inside
    a word does not. A lead-in that is short or not a finished sentence
    (``区委组织部牵头相关单位，``) stays with the first clause; a full sentence
    before the clauses is a segment of its own.
    """
    cuts: list[int] = []
    expected = 0
    for match in INLINE_CLAUSE.finditer(paragraph.text):
        ordinal = NUMERALS.index(match.group(1))
        if ordinal == expected:
            cuts.append(match.start(1))
            expected += 1
    if len(cuts) < 2:
        return [paragraph]
    lead_in = paragraph.text[: cuts[0]]
    if lead_in and (len(lead_in) < LEAD_IN_MIN or not _ends_sentence(lead_in)):
        cuts[0] = 0
    bounds = ([0] if cuts[0] > 0 else []) + cuts + [len(paragraph)]
    pieces = [paragraph[a:b].strip() for a, b in itertools.pairwise(bounds)]
    return [piece for piece in pieces if piece.text]


def _units(body: list[MappedText]) -> list[MappedText]:
    """Group body paragraphs into measure-level units.

    A short numbered heading (no finished sentence) takes the one plain paragraph
    after it as its body; a heading followed by ``一是`` clauses or another item,
    and an item that is already a sentence, stand alone.
    """
    units: list[MappedText] = []
    index = 0
    while index < len(body):
        paragraph = body[index]
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            _kind(paragraph.text) is Kind.ITEM
            and len(paragraph) <= HEADING_MAX
            and not _ends_sentence(paragraph.text)
            and following is not None
            and _kind(following.text) is Kind.PLAIN
            and len(split_clauses(following)) == 1
        ):
            units.append(paragraph.joined(following, "\n"))
            index += 2
            continue
        units.extend(split_clauses(paragraph))
        index += 1
    return units


def clean(text: str) -> MappedText:
    """The whole text cleaned into paragraphs joined by newlines, unsplit."""
    result = MappedText()
    for paragraph in paragraphs(text):
        result = result.joined(paragraph, "\n") if result.text else paragraph
    return result


def segment(text: str, doc_id: str = "doc") -> list[Segment]:
    """Split a reply or policy text into measure-level segments.

    A text with no recognisable body (a bare phrase, a title) is one segment, so
    nothing a user submits disappears; whitespace-only text has no segments.
    """
    paras = paragraphs(text)
    units = _units(body_paragraphs(paras))
    if not units and paras:
        whole = clean(text)
        units = [whole]
    segments = []
    for number, unit in enumerate(units, start=1):
        start, end = unit.span
        segments.append(
            Segment(
                id=f"{doc_id}#s{number:02d}", doc_id=doc_id, start=start, end=end, text=unit.text
            )
        )
    return segments
