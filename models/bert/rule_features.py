"""What the ``rules`` baseline says about a text, as inputs for a hybrid joint BERT.

The rules are the plain ``RulesPredictor`` with no gazetteer of gold names, the
same at training and inference: a gazetteer built from the training gold would
make the feature perfect on training texts and teach the network to trust it more
than it deserves on new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.bert.encoding import Window, spans_to_tags
from models.bert.tags import IGNORE_INDEX, TAG_IDS
from models.schema import MEASURE_LABELS, Span

RULE_INPUT_NAMES = ("rule_scores", "rule_tags")


@dataclass(frozen=True)
class RuleView:
    """The rules' label scores (in ``MEASURE_LABELS`` order) and entity spans for one text."""

    scores: tuple[float, ...]
    spans: tuple[Span, ...]

    def window_tags(self, window: Window) -> list[int]:
        """The rules' BIO tag id per token of ``window``; ``O`` on special tokens."""
        outside = TAG_IDS["O"]
        return [
            outside if tag == IGNORE_INDEX else tag
            for tag in spans_to_tags(self.spans, window.offsets)
        ]


@lru_cache(maxsize=1)
def _rules():
    from models.rules import RulesPredictor

    return RulesPredictor()


def rule_views(texts: Sequence[str]) -> list[RuleView]:
    """One ``RuleView`` per text."""
    return [
        RuleView(
            scores=tuple(float(p.scores[label]) for label in MEASURE_LABELS),
            spans=tuple(p.entities),
        )
        for p in _rules().predict(list(texts))
    ]


def rule_inputs(
    views: Sequence[RuleView], windows: Sequence[Window], width: int
) -> dict[str, np.ndarray]:
    """The two extra model inputs for a batch of windows padded to ``width`` tokens.

    ``views[i]`` is the view of the text that ``windows[i]`` comes from.
    """
    scores = np.array([view.scores for view in views], dtype=np.float32)
    tags = np.full((len(windows), width), TAG_IDS["O"], dtype=np.int64)
    for row, (view, window) in enumerate(zip(views, windows, strict=True)):
        window_tags = view.window_tags(window)
        tags[row, : len(window_tags)] = window_tags
    return {"rule_scores": scores.reshape(len(views), len(MEASURE_LABELS)), "rule_tags": tags}
