"""Entity patterns and the gazetteer, including the guidelines' boundary rules."""

from __future__ import annotations

import pytest

from models.rules import Gazetteer, extract_entities
from models.rules.entities import GAZETTEER_SCORE
from models.schema import Example, Span


def spans(text: str, gazetteer: Gazetteer | None = None) -> list[tuple[str, str]]:
    return [(s.text, s.label) for s in extract_entities(text, gazetteer)]


def test_entities_title_is_policy_without_the_marks():
    text = "区政府出台了《浦东新区促进人工智能产业发展若干措施》。"
    (span,) = extract_entities(text)
    assert (span.text, span.label) == ("浦东新区促进人工智能产业发展若干措施", "POLICY")
    assert text[span.start - 1] == "《" and text[span.end] == "》"


def test_entities_proposal_title_is_not_a_span():
    assert spans("您提出的《关于加快发展数据产业的建议》收悉，现答复如下：") == []
    assert spans("你们提出的关于《推动企业出海服务平台建设》的提案收悉。") == []


def test_entities_alias_after_title_keeps_its_inner_quotes():
    text = "出台了《关于支持人才发展的实施意见》（浦东人才“25条”），效果明显。"
    assert spans(text) == [
        ("关于支持人才发展的实施意见", "POLICY"),
        ("浦东人才“25条”", "POLICY"),
    ]


def test_entities_quoted_prefix_with_head_keeps_the_quotes_inside():
    assert spans("全面打造“1+1+N”人才体系。") == [("“1+1+N”人才体系", "PROGRAM")]
    assert spans("每年举办“明日城市·上海”大会。") == [("“明日城市·上海”大会", "EVENT")]


def test_entities_quoted_name_drops_outer_quotes():
    assert spans("重点实施“明珠计划”，广纳英才。") == [("明珠计划", "PROGRAM")]
    assert spans("依托“模力社区”集聚企业。") == [("模力社区", "PLATFORM")]


def test_entities_quoted_part_only_before_de_and_generic_words():
    assert spans("构建了“1+4+6+N”的公共服务平台体系。") == [("1+4+6+N", "PLATFORM")]


def test_entities_quoted_name_before_descriptor_is_the_quoted_part():
    assert spans("全面对接“模塑申城”行动计划。") == [("模塑申城", "PROGRAM")]


def test_entities_abbreviation_in_brackets_is_its_own_span():
    text = "实施全球引才伙伴计划（GTP）人工智能专项。"
    result = extract_entities(text)
    assert [(s.text, s.label) for s in result] == [
        ("全球引才伙伴计划", "PROGRAM"),
        ("GTP", "PROGRAM"),
    ]
    assert text[result[0].end] == "（"


def test_entities_generic_name_is_not_a_span():
    assert spans("区里将继续实施人才计划。") == []
    assert spans("区里将继续实施“人才计划”。") == []
    assert spans("搭建公共服务平台，设立产业基金。") == []


def test_entities_specific_name_is_a_span():
    assert spans("区里将继续实施明珠计划。") == [("明珠计划", "PROGRAM")]


def test_entities_heads_map_to_types():
    text = "设立天使母基金，建设浦东新区揭榜挂帅公共服务平台，举办全球数商大会。"
    assert spans(text) == [
        ("天使母基金", "FUND"),
        ("浦东新区揭榜挂帅公共服务平台", "PLATFORM"),
        ("全球数商大会", "EVENT"),
    ]


def test_entities_year_that_is_part_of_an_event_name_is_kept():
    assert spans("参加2024世界人工智能大会。") == [("2024世界人工智能大会", "EVENT")]


def test_entities_national_strategies_are_programs():
    assert spans("服务国家“一带一路”建设，采用东数西算模式。") == [
        ("一带一路", "PROGRAM"),
        ("东数西算", "PROGRAM"),
    ]


def test_entities_nested_names_keep_the_longest():
    assert spans("加快建设黎明零碳绿谷智算中心项目。") == [("黎明零碳绿谷智算中心项目", "PROGRAM")]


def test_entities_organisations_named_centre_are_not_spans():
    assert spans("依托国地共建人形机器人创新中心开展研发。") == []


def test_entities_gazetteer_matches_longest_first():
    gazetteer = Gazetteer({"模力社区": "PLATFORM", "张江模力社区": "PLATFORM"})
    assert gazetteer.match("依托张江模力社区开展活动，模力社区很热闹。") == [
        Span(start=2, end=8, label="PLATFORM", text="张江模力社区", score=GAZETTEER_SCORE),
        Span(start=13, end=17, label="PLATFORM", text="模力社区", score=GAZETTEER_SCORE),
    ]


def test_entities_gazetteer_wins_over_pattern_guesses():
    text = "区里将继续实施明珠计划。"
    (span,) = extract_entities(text, Gazetteer({"明珠计划": "EVENT"}))
    assert (span.text, span.label, span.score) == ("明珠计划", "EVENT", GAZETTEER_SCORE)
    # a shorter gazetteer name still beats a longer overlapping pattern guess
    shorter = Gazetteer({"引才伙伴": "PROGRAM"})
    assert spans("实施全球引才伙伴计划。", shorter) == [("引才伙伴", "PROGRAM")]


def test_entities_gazetteer_finds_names_patterns_miss():
    gazetteer = Gazetteer({"数据跨境服务中心": "PLATFORM"})
    assert spans("成立数据跨境服务中心。") == []
    assert spans("成立数据跨境服务中心。", gazetteer) == [("数据跨境服务中心", "PLATFORM")]


def test_entities_gazetteer_latin_names_need_word_boundaries():
    gazetteer = Gazetteer({"GTP": "PROGRAM"})
    assert gazetteer.match("GTPX启动，AGTP启动") == []
    assert [s.text for s in gazetteer.match("加入GTP。GTP专项")] == ["GTP", "GTP"]


def test_entities_gazetteer_from_examples_uses_most_frequent_label():
    def example(i: int, text: str, name: str, label: str) -> Example:
        start = text.index(name)
        entity = Span(start=start, end=start + len(name), label=label, text=name)
        return Example(id=f"d#{i}", text=text, entities=[entity])

    gazetteer = Gazetteer.from_examples(
        [
            example(1, "参加数商大会。", "数商大会", "EVENT"),
            example(2, "举办数商大会。", "数商大会", "EVENT"),
            example(3, "数商大会启动。", "数商大会", "PROGRAM"),
            example(4, "依托模力社区。", "模力社区", "PLATFORM"),
        ]
    )
    assert gazetteer.entries == {"数商大会": "EVENT", "模力社区": "PLATFORM"}
    assert len(gazetteer) == 2 and "模力社区" in gazetteer


def test_entities_gazetteer_digest_changes_with_entries():
    a = Gazetteer({"明珠计划": "PROGRAM"})
    assert a.digest == Gazetteer({"明珠计划": "PROGRAM"}).digest
    assert a.digest != Gazetteer({"明珠计划": "EVENT"}).digest
    assert a.digest != Gazetteer().digest


def test_entities_gazetteer_rejects_unknown_types():
    with pytest.raises(ValueError):
        Gazetteer({"明珠计划": "PERSON"})  # type: ignore[dict-item]
