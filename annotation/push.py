"""``annotate push``: segment, score, pick the most useful segments, import them as tasks.

A segment is never imported twice: its text hash is checked against the project's
tasks, every finished round and the gold, and near-duplicates of those are skipped
by the sampler.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotation.client import AnnotationClient
from annotation.convert import prediction_to_result
from annotation.project import require_project
from annotation.rounds import round_hashes
from annotation.sampling import DocumentCap, Strategy, select, uncertainty
from annotation.sources import Candidate, load_candidates
from models.errors import PolicytagError
from models.gold import load_gold
from models.pool import text_sha256
from models.predict import Predictor, load_model
from models.schema import ENTITY_TYPES, MEASURE_LABELS, Prediction
from policytag.settings import Settings

Progress = Callable[[str], None]


@dataclass
class PushResult:
    project_id: int
    model_version: str
    strategy: Strategy
    candidates: int
    already_known: int
    imported: int
    segment_ids: list[str] = field(default_factory=list)


def _thresholds(predictor: Predictor) -> dict | None:
    thresholds = getattr(predictor, "thresholds", None)
    return dict(thresholds) if isinstance(thresholds, dict) else None


MAX_PER_DOCUMENT = 25  # across all rounds: gold should spread over many documents


def build_task(
    candidate: Candidate, prediction: Prediction, predictor: Predictor
) -> dict[str, Any]:
    """A task with its source metadata and the model's pre-annotation."""
    return {
        "data": candidate.task_data(),
        "predictions": [
            {
                "model_version": predictor.version,
                "score": uncertainty(prediction, _thresholds(predictor)).confidence,
                "result": prediction_to_result(prediction, candidate.text),
            }
        ],
    }


def push(
    client: AnnotationClient,
    settings: Settings,
    source: str = "pool",
    n: int = 50,
    strategy: Strategy = Strategy.uncertainty,
    model: str | None = None,
    predictor: Predictor | None = None,
    progress: Progress | None = None,
    max_per_doc: int | None = MAX_PER_DOCUMENT,
    targets: Sequence[str] = (),
) -> PushResult:
    say = progress or (lambda _: None)
    unknown = sorted(set(targets) - set(MEASURE_LABELS) - set(ENTITY_TYPES))
    if unknown:
        known = ", ".join([*MEASURE_LABELS, *ENTITY_TYPES])
        raise PolicytagError(f"unknown target(s) {', '.join(unknown)}; known: {known}")
    if strategy is Strategy.targeted and not targets:
        raise PolicytagError("--strategy targeted needs at least one --target")
    project = require_project(client, settings)
    candidates = load_candidates(source, settings)
    say(f"{len(candidates)} candidate segments from {source}")
    existing_tasks = client.tasks(project["id"])
    project_texts = [str(t["data"].get("text", "")) for t in existing_tasks]
    gold_texts = [
        ex.text for ex in load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    ]
    known_hashes = (
        {text_sha256(t) for t in project_texts}
        | {text_sha256(t) for t in gold_texts}
        | round_hashes(settings.rounds_dir)
    )
    fresh = [c for c in candidates if c.sha256 not in known_hashes]
    seen: set[str] = set()
    fresh = [c for c in fresh if not (c.sha256 in seen or seen.add(c.sha256))]
    if predictor is None:
        model = model or settings.model
        say(f"loading model {model}")
        predictor = load_model(model, settings)
    texts = [c.text for c in fresh]
    known_texts = [*gold_texts, *project_texts]
    already = Counter(str(t["data"].get("doc_id")) for t in existing_tasks)
    cap = DocumentCap([c.doc_id for c in fresh], max_per_doc, already)
    if strategy is Strategy.random:
        chosen = select(texts, n, strategy, known=known_texts, seed=settings.seed, cap=cap)
        predictions = predictor.predict([texts[i] for i in chosen])
    else:
        say(f"scoring {len(texts)} segments with {predictor.version}")
        scored = predictor.predict(texts)
        chosen = select(
            texts,
            n,
            strategy,
            predictions=scored,
            thresholds=_thresholds(predictor),
            known=known_texts,
            seed=settings.seed,
            cap=cap,
            targets=targets,
        )
        predictions = [scored[i] for i in chosen]
    tasks = [
        build_task(fresh[i], prediction, predictor)
        for i, prediction in zip(chosen, predictions, strict=True)
    ]
    imported = client.import_tasks(project["id"], tasks) if tasks else 0
    return PushResult(
        project_id=int(project["id"]),
        model_version=predictor.version,
        strategy=strategy,
        candidates=len(candidates),
        already_known=len(candidates) - len(fresh),
        imported=imported,
        segment_ids=[fresh[i].id for i in chosen],
    )
