"""The ``rules`` baseline: composable labelling functions, a vote and entity patterns."""

from models.rules.entities import Gazetteer, extract_entities
from models.rules.labelling import (
    ABSTAIN,
    AGAINST,
    FOR,
    LABELLING_FUNCTIONS,
    LabellingFunction,
)
from models.rules.predictor import RulesPredictor
from models.rules.vote import label_matrix

__all__ = [
    "ABSTAIN",
    "AGAINST",
    "FOR",
    "LABELLING_FUNCTIONS",
    "Gazetteer",
    "LabellingFunction",
    "RulesPredictor",
    "extract_entities",
    "label_matrix",
]
