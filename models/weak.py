"""Weak labels: pool segments labelled by the ``rules``, an extra training signal for BERT.

They are marked (ids ``weak:<segment id>``), weigh less than gold in the loss
(``Settings.bert_weak_weight``) and never enter a dev, calibration or test set. They
come only from documents the training set may see, its own documents or pool documents
that have no gold at all, so a cross-validation fold never trains on the text of a
document it is tested on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from models.gold import load_gold
from models.schema import Example
from policytag.settings import Settings

WEAK_PREFIX = "weak:"


def weak_examples(train: Sequence[Example], settings: Settings, limit: int) -> list[Example]:
    """Up to ``limit`` rule-labelled pool segments (a seeded sample) for training on ``train``."""
    if limit <= 0 or not settings.pool_file.is_file():
        return []
    from annotation.sources import pool_candidates
    from models.rules import RulesPredictor

    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    gold_texts = {ex.text for ex in gold}
    gold_documents = {ex.document for ex in gold}
    allowed = {ex.document for ex in train}
    candidates = [
        c
        for c in pool_candidates(settings.pool_file)
        if c.text not in gold_texts and (c.doc_id in allowed or c.doc_id not in gold_documents)
    ]
    chosen = random.Random(settings.seed).sample(candidates, min(limit, len(candidates)))
    predictions = RulesPredictor().predict([c.text for c in chosen])
    return [
        Example(
            id=f"{WEAK_PREFIX}{c.id}",
            doc_id=c.doc_id,
            text=c.text,
            labels=p.labels,
            entities=p.entities,
        )
        for c, p in zip(chosen, predictions, strict=True)
    ]
