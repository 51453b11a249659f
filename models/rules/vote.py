"""Turning labelling-function votes into per-label scores.

Per label, the weighted votes add up to a margin ``m = Σ polarity × weight`` over
the LFs of that label that fired. The score squashes the margin into [0, 1]:
``score = 1 / (1 + exp(-SLOPE × (m - OFFSET)))``, so a label is predicted
(score ≥ ``THRESHOLD`` = 0.5) exactly when ``m ≥ OFFSET``: one strong keyword
(weight 1.0) is enough, a weak one (0.4) is not, and a negative rule (thanks,
restated proposal, mention in passing) cancels a keyword.

``label_matrix`` exposes the raw votes, one row per text and one column per LF,
for weak supervision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from models.rules.labelling import LABELLING_FUNCTIONS, LabellingFunction
from models.schema import MEASURE_LABELS, MeasureLabel

THRESHOLD = 0.5
OFFSET = 0.5
SLOPE = 2.0


def label_matrix(
    texts: Sequence[str], functions: Sequence[LabellingFunction] = LABELLING_FUNCTIONS
) -> list[list[int]]:
    """Per text, per function: +1 (for), -1 (against) or 0 (abstain)."""
    return [[lf(text) for lf in functions] for text in texts]


def margins(
    votes: Sequence[int], functions: Sequence[LabellingFunction] = LABELLING_FUNCTIONS
) -> dict[MeasureLabel, float]:
    """The weighted vote sum per label for one row of ``label_matrix``."""
    if len(votes) != len(functions):
        raise ValueError(f"{len(votes)} votes for {len(functions)} labelling functions")
    totals: dict[MeasureLabel, float] = dict.fromkeys(MEASURE_LABELS, 0.0)
    for vote, lf in zip(votes, functions, strict=True):
        totals[lf.label] += vote * lf.weight
    return totals


def squash(margin: float) -> float:
    """Map a margin to a score in [0, 1]; ``squash(OFFSET) == 0.5``."""
    return 1.0 / (1.0 + math.exp(-SLOPE * (margin - OFFSET)))


def scores(
    votes: Sequence[int], functions: Sequence[LabellingFunction] = LABELLING_FUNCTIONS
) -> dict[MeasureLabel, float]:
    """Per-label scores in [0, 1] for one row of ``label_matrix``."""
    return {label: squash(m) for label, m in margins(votes, functions).items()}


def decide(label_scores: dict[MeasureLabel, float]) -> list[MeasureLabel]:
    """The predicted labels, in ``MEASURE_LABELS`` order."""
    return [label for label in MEASURE_LABELS if label_scores[label] >= THRESHOLD]
