"""Labelling functions for the six measure labels, written from the guidelines.

A labelling function (LF) looks at one segment text and casts one vote for one
label: ``FOR`` (+1), ``AGAINST`` (-1) or ``ABSTAIN`` (0). Each LF has a fixed
polarity, the vote it casts when its rule fires, and a weight that the vote in
``models.rules.vote`` uses. The same votes feed weak supervision later, so every
LF is small, named ``<label>:<rule>`` and independent of the others.

Per label there are:

- ``strong`` / ``weak``: keyword patterns. A strong keyword alone is enough for
  the label; a weak one only adds support (or offsets a negative rule).
- ``action``: a strong keyword in the same sentence as a government action
  (出台, 设立, 给予, 将 …), a small push for segments that *do* something.
- ``in_passing`` (against): every keyword sits in a framing phrase — a topic
  frame like ``围绕人工智能产业``, a 《title》, a restated proposal heading
  (``关于“…”``), an event's name, firms having passed a filing, a platform's
  reported intent amounts.
- ``thanks`` / ``restates_proposal`` (against): the segment thanks the proposer or
  restates the proposal, and every keyword lies in such sentences (a closing
  thanks after a concrete measure does not cancel the measure).
- ``economy_only`` (against): the segment describes the economy (拥有, 集聚了,
  超600家, 规模达 …) and names no government action.

And the guidelines' combination rules: vouchers (算力券 → funding + compute,
语料券 → funding + corpus, 模型券 → funding only), cross-border data (corpus +
overseas), and ``overseas:talent_only`` (against): overseas words that only
describe attracting overseas talent make ``talent``, not ``overseas``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass

from models.schema import MEASURE_LABELS, MeasureLabel

FOR = 1
ABSTAIN = 0
AGAINST = -1

Rule = re.Pattern[str] | Callable[[str], bool]

SENTENCE_END = re.compile(r"[。；;！!？?\n]+")


@dataclass(frozen=True)
class LabellingFunction:
    """One named vote for one label.

    ``rule`` is a compiled regex (fires when it matches anywhere in the text) or a
    callable ``text -> bool``. When the rule fires the LF votes ``polarity``
    (``FOR`` or ``AGAINST``), otherwise it abstains.
    """

    name: str
    label: MeasureLabel
    rule: Rule
    weight: float = 1.0
    polarity: int = FOR

    def __post_init__(self) -> None:
        if self.label not in MEASURE_LABELS:
            raise ValueError(f"LF {self.name!r}: unknown label {self.label!r}")
        if self.polarity not in (FOR, AGAINST):
            raise ValueError(f"LF {self.name!r}: polarity must be FOR (1) or AGAINST (-1)")
        if not self.weight > 0:
            raise ValueError(f"LF {self.name!r}: weight must be positive, got {self.weight}")

    def fires(self, text: str) -> bool:
        if isinstance(self.rule, re.Pattern):
            return self.rule.search(text) is not None
        return bool(self.rule(text))

    def __call__(self, text: str) -> int:
        """The vote on ``text``: ``polarity`` when the rule fires, else ``ABSTAIN``."""
        return self.polarity if self.fires(text) else ABSTAIN

    @property
    def spec(self) -> str:
        """A stable description of the rule, for hashing a rule set into a version."""
        if isinstance(self.rule, re.Pattern):
            rule = f"re:{self.rule.pattern}:{self.rule.flags}"
        elif inspect.isfunction(self.rule):
            try:
                rule = "fn:" + inspect.getsource(self.rule)
            except (OSError, TypeError):
                rule = "fn:" + self.rule.__qualname__
        else:
            rule = repr(self.rule)
        return f"{self.name}|{self.label}|{self.weight!r}|{self.polarity}|{rule}"


# --- callable rules (dataclasses so that their repr, and so the version, is stable) ---


@dataclass(frozen=True)
class OnlyInContext:
    """Fires when ``keywords`` match and every match lies inside a ``contexts`` match.

    Used for mentions in passing: the keyword is there, but only inside a framing
    phrase, a title or some other context that says it is not the measure. With
    ``trigger``, it fires only when the trigger also matches somewhere.
    """

    keywords: re.Pattern[str]
    contexts: re.Pattern[str]
    trigger: re.Pattern[str] | None = None

    def __call__(self, text: str) -> bool:
        if self.trigger is not None and self.trigger.search(text) is None:
            return False
        hits = [m.span() for m in self.keywords.finditer(text)]
        if not hits:
            return False
        covered = [m.span() for m in self.contexts.finditer(text)]
        return all(any(cs <= hs and he <= ce for cs, ce in covered) for hs, he in hits)


@dataclass(frozen=True)
class InSameSentence:
    """Fires when one sentence holds both a ``keywords`` match and a ``cues`` match."""

    keywords: re.Pattern[str]
    cues: re.Pattern[str]

    def __call__(self, text: str) -> bool:
        return any(
            self.keywords.search(sentence) and self.cues.search(sentence)
            for sentence in SENTENCE_END.split(text)
        )


@dataclass(frozen=True)
class WithoutAny:
    """Fires when ``present`` matches and ``absent`` does not match anywhere."""

    present: re.Pattern[str]
    absent: re.Pattern[str]

    def __call__(self, text: str) -> bool:
        return self.present.search(text) is not None and self.absent.search(text) is None


def _re(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


# --- keyword lists per label ---------------------------------------------------------

STRONG: dict[MeasureLabel, re.Pattern[str]] = {
    "talent": _re(
        r"人才",
        r"引才|育才|聚才|留才|引智",
        r"博士后",
        r"落户",
        r"安居|租房补贴",
        r"签证|永居|永久居留|居留许可|工作许可",
        r"校企合作|产教融合|校企联合|联合培养",
        r"(?:就业|创业|职业|技能|岗位)培训|职业技能|培训补贴",
        r"院士",
        r"留学生|留学人员",
        r"工程师",
    ),
    "compute": _re(
        r"算力",
        r"智算|超算|智能计算|计算中心",
        r"服务器",
        r"GPU|千卡|万卡",
        r"东数西算|东数西训",
        r"(?:AI|智能|人工智能|训练|推理)芯片",
        r"(?:计算|训练)集群",
    ),
    "corpus": _re(
        r"语料",
        r"数据集",
        r"数据标注|标注数据",
        r"公共数据|政务数据",
        r"授权运营",
        r"数据要素",
        r"数据交易|数据流通|数据资产|数据产品|数商",
        r"数据共享|共享数据|数据开放|开放数据",
        r"数据资源",
        r"数据专区|数据空间",
        r"数据跨境|跨境数据|数据出境|信息出境",
        r"训练数据|高质量数据|数据供给",
        r"数据采集|采集数据|归集",
        r"数据券",
    ),
    "funding": _re(
        r"基金",
        r"资金",
        r"补贴|补助|资助|奖补|奖励|贴息",
        r"贷款|融资|担保",
        r"创投|风险投资|创业投资|股权投资|天使投资",
        r"[算语模数创科服]\w?券",
        r"项目给予[^。；，]{0,4}支持",
        r"(?:给予|提供|最高|奖励|补贴|资助|支持|安排|投入)[^。；]{0,20}?\d+(?:\.\d+)?(?:亿|万|千)?元",
    ),
    "security": _re(
        r"(?:网络|数据|信息|内容|算法|模型|人工智能|个人信息)安全",
        r"安全(?:评估|审查|监管|治理|保护|防护|管理|隐患|风险|检测|能力)",
        r"个人信息保护|隐私",
        r"伦理",
        r"(?:数据|算法|模型|人工智能|网络|个人信息)[^。；，]{0,4}?合规|合规(?:指导|评估|审查|认证)",
        r"沙盒",
        r"(?:模型|算法|生成式|深度合成)[^。；，]{0,8}?备案|备案[^。；，]{0,4}?(?:模型|算法)",
        r"深度合成",
        r"风险评估",
        r"应急(?:响应|演练|处置)",
        r"漏洞|网络攻击|数据泄露",
        r"等级保护|等保",
    ),
    "overseas": _re(
        r"出海",
        r"境外|海外",
        r"国际合作|国际交流|对外合作",
        r"一带一路|共建国家|丝绸之路",
        r"跨境|出境",
        r"走出去",
        r"国际标准",
        r"国际化|国际市场|全球市场|全球化",
        r"(?:国际|全球)影响力|全球资源",
        r"对外投资|对外开放",
        r"外贸|出口",
        r"RCEP",
    ),
}

WEAK: dict[MeasureLabel, re.Pattern[str]] = {
    "talent": _re(r"培训|培养|实训|实习", r"专家|学者|团队", r"就业|招聘|招生"),
    "compute": _re(
        r"芯片",
        r"数据中心",
        r"云计算|计算资源|计算能力",
        r"(?<!产业)(?<!创新)(?<!企业)集群",
    ),
    "corpus": _re(r"数据库|大数据", r"数据(?:治理|平台|采集|目录|归集|汇聚|开发利用|服务)"),
    "funding": _re(
        r"(?<!境外)(?<!对外)(?<!海外)投资(?!环境)",
        r"招商|引资",
        r"税收优惠|减免",
        r"财政|经费|预算",
        r"金融支持|金融服务",
    ),
    "security": _re(
        r"安全(?!生产|事故)",
        r"(?<!市场)监管",
        r"备案|合规",
        r"风险(?!投资)",
        r"审查|治理|防范",
    ),
    "overseas": _re(
        r"国际|全球|世界",
        r"外资|外商|外籍|外国",
        r"自贸|港澳",
    ),
}

# A government action in the same sentence as a keyword.
ACTION_CUES = _re(
    r"出台|设立|给予|提供|建设|打造|支持|实施|推出|开展|举办|推动|加快|鼓励|建立|制定",
    r"组织|完善|加强|加大|优化|探索|启用|推进|发布|引进|吸引|搭建|构建|部署|培育",
    r"落实|深化|强化|引导|保障|设置|布局|申报|遴选|认定|便利|成立|开放|对接",
    r"将|拟|应当|须|不得|(?<![重主需必只])要(?![求素点闻])",
)


def _sentences_with(*cues: str) -> re.Pattern[str]:
    """Whole sentences (up to 。！？： or a line break) that contain one of ``cues``."""
    return re.compile(r"[^。！!？?：\n]*(?:" + "|".join(cues) + r")[^。！!？?：\n]*")


# Phrases that mention a topic without doing anything about it.
FRAMING = _re(
    r"《[^《》]*》",
    r"关于“[^”]*”",
    r"(?:围绕|聚焦|面向|紧扣|立足|针对|结合)[^，。；：、]{0,12}?"
    r"(?:产业|领域|行业|赛道|方面|问题|需求|需要|方向|战略)",
    r"在[^，。；]{1,12}?方面",
    r"国际领先|国际一流|国际先进|世界一流|世界级|全球领先|国际知名|国际水平|国际视野",
    r"(?:国际|全球|世界)(?:竞争力|关注度)",
    r"全球首个|全国首个|全球首批",
    r"(?:\d+|多)家[^。；，]{0,8}通过[^。；，]{0,12}?(?:评估备案|备案|评估|认证)",
    r"(?:意向|合同|合作)(?:资金|金额)",
    r"“[^“”]{1,30}(?:大会|大赛|分赛|论坛|峰会|博览会)”",
    r"[^，。、；“”\s]{1,14}(?:大会|大赛|分赛|论坛|峰会|博览会)",
)

# Attracting overseas talent: talent, not overseas (unless the segment also goes abroad).
OVERSEAS_TALENT = _re(
    r"(?:海外|境外|外籍|国际|外国|全球|海内外)[^。；，]{0,14}?"
    r"(?:人才|专家|学者|学生|留学|博士|高校|名校|学联|职业资格|从业|工作许可|居留|永居)",
    r"全球引才|来华工作|入出境|出入境",
)


THANKS = _re(r"感谢|谢谢|致谢")
RESTATES_PROPOSAL = _re(
    r"收悉",
    r"提案中提出的|提案中提到的|建议中提出的",
    r"(?:您|你们|贵单位|委员|代表)(?:所)?提出的",
    r"参考价值|针对性强",
    r"办理(?:情况|概述)|答复如下|函复如下",
)
# Sentences that thank or restate the proposal, plus framing phrases: a keyword only
# there means the segment is courtesy, not a measure.
COURTESY = _re(
    _sentences_with(THANKS.pattern).pattern,
    _sentences_with(RESTATES_PROPOSAL.pattern).pattern,
    FRAMING.pattern,
)
ECONOMY = _re(
    r"拥有|集聚了|汇聚了|聚集了|已有|涌现",
    r"超过?\d+(?:\.\d+)?余?家|\d+余?家",
    r"规模达|产值|营收|占全[市国省区]|居于?全国|位居",
)

CROSS_BORDER_DATA = _re(r"数据跨境|跨境数据|数据出境|出境数据|信息出境|数据(?:跨境)?流动")
COMPUTE_VOUCHER = _re(r"算力券")
DATA_VOUCHER = _re(r"语料券|数据券")
ANY_VOUCHER = _re(r"算力券|语料券|数据券|模型券|创新券|科技券|服务券")


def _keywords(label: MeasureLabel) -> re.Pattern[str]:
    return re.compile(f"{STRONG[label].pattern}|{WEAK[label].pattern}")


def _functions_for(label: MeasureLabel) -> list[LabellingFunction]:
    keywords = _keywords(label)
    return [
        LabellingFunction(f"{label}:strong", label, STRONG[label], weight=1.0),
        LabellingFunction(f"{label}:weak", label, WEAK[label], weight=0.4),
        LabellingFunction(
            f"{label}:action", label, InSameSentence(STRONG[label], ACTION_CUES), weight=0.3
        ),
        LabellingFunction(
            f"{label}:in_passing", label, OnlyInContext(keywords, FRAMING), 1.5, AGAINST
        ),
        LabellingFunction(
            f"{label}:thanks", label, OnlyInContext(keywords, COURTESY, THANKS), 2.0, AGAINST
        ),
        LabellingFunction(
            f"{label}:restates_proposal",
            label,
            OnlyInContext(keywords, COURTESY, RESTATES_PROPOSAL),
            2.0,
            AGAINST,
        ),
        LabellingFunction(
            f"{label}:economy_only", label, WithoutAny(ECONOMY, ACTION_CUES), 1.5, AGAINST
        ),
    ]


def _combination_functions() -> list[LabellingFunction]:
    return [
        LabellingFunction("funding:voucher", "funding", ANY_VOUCHER, weight=1.5),
        LabellingFunction("compute:compute_voucher", "compute", COMPUTE_VOUCHER, weight=1.5),
        LabellingFunction("corpus:data_voucher", "corpus", DATA_VOUCHER, weight=1.5),
        LabellingFunction("corpus:cross_border_data", "corpus", CROSS_BORDER_DATA, weight=1.0),
        LabellingFunction("overseas:cross_border_data", "overseas", CROSS_BORDER_DATA, 1.0),
        LabellingFunction(
            "overseas:talent_only",
            "overseas",
            OnlyInContext(_keywords("overseas"), _re(OVERSEAS_TALENT.pattern, FRAMING.pattern)),
            weight=1.5,
            polarity=AGAINST,
        ),
    ]


def default_functions() -> list[LabellingFunction]:
    """The rule set, grouped by label in ``MEASURE_LABELS`` order."""
    functions = [lf for label in MEASURE_LABELS for lf in _functions_for(label)]
    functions += _combination_functions()
    order = {label: i for i, label in enumerate(MEASURE_LABELS)}
    functions.sort(key=lambda lf: order[lf.label])  # stable: keeps per-label order
    names = [lf.name for lf in functions]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate labelling function names: {sorted(duplicates)}")
    return functions


LABELLING_FUNCTIONS: tuple[LabellingFunction, ...] = tuple(default_functions())
