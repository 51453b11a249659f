"""Learning curve: quality against gold size, per model type, on fixed test folds.

The test data never changes across stages: the pool gold (every annotation round)
is split into document folds once. At each stage a model is trained on the seeds
plus the rounds annotated so far, minus the test fold's documents, and scored on
that fold; folds are pooled. The "seeds" stage is therefore the honest estimate of
a model trained on Pudong's five replies alone, judged on everyone else's text.

    .venv/bin/python scripts/learning_curve.py [--models rules tfidf bert] [--json OUT]
        [--stages seeds +round-002 ...] [--append]

bert trains with the product's settings (``POLICYTAG_BERT_*``), one model per fold
and stage, so it is the slow one: ``--stages`` picks some stages and ``--append``
adds the rows to an existing JSON instead of replacing it.

Writes JSON and prints a markdown table (paste it into annotation/ROUNDS.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from annotation.rounds import load_round
from models import atomic
from models.crossval import folds_by_document
from models.evaluate import evaluate_folds
from models.examples import load_examples
from models.gold import gold_files
from models.training import train_model
from policytag.settings import get_settings

N_FOLDS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["rules", "tfidf"])
    parser.add_argument("--json", type=Path, default=Path("annotation/learning_curve.json"))
    parser.add_argument("--stages", nargs="+", help="Only these stages (default: all).")
    parser.add_argument("--append", action="store_true", help="Keep the JSON's other rows.")
    args = parser.parse_args()
    settings = get_settings()
    seeds = load_examples(settings.gold_file)
    rounds = [
        (path.stem, load_round(path, settings.pool_file))
        for path in gold_files(settings.seeds_dir, settings.rounds_dir)[1:]
    ]
    pool_gold = [ex for _, examples in rounds for ex in examples]
    folds = list(folds_by_document(pool_gold, N_FOLDS).values())
    stages = [("seeds", seeds)]
    for name, examples in rounds:
        stages.append((f"+{name}", stages[-1][1] + examples))
    if args.stages:
        unknown = set(args.stages) - {name for name, _ in stages}
        if unknown:
            parser.error(f"unknown stage(s) {sorted(unknown)}; known: {[n for n, _ in stages]}")
        stages = [(name, examples) for name, examples in stages if name in args.stages]
    results = []
    if args.append and args.json.is_file():
        results = json.loads(args.json.read_text(encoding="utf-8"))
    for model_type in args.models:
        for stage, available in stages:
            started = time.perf_counter()
            pairs = []
            for test in folds:
                held_out = {ex.document for ex in test}
                train = [ex for ex in available if ex.document not in held_out]
                model = train_model(model_type, train, settings.seed, settings)
                predictions = model.predict([ex.text for ex in test])
                pairs.append(
                    (
                        test,
                        [
                            p.as_example(ex.id, ex.text)
                            for p, ex in zip(predictions, test, strict=True)
                        ],
                    )
                )
            report = evaluate_folds(pairs, f"{model_type}@{stage}").pooled
            row = {
                "model": model_type,
                "stage": stage,
                "train_segments": len(available),
                "test_segments": report.n,
                "micro_f1": round(report.labels.micro_f1, 4),
                "macro_f1": round(report.labels.macro_f1, 4),
                "entity_f1": round(report.entities.f1, 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
            results = [r for r in results if (r["model"], r["stage"]) != (model_type, stage)] + [
                row
            ]
            print(json.dumps(row, ensure_ascii=False), flush=True)
    order = {"rules": 0, "tfidf": 1, "bert": 2}
    results.sort(key=lambda r: (order.get(r["model"], 9), r["model"], r["train_segments"]))
    atomic.write_text(args.json, json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print("\n| model | trained on | train segments | micro-F1 | macro-F1 | entity F1 |")
    print("|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['model']} | {row['stage']} | {row['train_segments']} | {row['micro_f1']:.3f} "
            f"| {row['macro_f1']:.3f} | {row['entity_f1']:.3f} |"
        )


if __name__ == "__main__":
    main()
