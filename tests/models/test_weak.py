"""Weak labels: rule-labelled pool segments, marked, sampled only from allowed documents."""

from __future__ import annotations

import pytest

from models.gold import load_gold
from models.rules import RulesPredictor
from models.weak import WEAK_PREFIX, weak_examples
from policytag.settings import Settings


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings()
    if not settings.pool_file.is_file():
        pytest.skip(f"the pool is not at {settings.pool_file}")
    return settings


def test_weak_examples_come_from_documents_the_training_set_may_see(settings):
    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    pool_documents = sorted({ex.document for ex in gold if ex.document.startswith("pool-")})
    train = [ex for ex in gold if ex.document in set(pool_documents[:10])]
    weak = weak_examples(train, settings, 25)
    assert 0 < len(weak) <= 25
    assert all(ex.id.startswith(WEAK_PREFIX) for ex in weak)
    gold_texts = {ex.text for ex in gold}
    gold_documents = {ex.document for ex in gold}
    allowed = {ex.document for ex in train}
    assert not any(ex.text in gold_texts for ex in weak)
    assert all(ex.document in allowed or ex.document not in gold_documents for ex in weak)
    rules = RulesPredictor().predict([ex.text for ex in weak])
    assert [ex.labels for ex in weak] == [p.labels for p in rules]
    assert weak == weak_examples(train, settings, 25)  # seeded


def test_weak_examples_off_by_default(settings):
    assert settings.bert_weak_examples == 0
    assert weak_examples([], settings, 0) == []
