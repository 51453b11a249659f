"""The ``rules`` baseline: labelling functions with a vote, plus entity patterns.

No training and no torch. It is the embedded fallback model and, through
``label_matrix``, a weak-supervision source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from models.rules import vote
from models.rules.entities import RULES_SPEC, Gazetteer, extract_entities
from models.rules.labelling import LABELLING_FUNCTIONS, LabellingFunction
from models.schema import Prediction


class RulesPredictor:
    """Implements the ``Predictor`` protocol with rules and an optional gazetteer.

    ``version`` is ``"rules-"`` plus a short hash of the labelling functions, the
    vote's constants, the entity patterns and the gazetteer, so any change to the
    rule set or the gazetteer gives a new version.
    """

    name = "rules"

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        *,
        functions: Sequence[LabellingFunction] = LABELLING_FUNCTIONS,
    ) -> None:
        self.gazetteer = gazetteer
        self.functions: tuple[LabellingFunction, ...] = tuple(functions)
        self.version = "rules-" + self._fingerprint()

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        for lf in self.functions:
            digest.update(lf.spec.encode("utf-8") + b"\0")
        digest.update(f"{vote.THRESHOLD}|{vote.OFFSET}|{vote.SLOPE}".encode())
        digest.update(RULES_SPEC.encode("utf-8"))
        digest.update(
            b"gazetteer:" + (self.gazetteer.digest if self.gazetteer else "none").encode()
        )
        return digest.hexdigest()[:10]

    @property
    def function_names(self) -> list[str]:
        """Column names of ``label_matrix``."""
        return [lf.name for lf in self.functions]

    def label_matrix(self, texts: Sequence[str]) -> list[list[int]]:
        """Per text, per labelling function: +1, -1 or 0 (abstain)."""
        return vote.label_matrix(texts, self.functions)

    def predict(self, texts: list[str]) -> list[Prediction]:
        predictions = []
        for text, votes in zip(texts, self.label_matrix(texts), strict=True):
            scores = vote.scores(votes, self.functions)
            predictions.append(
                Prediction(
                    labels=vote.decide(scores),
                    scores=scores,
                    entities=extract_entities(text, self.gazetteer),
                )
            )
        return predictions
