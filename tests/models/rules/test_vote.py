"""The vote: per-label scores from labelling-function votes, and the label matrix."""

from __future__ import annotations

import re

import pytest

from models.rules import AGAINST, LABELLING_FUNCTIONS, LabellingFunction, label_matrix, vote
from models.schema import MEASURE_LABELS

TOY = (
    LabellingFunction("talent:kw", "talent", re.compile("人才"), weight=1.0),
    LabellingFunction("talent:weak", "talent", re.compile("培训"), weight=0.4),
    LabellingFunction("talent:thanks", "talent", re.compile("感谢"), 2.0, AGAINST),
    LabellingFunction("funding:kw", "funding", re.compile("补贴"), weight=1.0),
)


def test_vote_label_matrix_has_one_row_per_text_and_one_column_per_function():
    texts = ["引进人才", "感谢关心", ""]
    matrix = label_matrix(texts, TOY)
    assert matrix == [[1, 0, 0, 0], [0, 0, -1, 0], [0, 0, 0, 0]]


def test_vote_label_matrix_default_set_only_holds_votes():
    matrix = label_matrix(["为人才提供算力补贴。", "感谢支持。"])
    assert all(len(row) == len(LABELLING_FUNCTIONS) for row in matrix)
    assert {v for row in matrix for v in row} <= {-1, 0, 1}


def test_vote_scores_cover_every_label_in_unit_interval():
    scores = vote.scores([1, 1, 0, 0], TOY)
    assert set(scores) == set(MEASURE_LABELS)
    assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_vote_strong_keyword_alone_passes_and_weak_alone_does_not():
    assert vote.decide(vote.scores([1, 0, 0, 0], TOY)) == ["talent"]
    assert vote.decide(vote.scores([0, 1, 0, 0], TOY)) == []


def test_vote_negative_function_cancels_a_keyword():
    assert vote.decide(vote.scores([1, 1, -1, 1], TOY)) == ["funding"]


def test_vote_squash_is_half_at_the_offset_and_monotonic():
    assert vote.squash(vote.OFFSET) == pytest.approx(0.5)
    assert vote.squash(-1.0) < vote.squash(0.0) < vote.squash(1.0) < vote.squash(3.0)


def test_vote_decide_keeps_label_order():
    scores = dict.fromkeys(MEASURE_LABELS, 0.9)
    assert vote.decide(scores) == list(MEASURE_LABELS)


def test_vote_margins_refuse_a_row_of_the_wrong_length():
    with pytest.raises(ValueError):
        vote.margins([1, 0], TOY)
