"""Training any model type from gold examples, behind one function.

Cross-validation, ``policytag eval`` and (later) ``policytag train`` call
``train_model`` and never a model type's own trainer directly.
"""

from __future__ import annotations

from collections.abc import Callable

from models.errors import ModelError
from models.predict import Predictor
from models.schema import Example


def _train_rules(examples: list[Example], seed: int) -> Predictor:
    from models.rules import Gazetteer, RulesPredictor

    return RulesPredictor(gazetteer=Gazetteer.from_examples(examples))


def _train_tfidf(examples: list[Example], seed: int) -> Predictor:
    from models.tfidf import train_tfidf

    return train_tfidf(examples, seed=seed)


TRAINERS: dict[str, Callable[[list[Example], int], Predictor]] = {
    "rules": _train_rules,
    "tfidf": _train_tfidf,
}


def train_model(model_type: str, examples: list[Example], seed: int = 13) -> Predictor:
    """A fresh model of ``model_type`` fitted on ``examples`` (rules: its gazetteer)."""
    if model_type not in TRAINERS:
        known = ", ".join(sorted(TRAINERS))
        raise ModelError(f"unknown model type {model_type!r}; known types: {known}")
    return TRAINERS[model_type](examples, seed)
