"""Document tagging: segments, one predictor call, and the roll-up."""

from __future__ import annotations

from models.schema import MEASURE_LABELS, Prediction, Span
from models.tagging import tag_documents


class KeywordPredictor:
    """Fake model: funding when 基金 appears, with 基金 as a FUND span."""

    name = "fake"
    version = "fake-1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def predict(self, texts: list[str]) -> list[Prediction]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            hit = "基金" in text
            scores = {label: 0.0 for label in MEASURE_LABELS} | {"funding": 0.9 if hit else 0.1}
            entities = []
            if hit:
                start = text.index("基金") - 3
                entities = [
                    Span(start=start, end=start + 5, label="FUND", text=text[start : start + 5])
                ]
            out.append(
                Prediction(labels=["funding"] if hit else [], scores=scores, entities=entities)
            )
        return out


REPLY = "张三委员：\n一、设立天使母基金，支持初创企业。\n二、加强人才引进，提供住房保障。\n"


def test_tagging_one_predictor_call_for_all_documents():
    predictor = KeywordPredictor()
    documents = tag_documents([REPLY, "建设智算中心，提供算力券。"], predictor, ids=["a", "b"])
    assert len(predictor.calls) == 1
    assert [d.id for d in documents] == ["a", "b"]
    first = documents[0]
    assert [s.id for s in first.segments] == ["a#s01", "a#s02"]
    assert first.labels == ["funding"]
    assert first.label_scores["funding"] == 0.9
    [span] = first.segments[0].entities
    assert span.text == "天使母基金"
    assert REPLY[first.segments[0].start : first.segments[0].end] == first.segments[0].text


def test_tagging_without_split_is_one_segment_per_text():
    documents = tag_documents([REPLY], KeywordPredictor(), split=False, include_metadata=False)
    [segment] = documents[0].segments
    assert segment.text.startswith("张三委员：")
    assert documents[0].metadata is None


def test_tagging_empty_text_has_no_segments_and_no_labels():
    [document] = tag_documents(["   "], KeywordPredictor())
    assert document.segments == [] and document.labels == []
    assert set(document.label_scores.values()) == {0.0}


def test_tagging_metadata_from_reply_header():
    [document] = tag_documents([REPLY], KeywordPredictor())
    assert document.metadata is not None
    assert document.metadata.addressee == "张三委员"
