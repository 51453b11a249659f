"""Segmentation: cleaning artefacts, splitting rules and offsets into the original."""

from __future__ import annotations

import pytest

from models.segment import clean, paragraphs, segment


def _texts(text: str) -> list[str]:
    return [s.text for s in segment(text, "t")]


def test_segment_dewraps_pdf_lines_without_spaces():
    text = "一、总体安排\n\n我们将加快建设人工智能公共算力服务平\n\n台，支持企业开展模型训练。\n"
    [seg] = segment(text, "t")
    assert (
        seg.text == "一、总体安排\n我们将加快建设人工智能公共算力服务平台，支持企业开展模型训练。"
    )


def test_segment_drops_page_numbers_and_no_text_page():
    text = "甲方案推动数据开放共享，建立健全\n\n- 2 -\n\n数据标注基地。\n— 6 —\n（此页无正文）\n第 3 页\n"
    assert _texts(text) == ["甲方案推动数据开放共享，建立健全数据标注基地。"]


def test_segment_strips_stray_markdown():
    text = "## **（一）加强算力供给**\n\n**一是**建设智算中心，提供算力券。\n\n---\n\n二是开放数据集。\n"
    texts = _texts(text)
    assert texts == ["（一）加强算力供给", "一是建设智算中心，提供算力券。", "二是开放数据集。"]
    assert all("*" not in t and "#" not in t for t in texts)


def test_segment_removes_pdf_spaces_but_keeps_latin_word_spaces():
    [seg] = segment("支持 AI 企业申报 Med Go 项目，给予 200 万元补贴。", "t")
    assert seg.text == "支持AI企业申报Med Go项目，给予200万元补贴。"


def test_segment_offsets_point_into_original_text():
    text = (
        "\r\n办理结果：解决或采纳\r\n\r\n某某委员：\r\n\r\n"
        "（一）加大高层次人才和青年 人才\r\n\r\n引进力度，提供人才公寓。\r\n"
        "（二）设立产业基金，支持企业融资。\r\n"
    )
    segments = segment(text, "t")
    assert [s.text for s in segments] == [
        "（一）加大高层次人才和青年人才引进力度，提供人才公寓。",
        "（二）设立产业基金，支持企业融资。",
    ]
    first, second = segments
    assert text[first.start : first.end].startswith("（一）加大")
    assert text[first.start : first.end].endswith("提供人才公寓。")
    assert text[second.start : second.end] == "（二）设立产业基金，支持企业融资。"


def test_segment_splits_inline_clauses_in_sequence():
    lead = "为加快人工智能产业发展，市里出台专项政策："
    text = lead + "一是设立母基金，支持初创企业；二是建设智算中心；三是开放公共数据。"
    assert _texts(text) == [
        lead,
        "一是设立母基金，支持初创企业；",
        "二是建设智算中心；",
        "三是开放公共数据。",
    ]


def test_segment_short_or_unfinished_lead_in_joins_first_clause():
    assert _texts("区委牵头，一是引进人才。二是培育人才。")[0] == "区委牵头，一是引进人才。"
    lead = "区科经委积极推进基础科研能力提升，持续强化人才支撑，"
    assert _texts(lead + "一是建设实验室。二是设立联合基金。")[0].startswith(lead)


def test_segment_does_not_split_on_lone_ordinal():
    text = "各区要统一是非标准，加强数据安全监管，落实备案制度。"
    assert _texts(text) == [text]


def test_segment_numbering_with_mixed_brackets():
    text = "(1)建设算力平台，提供算力券。\n（2）开展数据标注，建设语料库。\n3.举办国际论坛，推动企业出海。\n"
    texts = _texts(text)
    assert len(texts) == 3
    assert texts[0].startswith("(1)") and texts[1].startswith("（2）") and texts[2].startswith("3.")


def test_segment_decimal_numbers_are_not_items():
    text = "平台2.0版本上线，合同金额超1.28亿元，\n1.5万家企业入驻。"
    assert len(_texts(text)) == 1


def test_segment_no_numbering_free_paragraphs():
    text = "我市加快建设人工智能产业集群，完善算力基础设施。\n\n同时，推动公共数据授权运营，培育数据要素市场。\n"
    assert _texts(text) == [
        "我市加快建设人工智能产业集群，完善算力基础设施。",
        "同时，推动公共数据授权运营，培育数据要素市场。",
    ]


def test_segment_one_huge_paragraph_stays_whole():
    sentence = "支持企业建设智能算力中心，给予租金补贴，"
    text = sentence * 400 + "形成规模效应。"
    [seg] = segment(text, "t")
    assert seg.text == text
    assert (seg.start, seg.end) == (0, len(text))


def test_segment_header_and_footer_are_not_segments():
    text = (
        "办理结果：解决或采纳\n公开属性：主动公开\n某某区科技委员会\n某科委办理〔2025〕1号\n"
        "对某某区政协第12号提案的答复\n张三委员：\n您提出的提案收悉，现答复如下：\n"
        "一、设立人工智能产业基金，支持企业发展。\n再次感谢您的宝贵建议。\n某某区科技委员会\n"
        "2025年4月21日\n联系人：李四 电话：12345678\n抄送：区政府办公室\n(共印5份)\n"
    )
    assert _texts(text) == [
        "您提出的提案收悉，现答复如下：",
        "一、设立人工智能产业基金，支持企业发展。",
        "再次感谢您的宝贵建议。",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\r\n", "- 2 -\n"])
def test_segment_empty_input_gives_no_segments(text):
    assert segment(text, "t") == []


def test_segment_bare_phrase_is_one_segment():
    [seg] = segment("人工智能产业基金", "t")
    assert seg.text == "人工智能产业基金"


def test_segment_ids_are_numbered_per_document():
    ids = [s.id for s in segment("一是引进人才。\n二是设立基金。\n", "doc-7")]
    assert ids == ["doc-7#s01", "doc-7#s02"]


def test_clean_keeps_every_paragraph():
    text = "标题\n\n第一段，内容。\n第二段，内容。"
    assert clean(text).text == "标题\n第一段，内容。\n第二段，内容。"
    assert len(paragraphs(text)) == 3


def test_segment_seeds_offsets_cover_their_text(seed_files):
    for path in seed_files:
        original = path.read_text(encoding="utf-8")
        segments = segment(original, path.stem)
        assert len(segments) >= 10
        for seg in segments:
            raw = original[seg.start : seg.end]
            # Every cleaned character comes from the original span, in order.
            position = 0
            for char in seg.text.replace("\n", ""):
                position = raw.index(char, position) + 1
            assert raw.lstrip("#* ")[0] == seg.text[0]
