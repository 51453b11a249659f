"""Tests for models.metadata: every field on the five seeds, plus hand-made edge cases.

The expected seed values were written by hand from reading ``seeds/*.txt``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.metadata import extract_metadata
from models.schema import ReplyMetadata

KEJING = "上海市浦东新区科技和经济委员会"
SESSION_7_4 = "浦东新区政协七届四次会议"

SEED_METADATA: dict[str, ReplyMetadata] = {
    "000": ReplyMetadata(
        doc_number="浦科经委办理〔2025〕47号",
        proposal_number="195",
        session=SESSION_7_4,
        addressee="吴佳桢委员",
        proposers=["吴佳桢", "白雪"],
        proposal_title="关于打造浦东新区成为人工智能技术创业和产业发展高地的建议",
        agency=KEJING,
        date="2025-04-21",
        result=None,
        disclosure="主动公开",
        contact_name="卿逸男",
        contact_phone="58788388-64516",
    ),
    "001": ReplyMetadata(
        doc_number="浦科经委办理〔2025〕61号",
        proposal_number="057",
        session=SESSION_7_4,
        addressee="浦东新区工商联",
        proposers=["浦东新区工商联"],
        proposal_title="关于促进AIGC产业高质量发展助推浦东国际消费中心建设的建议",
        agency=KEJING,
        date="2025-05-07",
        result="解决或采纳",
        disclosure="主动公开",
        contact_name="卿逸男",
        contact_phone="58788388-64516",
    ),
    "002": ReplyMetadata(
        doc_number="浦人社提复〔2024〕31号",
        proposal_number="033",
        session="新区政协七届三次会议",
        addressee="九三学社浦东区委",
        proposers=["九三学社浦东区委"],
        proposal_title="关于加强浦东新区人才队伍建设的建议",
        agency="浦东新区人力资源和社会保障局",
        date="2024-05-06",
        result="解决或采纳",
        disclosure="主动公开",
        contact_name="胡军",
        contact_phone="58601037",
    ),
    "003": ReplyMetadata(
        doc_number="浦科经委办理〔2025〕43号",
        proposal_number="044",
        session=SESSION_7_4,
        addressee="民盟浦东区委",
        proposers=["民盟浦东区委"],
        proposal_title="积极推动人工智能大模型产业参与全球竞争",
        agency=KEJING,
        date="2025-04-17",
        result="解决或采纳",
        disclosure="主动公开",
        contact_name="卿逸男",
        contact_phone="58788388-64516",
    ),
    "004": ReplyMetadata(
        doc_number="浦科经委办理〔2025〕48号",
        proposal_number="049",
        session=SESSION_7_4,
        addressee="浦东新区工商联",
        proposers=["浦东新区工商联"],
        proposal_title="关于浦东新区加速发展人工智能大模型的建议",
        agency=KEJING,
        date="2025-04-23",
        result=None,
        disclosure="主动公开",
        contact_name="卿逸男",
        contact_phone="58788388-64516",
    ),
}

FIELDS = tuple(ReplyMetadata.model_fields)

# A short reply in the seeds' shape, to vary one thing at a time.
REPLY = """办理结果：解决或采纳

公开属性：主动公开

上海市浦东新区科技和经济委员会

浦科经委办理（2025）61号

对浦东新区政协七届四次会议

第 057 号提案的答复

浦东新区工商联：

你们提出的《关于促进人工智能产业发展的建

议》提案（第 057 号）收悉，经研究，现将办理情况答复如下：

一、设立人工智能产业基金，支持企业发展。

再次感谢你们的宝贵建议。

上海市浦东新区科技和经济委员会

2025年5月7日

联系人姓名：卿逸男

联系电话：58788388-64516

上海市浦东新区科技和经济委员会办公室

2025-05-07 印发
"""


def _seed_text(seed_files: list[Path], prefix: str) -> str:
    (path,) = [p for p in seed_files if p.name.startswith(f"{prefix}_")]
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Seeds


@pytest.mark.parametrize("prefix", sorted(SEED_METADATA))
@pytest.mark.parametrize("field", FIELDS)
def test_metadata_seed_field(seed_files: list[Path], prefix: str, field: str) -> None:
    got = extract_metadata(_seed_text(seed_files, prefix))
    assert getattr(got, field) == getattr(SEED_METADATA[prefix], field)


def test_metadata_seeds_complete(seed_files: list[Path], repo_dir: Path) -> None:
    assert all(p.parent == repo_dir / "seeds" for p in seed_files)
    assert sorted(p.name[:3] for p in seed_files) == sorted(SEED_METADATA)
    for prefix, expected in SEED_METADATA.items():
        assert extract_metadata(_seed_text(seed_files, prefix)) == expected


def test_metadata_seed_crlf_same_as_lf(seed_files: list[Path]) -> None:
    for prefix, expected in SEED_METADATA.items():
        text = _seed_text(seed_files, prefix).replace("\n", "\r\n")
        assert extract_metadata(text) == expected


# ---------------------------------------------------------------------------
# Text that is not a reply


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n \r\n",
        "The committee received the proposal and replied on 21 April 2025. Phone: 555-0100.",
        "浦东新区将设立100亿元人工智能产业基金，支持算力基础设施建设和语料库建设，"
        "并依托《浦东新区人工智能赋能经济数字化转型高质量发展专项操作细则》给予补贴。",
        "2024年 10月，区委网信办在浦东模力社区成立了上海大模型合规指导服务中心。",
        "- 2 -\n\n— 6 —\n\n---\n\n## \n\n**",
    ],
    ids=["empty", "blank", "english", "policy-paragraph", "body-date", "only-noise"],
)
def test_metadata_no_header_all_none(text: str) -> None:
    assert extract_metadata(text) == ReplyMetadata()


def test_metadata_short_reply_every_field() -> None:
    assert extract_metadata(REPLY) == ReplyMetadata(
        doc_number="浦科经委办理〔2025〕61号",
        proposal_number="057",
        session=SESSION_7_4,
        addressee="浦东新区工商联",
        proposers=["浦东新区工商联"],
        proposal_title="关于促进人工智能产业发展的建议",
        agency=KEJING,
        date="2025-05-07",
        result="解决或采纳",
        disclosure="主动公开",
        contact_name="卿逸男",
        contact_phone="58788388-64516",
    )


def test_metadata_crlf_and_cr_line_endings() -> None:
    expected = extract_metadata(REPLY)
    assert extract_metadata(REPLY.replace("\n", "\r\n")) == expected
    assert extract_metadata(REPLY.replace("\n", "\r")) == expected


# ---------------------------------------------------------------------------
# Document number


@pytest.mark.parametrize(
    "line",
    [
        "浦科经委办理(2025)61号",
        "浦科经委办理（2025）61号",
        "浦科经委办理[2025]61号",
        "浦科经委办理〔2025〕61号",
        "浦科经委办理 ( 2025 ) 61 号",
        "浦科经委办理【2025】61号",
    ],
)
def test_metadata_doc_number_brackets_normalised(line: str) -> None:
    assert (
        extract_metadata(f"{line}\n\n浦东新区工商联：\n").doc_number == "浦科经委办理〔2025〕61号"
    )


def test_metadata_doc_number_internal_spaces_removed() -> None:
    assert extract_metadata("浦人社提复〔2024〕31 号\n").doc_number == "浦人社提复〔2024〕31号"


def test_metadata_doc_number_fullwidth_digits() -> None:
    assert (
        extract_metadata("浦科经委办理〔２０２５〕４７号").doc_number == "浦科经委办理〔2025〕47号"
    )


def test_metadata_doc_number_with_issuer() -> None:
    text = "浦科经委办理〔2025〕47号     签发人：张三\n"
    assert extract_metadata(text).doc_number == "浦科经委办理〔2025〕47号"


def test_metadata_doc_number_not_from_body_citation() -> None:
    text = (
        "修订并发布了《浦东新区人工智能专项操作细则》（浦科经委规〔2024〕2 号），\n"
        "在大模型应用等方面提供支持。"
    )
    assert extract_metadata(text).doc_number is None


# ---------------------------------------------------------------------------
# Title line: session and proposal number


def test_metadata_session_and_number_on_one_line() -> None:
    got = extract_metadata("对新区政协七届三次会议第033号提案的答复\n")
    assert (got.session, got.proposal_number) == ("新区政协七届三次会议", "033")


def test_metadata_session_with_markdown_heading() -> None:
    got = extract_metadata("### 对浦东新区政协七届四次会议 第044号提案的答复\n")
    assert (got.session, got.proposal_number) == (SESSION_7_4, "044")


def test_metadata_proposal_number_from_receipt_sentence() -> None:
    text = "浦东新区工商联：\n你们提出的《关于X的建议》提案（第 0057 号）收悉。"
    got = extract_metadata(text)
    assert (got.proposal_number, got.session) == ("0057", None)


# ---------------------------------------------------------------------------
# Addressee and proposers


def test_metadata_proposers_person_with_co_proposer() -> None:
    text = "吴佳桢委员：\n\n您和白雪委员提出的《关于X的建议》提案收悉。"
    got = extract_metadata(text)
    assert (got.addressee, got.proposers) == ("吴佳桢委员", ["吴佳桢", "白雪"])


def test_metadata_proposers_person_with_several_co_proposers() -> None:
    text = "张三委员：\n您与李四委员、王五委员提出的《关于X的建议》提案收悉。"
    assert extract_metadata(text).proposers == ["张三", "李四", "王五"]


def test_metadata_proposers_person_alone() -> None:
    text = "张三代表：\n您提出的《关于X的建议》收悉。"
    got = extract_metadata(text)
    assert (got.addressee, got.proposers) == ("张三代表", ["张三"])


def test_metadata_proposers_unnamed_co_proposers_not_invented() -> None:
    text = "张三委员：\n你们提出的《关于X的建议》提案收悉。"
    assert extract_metadata(text).proposers == ["张三"]


def test_metadata_proposers_organisation_is_addressee() -> None:
    text = "九三学社浦东区委：\n贵单位提出的《关于X的建议》的\n\n提案（第 033 号）收悉。"
    got = extract_metadata(text)
    assert (got.addressee, got.proposers) == ("九三学社浦东区委", ["九三学社浦东区委"])


def test_metadata_addressee_on_same_line_as_receipt() -> None:
    text = "民盟浦东区委：你们提出的关于《积极推动大模型产业参与全球竞争》的提案（第044号）收悉。"
    got = extract_metadata(text)
    assert got.addressee == "民盟浦东区委"
    assert got.proposal_title == "积极推动大模型产业参与全球竞争"


def test_metadata_addressee_not_a_field_label_or_wrap() -> None:
    text = "办理结果：\n\n联系人：\n\n现将办理情况答复\n\n如下：\n\n一、设立基金。"
    got = extract_metadata(text)
    assert (got.addressee, got.proposers) == (None, None)


# ---------------------------------------------------------------------------
# Proposal title


def test_metadata_title_wrapped_across_page_break() -> None:
    text = "您提出的《关于打造浦东新区成为人工智能技\n\n- 2 -\n\n术高地的建议》提案（第 195号）收悉"
    assert extract_metadata(text).proposal_title == "关于打造浦东新区成为人工智能技术高地的建议"


def test_metadata_title_needs_receipt_sentence() -> None:
    text = "依托《浦东新区人工智能专项操作细则》给予支持。"
    assert extract_metadata(text).proposal_title is None


def test_metadata_title_keeps_space_between_latin_words() -> None:
    text = "您提出的《关于支持 Open Source 大模型的建议》收悉"
    assert extract_metadata(text).proposal_title == "关于支持Open Source大模型的建议"


# ---------------------------------------------------------------------------
# Signature: agency and date


def test_metadata_date_is_signature_not_print_date() -> None:
    text = "浦东新区数据局\n\n2025年 4 月 21日\n\n浦东新区数据局办公室 2025 年 4 月 22 日印发\n"
    got = extract_metadata(text)
    assert (got.agency, got.date) == ("浦东新区数据局", "2025-04-21")


def test_metadata_date_print_line_only_is_none() -> None:
    got = extract_metadata("上海市浦东新区科技和经济委员会办公室       2025-04-21印发\n")
    assert (got.agency, got.date) == (None, None)


def test_metadata_date_chinese_numerals() -> None:
    got = extract_metadata("浦东新区商务委员会\n二〇二五年四月二十一日\n")
    assert (got.agency, got.date) == ("浦东新区商务委员会", "2025-04-21")


def test_metadata_date_agency_on_same_line() -> None:
    got = extract_metadata("浦东新区人力资源和社会保障局 2024 年 5 月 6 日\n")
    assert (got.agency, got.date) == ("浦东新区人力资源和社会保障局", "2024-05-06")


def test_metadata_date_invalid_is_none() -> None:
    assert extract_metadata("浦东新区数据局\n2025年13月40日\n").date is None


def test_metadata_agency_not_a_sentence() -> None:
    got = extract_metadata("再次感谢你们的宝贵建议，希望能继续得到支持。\n\n2025年4月17日\n")
    assert (got.agency, got.date) == (None, "2025-04-17")


# ---------------------------------------------------------------------------
# Labelled fields: result, disclosure, contact


def test_metadata_missing_labels_are_none() -> None:
    text = REPLY.replace("办理结果：解决或采纳", "").replace("公开属性：主动公开", "")
    text = text.replace("联系人姓名：卿逸男", "").replace("联系电话：58788388-64516", "")
    got = extract_metadata(text)
    assert (got.result, got.disclosure, got.contact_name, got.contact_phone) == (None,) * 4
    assert got.doc_number == "浦科经委办理〔2025〕61号"
    assert got.date == "2025-05-07"


def test_metadata_disclosure_drops_scope_qualifier() -> None:
    assert extract_metadata("公开属性：主动公开*全文\n").disclosure == "主动公开"


def test_metadata_disclosure_from_footer_label() -> None:
    assert extract_metadata("信息公开属性：依申请公开\n").disclosure == "依申请公开"


def test_metadata_empty_label_takes_nothing_from_next_line() -> None:
    got = extract_metadata("办理结果：\n\n公开属性：\n\n上海市浦东新区科技和经济委员会\n")
    assert (got.result, got.disclosure) == (None, None)


def test_metadata_contact_phone_on_next_line() -> None:
    got = extract_metadata("联系人：胡军 电话：\n\n58601037\n")
    assert (got.contact_name, got.contact_phone) == ("胡军", "58601037")


def test_metadata_contact_on_one_line() -> None:
    got = extract_metadata("联系人姓名：卿逸男           联系电话：58788388-64516\n")
    assert (got.contact_name, got.contact_phone) == ("卿逸男", "58788388-64516")


def test_metadata_contact_phone_not_from_body() -> None:
    text = "如有疑问，可拨打咨询\n\n电话：12345678。\n\n联系人：胡军\n\n联系电话：58601037\n"
    assert extract_metadata(text).contact_phone == "58601037"
