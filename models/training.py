"""Training any model type from gold examples, behind one function.

Cross-validation, ``policytag eval`` and (later) ``policytag train`` call
``train_model`` and never a model type's own trainer directly.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from models.errors import ModelError
from models.predict import Predictor
from models.schema import Example
from policytag.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def _train_rules(examples: list[Example], seed: int, settings: Settings) -> Predictor:
    from models.rules import Gazetteer, RulesPredictor

    return RulesPredictor(gazetteer=Gazetteer.from_examples(examples))


def _train_tfidf(examples: list[Example], seed: int, settings: Settings) -> Predictor:
    from models.tfidf import train_tfidf

    return train_tfidf(examples, seed=seed)


class _BertProgress:
    """A progress bar over one fine-tuning run's steps, and a log line per epoch."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None

    def __call__(self, update) -> None:
        from tqdm.auto import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=update.steps * update.epochs, desc=f"bert {self.label}", unit="step"
            )
        self.bar.update(1)
        self.bar.set_postfix(epoch=f"{update.epoch}/{update.epochs}", loss=f"{update.loss:.3f}")
        if update.step == update.steps:
            logger.info(
                "bert %s: epoch %d/%d, loss %.4f",
                self.label,
                update.epoch,
                update.epochs,
                update.loss,
            )
            if update.epoch == update.epochs:
                self.bar.close()
                self.bar = None


def fit_bert(examples: list[Example], seed: int, settings: Settings, out_dir: Path) -> None:
    """Fine-tune the configured base for a fixed number of epochs into ``out_dir``.

    No dev split and no calibration here: cross-validation folds are too small for
    either, and the pipeline tunes thresholds on the pooled out-of-fold scores.
    """
    from models.bert.train import fine_tune
    from models.weak import weak_examples

    base = settings.resolved_base_model
    weak = weak_examples(examples, settings, settings.bert_weak_examples)
    fine_tune(
        examples,
        base,
        out_dir,
        epochs=settings.bert_epochs,
        batch_size=settings.bert_batch_size,
        lr=settings.bert_learning_rate,
        head_lr=settings.bert_head_learning_rate,
        max_length=settings.bert_max_length,
        stride=settings.bert_max_length // 4,
        rule_features=settings.bert_rule_features,
        entity_tag_weight=settings.bert_entity_tag_weight,
        freeze_layers=settings.bert_freeze_layers,
        weak_examples=weak,
        weak_weight=settings.bert_weak_weight,
        seed=seed,
        calibrate=False,
        dev_fraction=0.0,
        patience=None,
        local_files_only=Path(base).is_dir(),
        progress=_BertProgress(f"{len(examples)} segments"),
    )


def _train_bert(examples: list[Example], seed: int, settings: Settings) -> Predictor:
    from models.bert.engine import BertPredictor

    with tempfile.TemporaryDirectory(prefix="policytag-bert-") as tmp:
        fit_bert(examples, seed, settings, Path(tmp) / "model")
        return BertPredictor.load(Path(tmp) / "model", num_threads=settings.torch_threads)


TRAINERS: dict[str, Callable[[list[Example], int, Settings], Predictor]] = {
    "rules": _train_rules,
    "tfidf": _train_tfidf,
    "bert": _train_bert,
}


def train_model(
    model_type: str, examples: list[Example], seed: int = 13, settings: Settings | None = None
) -> Predictor:
    """A fresh model of ``model_type`` fitted on ``examples`` (rules: its gazetteer)."""
    if model_type not in TRAINERS:
        known = ", ".join(sorted(TRAINERS))
        raise ModelError(f"unknown model type {model_type!r}; known types: {known}")
    return TRAINERS[model_type](examples, seed, settings or get_settings())
