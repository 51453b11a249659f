"""Characters ↔ tokens: offsets, BIO round trips, windows and stitching."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.bert.encoding import encode, encode_many, spans_to_tags, stitch, tags_to_spans
from models.bert.tags import IGNORE_INDEX, TAG_IDS, TAGS
from models.schema import Span, check_spans

FILLER = "我们持续推动人工智能产业发展，"  # no character of the names used below


def _pieces(text: str, tokenizer) -> list[str]:
    [window] = encode(text, tokenizer, max_length=128, stride=32)
    return [text[start:end] for start, end in window.offsets if start != end]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (
            "全球引才伙伴计划（GTP）",
            ["全", "球", "引", "才", "伙", "伴", "计", "划", "（", "GT", "P", "）"],
        ),
        ("100万元", ["100", "万", "元"]),
        ("Med-Go", ["Me", "d", "-", "Go"]),
    ],
)
def test_encoding_offsets_follow_word_pieces(tokenizer, text, pieces):
    assert _pieces(text, tokenizer) == pieces


def test_encoding_special_tokens_have_empty_offsets_and_ignored_tags(tokenizer):
    [window] = encode("明珠计划", tokenizer, max_length=16, stride=4)
    assert window.input_ids[0] == tokenizer.cls_token_id
    assert window.input_ids[-1] == tokenizer.sep_token_id
    tags = spans_to_tags([Span(start=0, end=4, label="PROGRAM", text="明珠计划")], window.offsets)
    assert tags == [
        IGNORE_INDEX,
        TAG_IDS["B-PROGRAM"],
        *[TAG_IDS["I-PROGRAM"]] * 3,
        IGNORE_INDEX,
    ]


def test_encoding_empty_and_whitespace_texts_have_no_windows(tokenizer):
    assert encode_many(["", "  \n\t"], tokenizer) == [[], []]


def test_encoding_spans_round_trip_on_gold(tokenizer, gold):
    """Every gold span survives text → BIO → text, except where a boundary splits a piece."""
    total = lost = inside_piece = 0
    for example in gold:
        [window] = encode(example.text, tokenizer, max_length=1024, stride=64)
        tags = spans_to_tags(example.entities, window.offsets)
        spans = tags_to_spans(example.text, window.offsets, tags, [1.0] * len(tags))
        check_spans(example.text, spans)
        decoded = {span.key for span in spans}
        for span in example.entities:
            total += 1
            splits = any(
                start < edge < end for start, end in window.offsets for edge in span.key[:2]
            )
            inside_piece += splits
            if span.key not in decoded:
                lost += 1
                assert splits, f"{example.id}: {span.text!r} lost without a split word piece"
    assert total > 90
    assert lost <= inside_piece <= 0.02 * total


def test_encoding_tags_to_spans_repairs_and_trims(tokenizer):
    text = "设立 引领区基金 和明珠计划"
    [window] = encode(text, tokenizer, max_length=64, stride=8)
    tags = [TAG_IDS["O"]] * len(window.offsets)
    probs = [0.5] * len(window.offsets)
    for i, (start, _) in enumerate(window.offsets):
        if 3 <= start < 8:  # 引领区基金 as I- only: the decoder opens the span itself
            tags[i], probs[i] = TAG_IDS["I-FUND"], 0.8
        if 10 <= start < 14:  # 明珠计划 with a type switch in the middle
            tags[i] = TAG_IDS["B-PROGRAM"] if start == 10 else TAG_IDS["I-PROGRAM"]
            if start >= 12:
                tags[i] = TAG_IDS["I-EVENT"]
    spans = tags_to_spans(text, window.offsets, tags, probs)
    assert [(s.text, s.label) for s in spans] == [
        ("引领区基金", "FUND"),
        ("明珠", "PROGRAM"),
        ("计划", "EVENT"),
    ]
    assert spans[0].score == pytest.approx(0.8)
    check_spans(text, spans)
    # offsets that reach over whitespace (another tokenizer might) are trimmed to the name
    spaced = tags_to_spans(" 明珠 ", [(0, 0), (0, 2), (2, 4), (0, 0)], [0, 1, 2, 0], [1, 1, 1, 1])
    assert [(s.start, s.end, s.text) for s in spaced] == [(1, 3, "明珠")]


def test_encoding_spans_cover_latin_pieces_and_keep_original_case(tokenizer):
    text = "实施全球引才伙伴计划（GTP）人工智能专项"
    gold = [
        Span(start=2, end=10, label="PROGRAM", text="全球引才伙伴计划"),
        Span(start=11, end=14, label="PROGRAM", text="GTP"),
    ]
    [window] = encode(text, tokenizer, max_length=64, stride=8)
    tags = spans_to_tags(gold, window.offsets)
    assert tags_to_spans(text, window.offsets, tags, [1.0] * len(tags)) == [
        span.model_copy(update={"score": 1.0}) for span in gold
    ]


def test_encoding_windows_cover_a_long_text(tokenizer):
    text = FILLER * 200  # 3,000 characters
    assert len(text) == 3000
    windows = encode(text, tokenizer, max_length=128, stride=32)
    assert len(windows) > 1
    assert all(len(w) <= 128 for w in windows)
    covered = {o for w in windows for o in w.offsets[1:-1]}
    assert {start for start, _ in covered} == set(range(3000))
    for before, after in itertools.pairwise(windows):
        overlap = before.first_token + before.n_content - after.first_token
        assert overlap >= 32


def _one_hot(tags: list[int]) -> np.ndarray:
    logits = np.full((len(tags), len(TAGS)), -5.0, dtype=np.float32)
    for i, tag in enumerate(tags):
        logits[i, max(tag, 0)] = 5.0
    return logits


def test_encoding_stitch_recovers_a_span_near_the_end_of_a_long_text(tokenizer):
    text = FILLER * 199 + "设立引领区基金。" + FILLER[:7]
    name = text.index("引领区基金")
    gold = [Span(start=name, end=name + 5, label="FUND", text="引领区基金")]
    windows = encode(text, tokenizer, max_length=128, stride=32)
    assert len(text) == 3000 and len(windows) > 20
    tag_logits = [_one_hot(spans_to_tags(gold, w.offsets)) for w in windows]
    label_logits = [np.zeros(6) for _ in windows]
    label_logits[-1] = np.array([0, 0, 0, 3.0, 0, 0])
    merged = stitch(windows, label_logits, tag_logits)
    assert len(merged.offsets) == merged.tag_logits.shape[0]
    assert merged.label_logits.tolist() == [0, 0, 0, 3.0, 0, 0]  # max over windows
    ids = merged.tag_logits.argmax(axis=1)
    spans = tags_to_spans(text, merged.offsets, ids, np.ones(len(ids)))
    assert [span.key for span in spans] == [gold[0].key]


def test_encoding_stitch_prefers_the_window_where_a_token_is_central(tokenizer):
    windows = encode(FILLER * 20, tokenizer, max_length=32, stride=10)
    first, second = windows[0], windows[1]
    shared = range(second.first_token, first.first_token + first.n_content)
    # window 0 says tag 1 everywhere, window 1 says tag 2: each token takes its central window
    tag_logits = [_one_hot([k % 2 + 1] * len(w)) for k, w in enumerate(windows)]
    merged = stitch(windows, [np.zeros(6)] * len(windows), tag_logits)
    for token in shared:
        from_first = token - first.first_token
        from_second = token - second.first_token
        edge_first = min(from_first, first.n_content - 1 - from_first)
        edge_second = min(from_second, second.n_content - 1 - from_second)
        expected = 1 if edge_first >= edge_second else 2
        assert merged.tag_logits[token].argmax() == expected
    assert {merged.tag_logits[t].argmax() for t in shared} == {1, 2}
