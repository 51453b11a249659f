"""The one prediction interface that every model implements.

The service, the CLI, evaluation and annotation call ``load_model`` and
``Predictor.predict`` and nothing else, so they never touch torch directly.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Protocol, runtime_checkable

from models.errors import ModelError
from models.registry import MANIFEST_FILE, read_manifest
from models.schema import Prediction
from policytag.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["MANIFEST_FILE", "Predictor", "load_model", "load_model_dir"]


@runtime_checkable
class Predictor(Protocol):
    """Texts in, one ``Prediction`` per text out, in order.

    Each text is classified as one segment; segmentation happens before.
    """

    name: str
    version: str

    def predict(self, texts: list[str]) -> list[Prediction]: ...


def load_model_dir(directory: Path, num_threads: int | None = None) -> Predictor:
    """Load a saved model directory by the type its manifest names.

    ``num_threads`` (``Settings.torch_threads``) bounds a BERT's torch or
    onnxruntime threads; None uses every core.
    """
    model_type = read_manifest(directory)["type"]
    if model_type == "tfidf":
        from models.tfidf import TfidfPredictor

        return TfidfPredictor.load(Path(directory))
    if model_type == "bert":
        from models.bert.engine import BertPredictor

        return BertPredictor.load(Path(directory), num_threads=num_threads)
    raise ModelError(f"{directory}: unknown model type {model_type!r} in its manifest")


def _train_on_the_fly(model_type: str, settings: Settings, exclude: Collection[str]) -> Predictor:
    """Build ``rules`` or ``tfidf`` from the gold, leaving out the test documents.

    When the test data is all the gold there is, ``rules`` runs with an empty
    gazetteer, and ``tfidf`` (which cannot learn from nothing) trains on all of it
    and says so in its version: ``…+in-sample``.
    """
    from models.gold import load_gold
    from models.training import train_model

    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    held_out = [ex for ex in gold if ex.document not in set(exclude)]
    if held_out or model_type == "rules":
        return train_model(model_type, held_out, settings.seed, settings)
    logger.warning("%s: the test data is all the gold; training on it (in-sample)", model_type)
    model = train_model(model_type, gold, settings.seed, settings)
    model.version = f"{model.version}+in-sample"
    return model


def load_model(
    name_or_dir: str, settings: Settings, exclude_documents: Collection[str] = ()
) -> Predictor:
    """Load a model by directory, store name or type.

    Resolution order: an existing directory; ``rules`` (built from the gold);
    ``current``, a stored version, or a model type (the store's current model of
    that type, else its newest); finally ``tfidf`` trained on the fly when none
    is stored. Models built on the fly leave out ``exclude_documents`` so that a
    model is never scored on its own training data.
    """
    from models.registry import ModelStore

    if Path(name_or_dir).is_dir():
        return load_model_dir(Path(name_or_dir), settings.torch_threads)
    if name_or_dir == "rules":
        return _train_on_the_fly("rules", settings, exclude_documents)
    stored = ModelStore(settings.store_dir).resolve(name_or_dir)
    if stored is not None:
        return load_model_dir(stored, settings.torch_threads)
    if name_or_dir == "tfidf":
        return _train_on_the_fly("tfidf", settings, exclude_documents)
    raise ModelError(
        f"no model {name_or_dir!r}: give rules, tfidf, bert, current, a stored version "
        f"(see `policytag models list`) or a model directory"
    )
