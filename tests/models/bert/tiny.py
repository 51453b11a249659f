"""Tiny BERTs built in the tests (no downloads): 32 hidden, 2 layers, the shipped vocabulary."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BertConfig, PreTrainedTokenizerFast

from models.bert.engine import save_model_dir
from models.bert.model import JointBertModel
from models.schema import MEASURE_LABELS

MAX_POSITIONS = 128


def tiny_config() -> BertConfig:
    """A BERT small enough to train for a few steps in a test."""
    return BertConfig(
        vocab_size=21128,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=MAX_POSITIONS,
    )


def tiny_model(seed: int = 0) -> JointBertModel:
    torch.manual_seed(seed)
    return JointBertModel(tiny_config()).eval()


def save_tiny(
    directory: Path,
    tokenizer: PreTrainedTokenizerFast,
    thresholds: dict | None = None,
    seed: int = 0,
    max_length: int = MAX_POSITIONS,
    stride: int = 32,
) -> Path:
    return save_model_dir(
        tiny_model(seed),
        tokenizer,
        {
            "version": "bert-test",
            "thresholds": thresholds or dict.fromkeys(MEASURE_LABELS, 0.5),
            "base_model": "tiny",
            "max_length": max_length,
            "stride": stride,
        },
        directory,
    )
