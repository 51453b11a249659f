"""The HTML batch report: self-contained, escaped, every section present."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import lxml.html
import pytest

from models import html_report
from models.batch_stats import summarize
from models.html_report import render_html, write_html_report
from models.outputs import Results
from models.schema import Example
from tests.models.test_batch_stats import doc, seg

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def results() -> Results:
    text = "设立天使母基金，建设<script>算力平台。"
    segments = [
        seg("a", ["funding"], text, confidence=0.2, entities=(("FUND", "天使母基金"),)),
        seg("b", ["compute"], text, confidence=0.9, entities=(("PLATFORM", "算力平台"),)),
    ]
    documents = [
        doc("a", ["funding"], "上海市浦东新区科技和经济委员会", "2025-04-21"),
        doc("b", ["compute"], None, "2024-05-06"),
        doc("c", [], status="error").model_copy(update={"error": "c.pdf: the PDF has no text"}),
    ]
    return Results(segments, documents)


@pytest.fixture(scope="module")
def page(results) -> str:
    training = [Example(id="t", text="人才引进。", labels=["talent"])]
    stats = summarize(results, training)
    return render_html(stats, ["replies/"], ["replies/", "pool"], "rules", now=lambda: NOW)


def test_html_report_has_every_section(page):
    tree = lxml.html.document_fromstring(page)
    sections = [s.get("id") for s in tree.iter("section")]
    assert sections == [
        "summary",
        "measures",
        "agencies",
        "years",
        "entities",
        "review",
        "drift",
        "errors",
        "documents",
    ]
    assert "Generated 2025-06-01 12:00 UTC" in page and "<code>fake-1</code>" in page


def test_html_report_is_self_contained_with_svg_charts(page):
    tree = lxml.html.document_fromstring(page)
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert not tree.xpath("//script | //link")
    images = tree.xpath("//img")
    assert len(images) == 4  # labels, agencies, years, drift
    for image in images:
        prefix, data = image.get("src").split(",", 1)
        assert prefix == "data:image/svg+xml;base64"
        svg = base64.b64decode(data).decode("utf-8")
        assert "<svg" in svg and "<text" not in svg  # text drawn as paths: no font needed


def test_html_report_tables_hold_chinese_and_escape_text(page):
    assert "上海市浦东新区科技和经济委员会" in page and "语料/数据" in page
    assert "天使母基金" in page and "算力平台" in page
    assert "建设&lt;script&gt;算力平台" in page and "<script>" not in page


def test_html_report_review_hint_and_errors(page):
    tree = lxml.html.document_fromstring(page)
    [hint] = tree.xpath("//section[@id='review']//pre")
    assert hint.text_content().splitlines() == [
        "policytag annotate push --source replies/ --strategy uncertainty --n 1 --model rules",
        "policytag annotate push --source pool --strategy uncertainty --n 1 --model rules",
    ]
    assert tree.xpath("//section[@id='review']//button") == []
    [errors] = tree.xpath("//section[@id='errors']")
    assert "c.pdf: the PDF has no text" in errors.text_content()


def test_html_report_drift_section_compares_with_training(page):
    [drift] = lxml.html.document_fromstring(page).xpath("//section[@id='drift']")
    text = drift.text_content()
    assert "Compared with 1 training segments" in text
    assert "10 points or more: talent, compute, funding." in text
    assert "天使母基金" in text  # an entity name the training data does not have


def test_html_report_without_training_data_or_metadata(results):
    bare = Results(results.segments, [doc("a", ["funding"]), doc("b", ["compute"])])
    page = render_html(summarize(bare, None), ["x"], [], "rules", now=lambda: NOW)
    assert "No training data was found" in page
    assert page.count("No document has this field in its metadata.") == 2
    assert 'id="errors"' not in page


def test_html_report_caps_the_documents_table(results, monkeypatch, tmp_path):
    monkeypatch.setattr(html_report, "DOCUMENTS_MAX", 1)
    out = tmp_path / "report.html"
    write_html_report(out, summarize(results, None), ["x"], [], "rules")
    page = out.read_text(encoding="utf-8")
    assert "The first 1 of 2 documents" in page
