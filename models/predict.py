"""The one prediction interface that every model implements.

The service, the CLI, evaluation and annotation call ``load_model`` and
``Predictor.predict`` and nothing else, so they never touch torch directly.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from models.schema import Prediction


@runtime_checkable
class Predictor(Protocol):
    """Texts in, one ``Prediction`` per text out, in order.

    Each text is classified as one segment; segmentation happens before.
    """

    name: str
    version: str

    def predict(self, texts: list[str]) -> list[Prediction]: ...
