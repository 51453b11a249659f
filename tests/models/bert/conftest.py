"""Fixtures for the bert tests: the shipped tokenizer, the gold, tiny saved models."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertForMaskedLM, PreTrainedTokenizerFast

from models.bert.tokenizer import load_tokenizer
from models.examples import load_examples
from models.schema import Example
from tests.models.bert.tiny import save_tiny, tiny_config

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def tokenizer() -> PreTrainedTokenizerFast:
    return load_tokenizer()


@pytest.fixture(scope="session")
def gold() -> list[Example]:
    return load_examples(REPO / "seeds" / "gold.jsonl")


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pretrained-style checkpoint: a tiny ``BertForMaskedLM``, weights only."""
    directory = tmp_path_factory.mktemp("tiny-base")
    torch.manual_seed(0)
    BertForMaskedLM(tiny_config()).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer) -> Path:
    """A saved, never-trained joint model: random but deterministic predictions."""
    return save_tiny(tmp_path_factory.mktemp("tiny") / "model", tokenizer)
