"""Train, measure, store and promote: the one path every retrain takes.

``policytag train``, the service's ``/admin/train``, the Label Studio webhook and
``policytag annotate cycle`` all call :func:`train_and_register`, so every stored
model carries cross-validated figures and a model card, and promotion is always
gated the same way.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from models import atomic
from models.crossval import cross_validate
from models.errors import ModelError
from models.evaluate import Report, data_hash
from models.gold import gold_files, load_gold
from models.registry import MANIFEST_FILE, ModelStore, read_manifest
from models.report import render_markdown
from models.schema import Example, MeasureLabel
from models.training import fit_bert
from policytag.settings import Settings

STORABLE_TYPES = ("tfidf", "bert")
MODEL_CARD = "MODEL_CARD.md"
Progress = Callable[[str], None]


@dataclass
class TrainOutcome:
    version: str
    model_type: str
    report: Report
    promoted: bool
    refused: str | None
    seconds: float


def figures(report: Report) -> dict[str, float]:
    """The headline figures stored in a manifest and compared on promotion."""
    return {
        "micro_f1": report.labels.micro_f1,
        "macro_f1": report.labels.macro_f1,
        "entity_f1": report.entities.f1,
        "n": report.n,
    }


def _fit_and_save(
    model_type: str,
    examples: list[Example],
    settings: Settings,
    out_dir: Path,
    thresholds: dict[MeasureLabel, float] | None,
    span_threshold: float | None,
) -> None:
    if model_type == "tfidf":
        from models.tfidf import train_tfidf

        train_tfidf(examples, seed=settings.seed).save(out_dir)
    elif model_type == "bert":
        fit_bert(examples, settings.seed, settings, out_dir)
        manifest = read_manifest(out_dir)
        manifest.update(
            thresholds=thresholds,
            span_threshold=span_threshold or 0.0,
            calibrated="cross-validated out-of-fold scores",
        )
        atomic.write_text(
            out_dir / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2)
        )
    else:
        known = ", ".join(STORABLE_TYPES)
        raise ModelError(f"cannot store a {model_type!r} model; storable types: {known}")


def _complete_manifest(
    out_dir: Path,
    report: Report,
    examples: list[Example],
    settings: Settings,
    seconds: float,
    store: ModelStore,
) -> dict:
    manifest = json.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["version"] = store.free_version(manifest["version"])
    manifest.setdefault("created", datetime.now(UTC).isoformat(timespec="seconds"))
    manifest["training"] = {
        "examples": len(examples),
        "documents": len({ex.document for ex in examples}),
        "data_hash": data_hash(examples),
        "files": [str(p) for p in gold_files(settings.seeds_dir, settings.rounds_dir)],
        "rounds": [p.name for p in gold_files(settings.seeds_dir, settings.rounds_dir)][1:],
        "seconds": round(seconds, 1),
        "seed": settings.seed,
    }
    manifest["eval"] = {"cv": "leave-one-document-out", **figures(report)}
    atomic.write_text(out_dir / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2))
    card = render_markdown({manifest["version"]: report}, f"Model card: {manifest['version']}")
    atomic.write_text(out_dir / MODEL_CARD, card)
    return manifest


def train_and_register(
    model_type: str,
    settings: Settings,
    promote: bool = True,
    force: bool = False,
    progress: Progress | None = None,
) -> TrainOutcome:
    """Train ``model_type`` on all gold, cross-validate it, store it, maybe promote it."""
    say = progress or (lambda message: None)
    started = datetime.now(UTC)
    examples = load_gold(settings.seeds_dir, settings.rounds_dir)
    say(f"{len(examples)} gold segments from {len({ex.document for ex in examples})} documents")
    cv = cross_validate(examples, model_type, settings, say)
    report, thresholds = cv.report.pooled, cv.thresholds
    store = ModelStore(settings.store_dir)
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".build-") as build:
        out_dir = Path(build) / "model"
        say(f"{model_type}: training on all {len(examples)} segments")
        _fit_and_save(model_type, examples, settings, out_dir, thresholds, cv.span_threshold)
        seconds = (datetime.now(UTC) - started).total_seconds()
        manifest = _complete_manifest(out_dir, report, examples, settings, seconds, store)
        version = store.add(out_dir)
    refused = None
    promoted = False
    if promote:
        try:
            store.promote(version, force=force)
            promoted = True
        except ModelError as exc:
            refused = str(exc)
    say(f"stored {version}" + (" and promoted it" if promoted else ""))
    return TrainOutcome(version, manifest["type"], report, promoted, refused, seconds)
