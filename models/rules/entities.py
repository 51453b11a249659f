"""Named-entity patterns and a gazetteer, following the guidelines' span rules.

Candidates come from five sources, each a small function over the text:

- ``《…》`` titles → POLICY (the span leaves out the 《》; the proposal's own title,
  short forms like 《办法》 and forms like 《…确认函》 are skipped; a title that wraps
  a funding ``专项`` is PROGRAM), plus a bracketed alias right after a title
  (``《…》（浦东人才“25条”）``);
- quoted names ``“…”`` that end in a type head (``“明珠计划”``), that are followed
  by one (``“1+1+N”人才体系``, ``“明日城市·上海”大会``: the inner quotes stay), that
  are followed by a descriptor (``“模塑申城”行动计划`` → ``模塑申城``) or by ``的`` and
  a generic word (``“1+4+6+N”的公共服务平台`` → ``1+4+6+N``), and quoted numeric
  formulas (``“5+6”`` → PROGRAM);
- unquoted names ending in a type head (计划/工程/行动/项目/品牌 → PROGRAM,
  平台/中心/社区/驿站/服务站 → PLATFORM, 基金 → FUND, 大会/大赛/论坛/峰会/博览会 →
  EVENT; 体系/专项/架构 → PROGRAM and 系统 → PLATFORM only with quotes), cut on
  the left at verbs and function words, kept only when specific: after removing generic words at least two
  characters are left (``明珠计划``, not ``人才计划``), or the name starts with a
  place and is at least six long. Quotes or a trailing ``（GTP）`` count as
  specificity; names of organisations (研究中心, 创新中心 …) never are spans;
- national strategies named as such (一带一路, 东数西算) → PROGRAM;
- a gazetteer of known names (from gold), matched longest first.

Overlaps are resolved by keeping gazetteer matches first, then the longest
candidate. A trailing Latin abbreviation in brackets (``（GTP）``) becomes its own
span of the same type. Nothing is tagged inside the proposal's own title.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models.schema import ENTITY_TYPES, EntityType, Example, Span

GAZETTEER_SCORE = 0.9
TITLE_SCORE = 0.8
STRATEGY_SCORE = 0.8
QUOTED_SCORE = 0.7
HEADED_SCORE = 0.5
MAX_UNPLACED = 14

HEADS: dict[EntityType, tuple[str, ...]] = {
    "PROGRAM": ("行动计划", "计划", "工程", "行动", "项目", "品牌", "直通车"),
    "PLATFORM": ("平台", "中心", "社区", "驿站", "服务站", "工作站", "人才港"),
    "FUND": ("母基金", "基金"),
    "EVENT": ("大会", "大赛", "分赛", "挑战赛", "论坛", "峰会", "博览会", "交易会"),
}
# Heads that make a name only inside or right after quotes (“1+1+N”人才体系, “3+N”支持架构,
# “…申报系统”: an IT system others use is a PLATFORM).
QUOTED_HEADS: dict[str, EntityType] = {
    "体系": "PROGRAM",
    "专项": "PROGRAM",
    "架构": "PROGRAM",
    "系统": "PLATFORM",
}
# Heads common in generic phrases (重点项目, 民心工程): need a longer specific part.
WEAK_HEADS = ("项目", "工程")
POLICY_HEADS = ("条例", "办法", "意见", "方案", "规定", "细则", "措施", "指南", "规划", "清单")
# Words after a quoted name that describe it rather than belong to it.
DESCRIPTORS: dict[str, EntityType] = {
    "行动计划": "PROGRAM",
    "行动方案": "PROGRAM",
    "专项行动": "PROGRAM",
    "系列活动": "PROGRAM",
    "活动品牌": "PROGRAM",
    "系列": "PROGRAM",
    "活动": "PROGRAM",
    "品牌": "PROGRAM",
    "计划": "PROGRAM",
    "行动": "PROGRAM",
    "项目": "PROGRAM",
    "工程": "PROGRAM",
}
STRATEGIES = ("一带一路", "东数西算", "东数西训", "数字中国", "网络强国", "制造强国", "健康中国")

_HEAD_TYPE: dict[str, EntityType] = {h: t for t, heads in HEADS.items() for h in heads}
_QUOTED_HEAD_TYPE: dict[str, EntityType] = {**_HEAD_TYPE, **QUOTED_HEADS}
_HEAD_ALT = "|".join(sorted(_HEAD_TYPE, key=len, reverse=True))
_QUOTED_HEAD_ALT = "|".join(sorted(_QUOTED_HEAD_TYPE, key=len, reverse=True))
HEAD_RE = re.compile(_HEAD_ALT)
# A head followed by one of these is part of a longer word (基金委, 项目管理, 中心城区 …).
HEAD_BLOCKER = re.compile(r"[委会局办院所司厅处部城企型化级类式性方单管理员师服功资运数库业支]")


def _alternation(words: str) -> str:
    """A regex alternation of space-separated words, longest first."""
    return "|".join(sorted(words.split(), key=len, reverse=True))


NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·]")
# Cut a name on the left after the last of these.
BOUNDARY_WORDS = re.compile(
    _alternation(
        "的 和 及 或 等 在 对 为 向 从 由 以 将 把 被 了 是 并 也 都 还 于 即 如 其 该 "
        "本 各 其中 包括 分别 通过 依托 围绕 聚焦 面向 按照 根据 依据 推出 打造 建设 "
        "建成 成立 实施 举办 承办 主办 启用 搭建 加快 申报 入选 参加 参与 设立 支持 "
        "推动 开展 提供 对接 加强 构建 形成 纳入 落实 出台 发布 制定 印发 组织 深化 "
        "完善 优化 建立 利用 借助 发挥 用好 做好 推进 运营 培育 引进 吸引 鼓励 引导 "
        "目前 已经 已 正在 正 均 作为 首个 首批 一批 一个 多个 多家 一流 全力 大力 "
        "进一步 充分 有效 不断 持续 积极 率先 先后 全面 深入 共建 实现 带动 拓展 "
        "提升 国内 区内 市内 市级 区级 省级 国家级 新型 给予 获得 认定 评选 加大 购买 方式 "
        "接入 使用 采用 登录 入驻 加入 上线 所属 负责 拟定 上报 及时 升级 列入 比照 现有 "
        "三大 四大 五大 六大 两大"
    )
)
BOUNDARY = re.compile(
    BOUNDARY_WORDS.pattern
    + r"|\d+(?:\.\d+)?(?:亿|万|千)?元|\d+(?:个|家|项|类|余|多|批|届|次)|\d{4}年|第[一二三四五六七八九十百零\d]+[届批次期条章节款项]"
)
GENERIC = re.compile(
    _alternation(
        "人工智能 大模型 模型 人才 引才 育才 数据 数字化 数字 智能 智慧 算力 科技 科创 "
        "技术 创新 创业 双创 产业 行业 企业 公共 服务 综合 专业 专项 重点 重大 国际 "
        "全球 世界 中国 国家 全国 全市 全区 全省 区域 地方 政府 政务 城市 新区 发展 "
        "建设 应用 场景 示范 标杆 试点 管理 治理 安全 网络 信息 信息化 金融 投资 资金 "
        "引导 高质量 高层次 高技能 技能 青年 海外 境外 跨境 联合 协同 合作 交流 开放 "
        "开源 共享 运营 研发 研究 科学 工作 相关 新一代 未来 先进 高端 高新 现代化 "
        "社会 经济 生态 环境 培养 培育 培训 孵化 加速 支持 保障 促进 推进 提升 赋能 "
        "转型 融合 集成 互联网 工业 制造 医疗 健康 教育 文化 交通 能源 绿色 低碳 标准 "
        "标准化 质量 检测 认证 评估 监管 供需 对接 产学研 成果 转化 知识产权 计算 训练 "
        "语料 要素 交易 中小企业 小微 民营 一体化 全链条 全要素 高峰 领军 骨干 优秀 "
        "产业链 供应链 基础 设施 基础设施 平台 中心 社区 基金 母基金 大会 大赛 论坛 "
        "峰会 计划 工程 项目 行动 体系 品牌 机制 政策 制度 系统 资源 能力 生产 经营 "
        "特色 专精特新 中试 公益 政企 校企 服务站 驿站 人员 队伍 中外 对外 投融资 "
        "战略 实训 就业 博士后 院士 专家 重要 高能级 能级 功能 线上 线下 活动 招商 推介 "
        "揭榜 发榜 成功 前沿性 前沿 清单 电力 课程 评价 全栈 上下游 第三方 同一 不同 部门 "
        "细分 领域 股权 集约化 科研 年度 支撑 补贴 采购 全州 全县 类 省 市 区 县"
    )
)
LOCATION = re.compile(
    r"^(?:浦东新区|浦东|上海市?|张江|临港|长三角|粤港澳大湾区|京津冀|中国|国家|全国|世界|全球"
    r"|[\u4e00-\u9fff]{2,3}(?<!全)(?:省|自治区|市|州|县))"
)
# Heads that name an organisation or a facility, not a platform or programme.
ORG_LIKE = re.compile(
    r"(?:研究|创新|研发|技术|工程技术|数据|计算|智算|超算|测评|认证|检测|测试|评测|信息)中心$"
    r"|研究院$|代表大会$"
)
ABBREVIATION = re.compile(r"[（(]([A-Za-z][A-Za-z0-9&\-]{1,11})[）)]")
TITLE = re.compile(r"《([^《》\n]{1,120})》")
TITLE_SHORT_FORM = re.compile(
    r"^(?:管理|实施|暂行|若干|技术|工作)?"
    r"(?:办法|意见|方案|规定|细则|措施|指南|规划|条例|通知|决定|要求|标准|倡议|框架|清单|法)$"
)
TITLE_ALIAS = re.compile(r"[（(]([^（）()\n]{2,20})[）)]")
NOT_A_DOCUMENT = re.compile(r"(?:确认函|证书|表|申报书|承诺书|证明|许可证|报告)$")
NOT_AN_ALIAS = re.compile(r"〔|\[|号|^\d|\d{3}|年|版|简称|以下|试行|草案|征求意见|见|附件")
QUOTES = (
    re.compile(r"“([^“”\n]{1,30})”"),
    re.compile(r"‘([^‘’\n]{1,30})’"),
    re.compile(r"「([^「」\n]{1,30})」"),
    re.compile(r"『([^『』\n]{1,30})』"),
    re.compile(r'"([^"\n]{1,30})"'),
)
QUOTE_CHARS = '“”‘’「」『』"'
IN_QUOTE_PUNCT = re.compile(r"[，。；！？、：,;:!?\s]")
HEAD_AFTER_QUOTE = re.compile(rf"(?:[\u4e00-\u9fffA-Za-z0-9]{{0,6}}?)(?:{_QUOTED_HEAD_ALT})+")
DESCRIPTOR_AFTER_QUOTE = re.compile(
    r"等?(?:" + "|".join(sorted(DESCRIPTORS, key=len, reverse=True)) + ")"
)
DE_GENERIC_HEAD = re.compile(rf"的[\u4e00-\u9fff]{{0,6}}?({_HEAD_ALT})")
NUMBERED_CLAUSES = re.compile(r"^\d+条$")
FORMULA = re.compile(r"^[0-9A-Za-z]+(?:[+＋][0-9A-Za-z]+)+$")
PROPOSAL_AFTER_TITLE = re.compile(r"^(?:的)?(?:提案|建议|收悉|已收悉)")
PROPOSAL_BEFORE_TITLE = re.compile(r"(?:提出的|所提的?|您的|你们的|贵单位的|关于)$")
STRATEGY_RE = re.compile("|".join(STRATEGIES))
YEAR_PREFIX = re.compile(r"(?:19|20)\d{2}(?=[\u4e00-\u9fff])")


@dataclass(frozen=True)
class Candidate:
    """A possible span; ``priority`` 0 (gazetteer) beats 1 (patterns) on overlap."""

    start: int
    end: int
    label: EntityType
    score: float
    priority: int = 1

    @property
    def length(self) -> int:
        return self.end - self.start


def _head_type(name: str, heads: Mapping[str, EntityType]) -> tuple[str, EntityType] | None:
    for head in sorted(heads, key=len, reverse=True):
        if name.endswith(head):
            return head, heads[head]
    return None


def is_specific(name: str, head: str, *, marked: bool = False) -> bool:
    """Whether ``name`` (ending in ``head``) is a proper name, not a generic phrase.

    Unmarked names need at least two characters left after removing generic words
    (four for weak heads such as 项目), or a place prefix and six characters in all;
    one longer than ``MAX_UNPLACED`` needs a place prefix either way (long runs
    without one are usually a clause, not a name).
    ``marked`` names (quoted, or followed by an abbreviation like ``（GTP）``) only need
    a modifier that is more than one generic word and holds no verb or function word.
    """
    modifier = name[: len(name) - len(head)]
    if len(modifier) < 2 or ORG_LIKE.search(name):
        return False
    residual = sum(1 for ch in GENERIC.sub("", modifier) if ch.isalpha())
    if marked:
        return not BOUNDARY_WORDS.search(modifier) and (residual > 0 or len(modifier) > 2)
    place = LOCATION.match(modifier)
    if len(name) > MAX_UNPLACED and not place:
        return False
    if residual >= (4 if head in WEAK_HEADS else 2):
        return True
    return bool(place) and place.end() < len(modifier) and len(name) >= 6


def _cut_left(left: str) -> str:
    """The part of ``left`` after the last boundary word."""
    cut = 0
    for m in BOUNDARY.finditer(left):
        cut = m.end()
    return left[cut:]


def _name_before(text: str, end: int, limit: int = 26, *, joins: bool = False) -> int:
    """Start of the run of name characters that ends at ``end``, cut at boundaries.

    ``与`` joins two things and so ends a name, except in titles of events
    (``joins=True``: 人形机器人与具身智能大赛).
    """
    start = end
    while start > 0 and end - start < limit and NAME_CHAR.match(text[start - 1]):
        start -= 1
    name = _cut_left(text[start:end])
    if not joins and "与" in name:
        name = name[name.rindex("与") + 1 :]
    return end - len(name)


def is_proposal_title(inner: str, before: str, after: str) -> bool:
    """Whether a 《》 title is the proposal's own (never a span)."""
    return (
        inner.endswith(("建议", "提案"))
        or PROPOSAL_AFTER_TITLE.match(after) is not None
        or PROPOSAL_BEFORE_TITLE.search(before) is not None
    )


def proposal_titles(text: str) -> list[tuple[int, int]]:
    """Where the proposal's own titles are, 《》 included: no span may touch them."""
    return [
        (m.start(), m.end())
        for m in TITLE.finditer(text)
        if is_proposal_title(
            m.group(1).strip(), text[max(0, m.start() - 6) : m.start()], text[m.end() : m.end() + 4]
        )
    ]


def find_titles(text: str) -> list[Candidate]:
    """《…》 titles as POLICY (without the 《》), and a bracketed alias right after."""
    found: list[Candidate] = []
    for m in TITLE.finditer(text):
        raw = m.group(1)
        inner = raw.strip()
        if len(inner) < 3 or TITLE_SHORT_FORM.match(inner):
            continue
        start = m.start(1) + len(raw) - len(raw.lstrip())
        end = m.end(1) - (len(raw) - len(raw.rstrip()))
        before, after = text[max(0, m.start() - 6) : m.start()], text[m.end() : m.end() + 4]
        if is_proposal_title(inner, before, after) or NOT_A_DOCUMENT.search(inner):
            continue
        label: EntityType = "PROGRAM" if inner.endswith("专项") else "POLICY"
        found.append(Candidate(start, end, label, TITLE_SCORE))
        alias = TITLE_ALIAS.match(text, m.end())
        if alias and not NOT_AN_ALIAS.search(alias.group(1)):
            found.append(Candidate(alias.start(1), alias.end(1), "POLICY", QUOTED_SCORE))
    return found


def _quoted_candidate(text: str, m: re.Match[str]) -> Candidate | None:
    inner = m.group(1)
    if IN_QUOTE_PUNCT.search(inner) or not inner.strip():
        return None
    qs, qe = m.start(), m.end()
    xs, xe = m.start(1), m.end(1)
    own = _head_type(inner, _QUOTED_HEAD_TYPE)
    if own and HEAD_BLOCKER.match(text, qe) is None:
        head, label = own
        if is_specific(inner, head, marked=True) or LOCATION.match(inner):
            return Candidate(xs, xe, label, QUOTED_SCORE)
        return None
    descriptor = DESCRIPTOR_AFTER_QUOTE.match(text, qe)
    if descriptor:
        return Candidate(xs, xe, DESCRIPTORS[descriptor.group(0).lstrip("等")], QUOTED_SCORE)
    following = HEAD_AFTER_QUOTE.match(text, qe)
    if (
        following
        and not BOUNDARY.search(following.group(0))
        and HEAD_BLOCKER.match(text, following.end()) is None
    ):
        head_type = _head_type(following.group(0), _QUOTED_HEAD_TYPE)
        if head_type is not None:
            return Candidate(qs, following.end(), head_type[1], QUOTED_SCORE)
    de = DE_GENERIC_HEAD.match(text, qe)
    if de:
        return Candidate(xs, xe, _QUOTED_HEAD_TYPE[de.group(1)], QUOTED_SCORE)
    if FORMULA.match(inner):
        return Candidate(xs, xe, "PROGRAM", QUOTED_SCORE)
    if NUMBERED_CLAUSES.match(inner):  # 浦东人才“25条”: the prefix belongs to the name
        start = _name_before(text, qs, limit=8)
        return Candidate(start, qe, "POLICY", QUOTED_SCORE) if qs - start >= 2 else None
    if inner.endswith(POLICY_HEADS) and len(inner) >= 5:
        return Candidate(xs, xe, "POLICY", QUOTED_SCORE)
    return None


def find_quoted(text: str) -> list[Candidate]:
    """Quoted names, with the outer quotes left out unless words follow them."""
    found = []
    for pattern in QUOTES:
        for m in pattern.finditer(text):
            candidate = _quoted_candidate(text, m)
            if candidate is not None:
                found.append(candidate)
    return found


def find_headed(text: str) -> list[Candidate]:
    """Unquoted names that end in a type head and pass ``is_specific``."""
    found = []
    for m in HEAD_RE.finditer(text):
        if HEAD_BLOCKER.match(text, m.end()):
            continue
        label = _HEAD_TYPE[m.group(0)]
        start = _name_before(text, m.start(), joins=label == "EVENT")
        year = YEAR_PREFIX.match(text, start, m.start())
        if year:  # keep a year that is part of the name: 2024世界人工智能大会
            body_start = year.end()
        else:
            while start < m.start() and text[start].isdigit():
                start += 1
            body_start = start
        marked = ABBREVIATION.match(text, m.end()) is not None
        if is_specific(text[body_start : m.end()], m.group(0), marked=marked):
            found.append(Candidate(start, m.end(), label, HEADED_SCORE))
    return found


def find_strategies(text: str) -> list[Candidate]:
    """National strategies named as such (一带一路, 东数西算 …) as PROGRAM."""
    return [
        Candidate(m.start(), m.end(), "PROGRAM", STRATEGY_SCORE) for m in STRATEGY_RE.finditer(text)
    ]


def resolve(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates: gazetteer first, then the longest, then the earliest."""
    kept: list[Candidate] = []
    taken: set[int] = set()
    for c in sorted(candidates, key=lambda c: (c.priority, -c.length, c.start)):
        if c.length <= 0 or any(i in taken for i in range(c.start, c.end)):
            continue
        kept.append(c)
        taken.update(range(c.start, c.end))
    return sorted(kept, key=lambda c: c.start)


def with_abbreviations(text: str, kept: list[Candidate]) -> list[Candidate]:
    """Add a trailing ``（GTP）`` after a kept name as its own span of the same type."""
    taken = {i for c in kept for i in range(c.start, c.end)}
    extra = []
    for c in kept:
        m = ABBREVIATION.match(text, c.end)
        if m and not any(i in taken for i in range(m.start(1), m.end(1))):
            extra.append(Candidate(m.start(1), m.end(1), c.label, c.score, c.priority))
            taken.update(range(m.start(1), m.end(1)))
    return sorted(kept + extra, key=lambda c: c.start)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Gazetteer:
    """Known names and their types, matched longest first.

    Built from gold with ``Gazetteer.from_examples``; its matches win over pattern
    guesses when they overlap.
    """

    def __init__(self, entries: Mapping[str, EntityType] | None = None) -> None:
        self._entries: dict[str, EntityType] = {}
        for name, label in (entries or {}).items():
            if label not in ENTITY_TYPES:
                raise ValueError(f"gazetteer entry {name!r}: unknown entity type {label!r}")
            if len(name) >= 2 and name == name.strip():
                self._entries[name] = label
        self._lengths: dict[str, list[int]] = {}
        for name in self._entries:
            self._lengths.setdefault(name[0], []).append(len(name))
        for lengths in self._lengths.values():
            lengths.sort(reverse=True)

    @classmethod
    def from_examples(cls, examples: Iterable[Example]) -> Gazetteer:
        """Every gold entity text, typed by its most frequent gold label."""
        counts: Counter[tuple[str, EntityType]] = Counter()
        for example in examples:
            for span in example.entities:
                counts[(span.text, span.label)] += 1
        best: dict[str, tuple[int, int, EntityType]] = {}
        for (name, label), n in counts.items():
            rank = (n, -ENTITY_TYPES.index(label), label)
            if name not in best or rank > best[name]:
                best[name] = rank
        return cls({name: rank[2] for name, rank in best.items()})

    @property
    def entries(self) -> dict[str, EntityType]:
        return dict(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    @property
    def digest(self) -> str:
        """A short hash of the entries; changes whenever an entry changes."""
        payload = json.dumps(sorted(self._entries.items()), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]

    def candidates(self, text: str) -> list[Candidate]:
        """The longest known name starting at each position (overlaps not yet resolved)."""
        found = []
        for i, ch in enumerate(text):
            for length in self._lengths.get(ch, ()):
                name = text[i : i + length]
                if name not in self._entries:
                    continue
                end = i + length
                if _is_latin(name[0]) and i > 0 and _is_latin(text[i - 1]):
                    continue
                if _is_latin(name[-1]) and end < len(text) and _is_latin(text[end]):
                    continue
                found.append(Candidate(i, end, self._entries[name], GAZETTEER_SCORE, 0))
                break
        return found

    def match(self, text: str) -> list[Span]:
        """Non-overlapping longest matches as spans."""
        return [_to_span(text, c) for c in resolve(self.candidates(text))]


def _to_span(text: str, c: Candidate) -> Span:
    return Span(start=c.start, end=c.end, label=c.label, text=text[c.start : c.end], score=c.score)


def pattern_candidates(text: str) -> list[Candidate]:
    """All pattern guesses, before overlap resolution."""
    return find_titles(text) + find_quoted(text) + find_headed(text) + find_strategies(text)


def extract_entities(text: str, gazetteer: Gazetteer | None = None) -> list[Span]:
    """Spans for ``text``: gazetteer and pattern candidates, resolved, plus abbreviations."""
    blocked = proposal_titles(text)
    candidates = [
        c
        for c in pattern_candidates(text)
        if not any(c.start < be and bs < c.end for bs, be in blocked)
    ]
    if gazetteer is not None:
        candidates += gazetteer.candidates(text)
    kept = [c for c in resolve(candidates) if text[c.start : c.end].strip(QUOTE_CHARS)]
    return [_to_span(text, c) for c in with_abbreviations(text, kept)]


RULES_SPEC = json.dumps(
    [
        HEADS,
        QUOTED_HEADS,
        WEAK_HEADS,
        POLICY_HEADS,
        DESCRIPTORS,
        STRATEGIES,
        [
            p.pattern
            for p in (
                HEAD_BLOCKER,
                BOUNDARY_WORDS,
                BOUNDARY,
                GENERIC,
                LOCATION,
                ORG_LIKE,
                ABBREVIATION,
                TITLE,
                TITLE_SHORT_FORM,
                TITLE_ALIAS,
                NOT_AN_ALIAS,
                NOT_A_DOCUMENT,
                FORMULA,
                NUMBERED_CLAUSES,
                IN_QUOTE_PUNCT,
                HEAD_AFTER_QUOTE,
                DESCRIPTOR_AFTER_QUOTE,
                DE_GENERIC_HEAD,
                PROPOSAL_AFTER_TITLE,
                PROPOSAL_BEFORE_TITLE,
                YEAR_PREFIX,
                *QUOTES,
            )
        ],
        [GAZETTEER_SCORE, TITLE_SCORE, STRATEGY_SCORE, QUOTED_SCORE, HEADED_SCORE, MAX_UNPLACED],
    ],
    ensure_ascii=False,
)
"""Everything the entity patterns depend on, for the predictor's version hash."""
