"""Header and footer fields of a proposal reply, read with small regexes.

A reply to an NPC/CPPCC proposal has a fixed frame around its body: disclosure and
result labels, the document number, a title naming the session and proposal number,
a salutation, the sentence acknowledging the proposal (``…提出的《…》提案收悉``), and
at the end a signature (agency + date) and a contact block. ``extract_metadata``
reads those fields into ``ReplyMetadata``. Every field has its own small function;
a field that is not found is ``None`` rather than a guess.

The text comes from PDFs, so before matching we build two private views of it:
``lines`` (stripped, markdown and page numbers removed, empty lines dropped) for
fields that live on a line of their own, and ``flat`` (all lines joined, with no
space between CJK characters) for sentences that PDF line wraps cut in two. This is
deliberately a small, lossy helper for matching only; real cleaning and offsets are
``models.segment``'s job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from models.schema import ReplyMetadata

# ---------------------------------------------------------------------------
# Matching views

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－─]+\s*\d{1,4}\s*[-—–－─]+|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?)$"
)
_HORIZONTAL_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_HEADING_MARK = re.compile(r"^#{1,6}\s*")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class _View:
    lines: list[str]
    flat: str


def _view(text: str) -> _View:
    """Split into clean non-empty lines, and join them into one flat string.

    Page numbers (``- 2 -``, ``— 6 —``), horizontal rules and ``#``/``**`` markdown
    are dropped; full-width digits become ASCII. Lines are joined without a space
    unless both sides are ASCII letters or digits, which undoes PDF line wraps.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_FULLWIDTH_DIGITS)
    lines: list[str] = []
    for raw in text.split("\n"):
        line = _HEADING_MARK.sub("", raw.strip()).replace("**", "").strip()
        if line and not _PAGE_NUMBER.match(line) and not _HORIZONTAL_RULE.match(line):
            lines.append(line)
    flat = ""
    for line in lines:
        if flat and _ASCII_WORD.match(flat[-1]) and _ASCII_WORD.match(line[0]):
            flat += " "
        flat += line
    return _View(lines, flat)


def _squeeze_cjk_spaces(value: str) -> str:
    """Drop whitespace next to a non-ASCII character; collapse the rest to one space.

    PDF extraction puts spaces between CJK and Latin or digits (``促进 AIGC 产业``);
    a space between two Latin words is real and stays.
    """
    value = re.sub(r"\s+", " ", value).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", value)


def _labelled(
    lines: list[str], label: str, value: str, *, start: int = 0, next_line: bool = False
) -> str | None:
    """The ``value`` (a regex with one group) right after ``label：`` on a line.

    With ``next_line``, a label that ends its line takes its value from the start of
    the next line: footer values sometimes wrap (``电话：`` / ``58601037``). Only
    values with a tight shape use it, so a free-text value never swallows the line
    below an empty label.
    """
    head = re.compile(rf"(?:^|\s){label}\s*[:：]\s*")
    pattern = re.compile(value)
    for i in range(start, len(lines)):
        for found in head.finditer(lines[i]):
            rest = lines[i][found.end() :]
            if next_line and not rest and i + 1 < len(lines):
                rest = lines[i + 1]
            match = pattern.match(rest)
            if match:
                return match.group(1)
    return None


# ---------------------------------------------------------------------------
# Header fields

_BRACKETS = r"[〔（(\[【［]\s*(?P<year>[0-9]{4})\s*[〕）)\]】］]"
_DOC_NUMBER_LINE = re.compile(
    rf"^(?P<prefix>[\u4e00-\u9fff][\u4e00-\u9fff ]{{0,19}}?)\s*{_BRACKETS}\s*"
    r"(?P<num>[0-9]{1,5})\s*号(?:\s+签发人.*)?$"
)


def _doc_number(view: _View) -> str | None:
    """A line that is only ``机关代字〔年份〕序号号``, brackets normalised to ``〔〕``.

    Requiring the number to stand alone on its line (optionally followed by the
    ``签发人``) keeps policy documents cited in the body (``（浦科经委规〔2024〕2 号）``)
    out.
    """
    for line in view.lines:
        match = _DOC_NUMBER_LINE.match(line)
        if match:
            prefix = match["prefix"].replace(" ", "")
            return f"{prefix}〔{match['year']}〕{match['num']}号"
    return None


_PROPOSAL_NUMBER = (
    re.compile(r"第\s*([0-9]{1,5})\s*号\s*(?:提案|代表建议|建议)"),
    re.compile(r"(?:提案|建议)\s*[（(]\s*第\s*([0-9]{1,5})\s*号\s*[)）]"),
)


def _proposal_number(view: _View) -> str | None:
    """Digits of ``第 195号提案`` (title) or ``提案（第195号）`` (receipt), zeros kept."""
    for pattern in _PROPOSAL_NUMBER:
        match = pattern.search(view.flat)
        if match:
            return match.group(1)
    return None


_SESSION = re.compile(r"对\s*([^\s，,。；;：:、《》〔〕]{2,40}?会议)\s*第\s*[0-9]{1,5}\s*号")


def _session(view: _View) -> str | None:
    """The ``…会议`` between ``对`` and ``第N号`` in the reply's title line.

    The title (``对浦东新区政协七届四次会议第 195号提案的答复``) is often wrapped over
    two lines, so this matches on the flat view.
    """
    match = _SESSION.search(view.flat)
    return re.sub(r"\s+", "", match.group(1)) if match else None


_SALUTATION = re.compile(
    r"^(?P<name>[^\s:：，,。；;《》()（）]{2,30})[:：](?:\s*$|\s*(?=您|你|贵))"
)
_NOT_SALUTATION = re.compile(
    r"(?:如下|办理结果|公开属性|联系人(?:姓名)?|联系电话|电话|签发人|抄\s*送|附件|主题词)$"
)


def _addressee(view: _View) -> str | None:
    """The salutation line without its colon (``吴佳桢委员``, ``民盟浦东区委``).

    It is the first ``名称：`` line up to the ``收悉`` sentence; field labels
    (``办理结果：``…) and a wrapped ``答复如下：`` are not salutations. The salutation may
    share its line with the first sentence when the PDF kept it unwrapped
    (``民盟浦东区委：你们提出的…``).
    """
    end = next((i for i, line in enumerate(view.lines) if "收悉" in line), None)
    scope = view.lines if end is None else view.lines[: end + 1]
    for line in scope:
        match = _SALUTATION.match(line)
        if match and not _NOT_SALUTATION.search(match["name"]):
            return match["name"]
    return None


# ---------------------------------------------------------------------------
# Proposers

_PERSON_TITLE = r"(?:委员|代表|同志|先生|女士)"
_PERSON_ADDRESSEE = re.compile(rf"^(?P<names>.+?){_PERSON_TITLE}们?$")
_PERSON_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")
_NOT_NAMES = frozenset({"各位", "诸位", "多位", "其他", "其它", "全体", "相关"})
_CO_PROPOSERS = re.compile(
    rf"您(?:和|与|及|同)(?P<others>[^，,。；;：:《》]{{2,60}}?)等?(?:[0-9]+位)?{_PERSON_TITLE}?"
    r"(?:共同|联名)?(?:提出|所提)"
)


def _person_names(names: str) -> list[str]:
    """``吴佳桢、白雪委员`` -> ``["吴佳桢", "白雪"]``; parts that are not names are skipped."""
    people = []
    for part in re.split(r"[、，,]", names):
        name = re.sub(rf"(?:等)?{_PERSON_TITLE}?$", "", part.strip())
        if _PERSON_NAME.match(name) and name not in _NOT_NAMES and name not in people:
            people.append(name)
    return people


def _proposers(view: _View) -> list[str] | None:
    """Who made the proposal, as far as the reply names them.

    Rule: the addressee decides. A person addressed by title (``吴佳桢委员``) is a
    proposer, and co-proposers named in ``您和白雪委员提出的`` are added after them, in
    text order. Co-proposers the reply does not name (``你们提出的``) are not
    invented, so the list may be incomplete. An organisation addressee
    (``浦东新区工商联``, answered with ``你们``/``贵单位``) is the proposer itself, split on
    ``、`` when several are addressed. Without a salutation the proposers are ``None``.
    """
    addressee = _addressee(view)
    if addressee is None:
        return None
    person = _PERSON_ADDRESSEE.match(addressee)
    if person is None:
        orgs = [part.strip() for part in re.split(r"[、，,]", addressee) if part.strip()]
        return orgs or None
    people = _person_names(person["names"])
    co = _CO_PROPOSERS.search(view.flat)
    if co:
        people += [name for name in _person_names(co["others"]) if name not in people]
    return people or None


_TITLE = re.compile(r"《(?P<title>[^《》]{1,200})》[^。《》]{0,40}?收悉")


def _proposal_title(view: _View) -> str | None:
    """The ``《…》`` of the sentence acknowledging receipt (``…》提案（第N号）收悉``).

    Matching on the flat view undoes the PDF wrap inside the title; spaces the
    extraction put around Latin words and digits are dropped.
    """
    match = _TITLE.search(view.flat)
    if match is None:
        return None
    return _squeeze_cjk_spaces(match["title"]) or None


# ---------------------------------------------------------------------------
# Signature

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_YEAR = r"[0-9]{4}|[〇○零一二三四五六七八九]{4}"
_MONTH = r"[0-9]{1,2}|[一二三四五六七八九十]{1,2}"
_DAY = r"[0-9]{1,2}|[一二三四五六七八九十]{1,3}"
_DATE_LINE = re.compile(
    rf"^(?P<before>.*?)\s*(?P<y>{_YEAR})\s*年\s*(?P<m>{_MONTH})\s*月\s*(?P<d>{_DAY})\s*日$"
)
_AGENCY = re.compile(
    r"^[\u4e00-\u9fff（）()、\s]{2,40}?"
    r"(?:委员会|委|局|办|办公室|厅|部|院|会|政府|中心|署|处|所|集团|公司)$"
)


def _number(value: str) -> int | None:
    """ASCII digits, digit-by-digit Chinese numerals (``二〇二五``) or ``二十一``."""
    if value.isascii():
        return int(value)
    try:
        if "十" not in value:
            return int("".join(str(_CN_DIGITS[c]) for c in value))
        tens, _, ones = value.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    except KeyError:
        return None


@dataclass(frozen=True)
class _Signature:
    index: int
    before: str
    date: dt.date


def _signature(view: _View) -> _Signature | None:
    """The last line that is only a date (the signature date), perhaps after a name.

    The print date (``2025-04-21印发``, ``办公室 2024 年 5 月 6 日印发``) never ends in
    ``日``, and body sentences never consist of a bare date, so the last bare date
    is the one under the signature.
    """
    for i in range(len(view.lines) - 1, -1, -1):
        match = _DATE_LINE.match(view.lines[i])
        if not match:
            continue
        year, month, day = (_number(match[k]) for k in ("y", "m", "d"))
        if year is None or month is None or day is None:
            continue
        try:
            return _Signature(i, match["before"].strip(), dt.date(year, month, day))
        except ValueError:
            continue
    return None


def _date(view: _View) -> str | None:
    """The signature date as ISO ``YYYY-MM-DD``."""
    signed = _signature(view)
    return signed.date.isoformat() if signed else None


def _agency(view: _View) -> str | None:
    """The signing agency: the line just above the signature date.

    Also accepts the agency on the date's own line (``某某局 2025年4月21日``). It must
    look like an organisation name (ends in ``局``/``委员会``/``办公室``…), so a body
    sentence above a bare date is not taken for one. Joint replies with several
    signature lines yield the one nearest the date.
    """
    signed = _signature(view)
    if signed is None:
        return None
    above = view.lines[signed.index - 1] if signed.index > 0 else ""
    candidate = signed.before or above
    return candidate if _AGENCY.match(candidate) else None


# ---------------------------------------------------------------------------
# Labelled fields


def _result(view: _View) -> str | None:
    """The ``办理结果：`` value (``解决或采纳``)."""
    return _labelled(view.lines, "办理结果", r"([^\s*＊]+)")


def _disclosure(view: _View) -> str | None:
    """The disclosure category from ``公开属性：`` or the footer's ``信息公开属性：``.

    Only the category is kept: ``主动公开*全文`` gives ``主动公开``. The ``*全文`` part
    says the full text (not a summary) is published; dropping it keeps the field a
    small vocabulary (主动公开 / 依申请公开 / 不予公开) that compares across replies,
    and matches the footer line of the same replies, which has no qualifier.
    """
    return _labelled(view.lines, "(?:信息)?公开属性", r"([^\s*＊]+)")


_CONTACT_LABEL = "联系人(?:姓名)?"


def _contact_name(view: _View) -> str | None:
    """The ``联系人：``/``联系人姓名：`` name, stopping before a following ``电话``."""
    return _labelled(
        view.lines, _CONTACT_LABEL, r"([\u4e00-\u9fff·]{2,6}?)(?=\s|联系|电话|手机|[,，;；]|$)"
    )


_PHONE = r"((?:[(（][0-9]{2,4}[)）])?[0-9][0-9\-－]{4,}[0-9])"


def _contact_phone(view: _View) -> str | None:
    """The ``联系电话：``/``电话：`` number, which may sit on the next line.

    The search starts at the contact person's line, so a phone number quoted in the
    body is not taken for the contact's.
    """
    start = next(
        (i for i, line in enumerate(view.lines) if re.search(rf"{_CONTACT_LABEL}[:：]", line)),
        0,
    )
    phone = _labelled(view.lines, "(?:联系)?电话", _PHONE, start=start, next_line=True)
    if phone is None and start:
        phone = _labelled(view.lines, "(?:联系)?电话", _PHONE, next_line=True)
    return phone.replace("－", "-").replace("（", "(").replace("）", ")") if phone else None


# ---------------------------------------------------------------------------
# Public entry point

_FIELDS: dict[str, Callable[[_View], object]] = {
    "doc_number": _doc_number,
    "proposal_number": _proposal_number,
    "session": _session,
    "addressee": _addressee,
    "proposers": _proposers,
    "proposal_title": _proposal_title,
    "agency": _agency,
    "date": _date,
    "result": _result,
    "disclosure": _disclosure,
    "contact_name": _contact_name,
    "contact_phone": _contact_phone,
}


def extract_metadata(text: str) -> ReplyMetadata:
    """Read a reply's header and footer fields; anything not found is ``None``.

    Works on any string: text that is not a reply (English, a policy paragraph, an
    empty string) simply yields an all-``None`` ``ReplyMetadata``.
    """
    view = _view(text or "")
    return ReplyMetadata(**{name: extract(view) for name, extract in _FIELDS.items()})
