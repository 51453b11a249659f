"""What both benchmarks share: which model to measure, the pool, the machine."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from models.bert.engine import save_model_dir
from models.bert.model import JointBertModel
from models.bert.tokenizer import load_tokenizer
from models.registry import ModelStore
from models.schema import MEASURE_LABELS
from policytag.settings import get_settings


def generate_model(directory: Path) -> Path:
    """A compact joint BERT with random weights, the size `policytag pretrain` builds."""
    from transformers import BertConfig

    tokenizer = load_tokenizer()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=1024,
        max_position_embeddings=512,
    )
    return save_model_dir(
        JointBertModel(config).eval(),
        tokenizer,
        {
            "version": "bert-generated-random",
            "thresholds": dict.fromkeys(MEASURE_LABELS, 0.5),
            "base_model": "random (4 layers, hidden 256)",
            "max_length": 256,
            "stride": 64,
        },
        directory,
    )


def resolve_model(requested: Path | None, scratch: Path) -> tuple[Path, str]:
    """The model to measure and where it came from: given, the store's bert, or generated."""
    if requested is not None:
        return requested, "given"
    stored = ModelStore(get_settings().store_dir).resolve("bert")
    if stored is not None:
        return stored, "store"
    return generate_model(scratch / "generated"), "generated"


def read_pool(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def environment(threads: int | None) -> dict[str, Any]:
    """The machine and library versions, for the JSON's ``env`` block."""
    import onnxruntime
    import transformers

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
