"""Does `policytag pretrain` help? BERT cross-validated from the pretrained base and from
the same network with random weights, on the same gold and folds.

    .venv/bin/python scripts/pretraining_ablation.py [--json OUT]

The random base copies the pretrained base's config and tokenizer and draws fresh
weights (seeded), so the only difference is what masked-LM pretraining learnt.
Every other fine-tuning setting is the product's (``POLICYTAG_BERT_*``). Writes
JSON and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch
from transformers import BertConfig, BertForMaskedLM

from models import atomic
from models.crossval import cross_validate
from models.gold import load_gold
from policytag.settings import get_settings


def random_copy(base: Path, target: Path, seed: int) -> Path:
    """``base``'s config and tokenizer files with freshly initialised weights."""
    torch.manual_seed(seed)
    BertForMaskedLM(BertConfig.from_pretrained(base)).save_pretrained(target)
    for path in base.iterdir():
        if path.is_file() and (path.name.startswith(("vocab", "tokenizer", "special_tokens"))):
            shutil.copy(path, target / path.name)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("annotation/pretraining_ablation.json"))
    args = parser.parse_args()
    settings = get_settings()
    base = settings.pretrained_base
    if not base.is_dir():
        parser.error(f"no pretrained base at {base}: run `policytag pretrain` first")
    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    rows = []
    with tempfile.TemporaryDirectory(prefix="policytag-random-base-") as tmp:
        bases = {
            "pretrained": base,
            "random init": random_copy(base, Path(tmp) / "base", settings.seed),
        }
        for name, path in bases.items():
            started = time.perf_counter()
            cv = cross_validate(
                gold,
                "bert",
                settings.model_copy(update={"base_model": str(path)}),
                progress=lambda message: print(message, flush=True),
            )
            pooled = cv.report.pooled
            rows.append(
                {
                    "base": name,
                    "folds": len(cv.fold_names),
                    "segments": pooled.n,
                    "micro_f1": round(pooled.labels.micro_f1, 4),
                    "macro_f1": round(pooled.labels.macro_f1, 4),
                    "entity_f1": round(pooled.entities.f1, 4),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    atomic.write_text(args.json, json.dumps(rows, indent=2) + "\n")
    print("\n| base | folds | segments | micro-F1 | macro-F1 | entity F1 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['base']} | {row['folds']} | {row['segments']} | {row['micro_f1']:.3f} "
            f"| {row['macro_f1']:.3f} | {row['entity_f1']:.3f} | {row['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
