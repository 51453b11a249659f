"""``annotate report``: what each round says about the model and the annotators.

Per round, from its manifest and its gold (every figure from ``models/evaluate.py``):

* **pre-annotation vs final gold** — how often annotators changed what the model
  proposed (the share of tasks whose label set or strict entity set changed), per-label
  agreement (Cohen's kappa and F1 of the pre-annotation scored as a prediction) and
  entity F1 of the pre-annotation against the gold;
* **inter-annotator agreement**, on tasks that two annotators labelled: per-label
  Cohen's kappa and entity F1 of one annotator against the other (the two with the
  lowest annotator ids when there are more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from annotation.rounds import StandoffSpan, TaskReview, completed_rounds, load_round
from models.evaluate import Report, errors, evaluate, label_kappa, score_entities, score_labels
from models.schema import Example, MeasureLabel, Span


@dataclass
class Agreement:
    n: int
    kappa: dict[MeasureLabel, float | None]
    label_f1: dict[MeasureLabel, float]
    micro_f1: float
    entity_f1: float


@dataclass
class RoundMetrics:
    round: int
    file: str
    records: int
    invalid: int
    annotators: int
    model_versions: list[str]
    pre_annotated: int
    changed: int
    versus_gold: Report | None
    kappa_versus_gold: dict[MeasureLabel, float | None]
    inter_annotator: Agreement | None

    @property
    def changed_rate(self) -> float:
        return self.changed / self.pre_annotated if self.pre_annotated else 0.0


def _spans(text: str, spans: list[StandoffSpan]) -> list[Span]:
    return [
        Span(start=s.start, end=s.end, label=s.label, text=text[s.start : s.end]) for s in spans
    ]


def _as_example(gold: Example, labels: list[MeasureLabel], spans: list[StandoffSpan]) -> Example:
    return Example(id=gold.id, text=gold.text, labels=labels, entities=_spans(gold.text, spans))


def _inter_annotator(reviews: list[TaskReview], gold: dict[str, Example]) -> Agreement | None:
    first: list[Example] = []
    second: list[Example] = []
    for review in reviews:
        by_annotator = {}
        for annotation in review.annotations:
            by_annotator.setdefault(str(annotation.annotator), annotation)
        if len(by_annotator) < 2 or review.id not in gold:
            continue
        a, b = (by_annotator[k] for k in sorted(by_annotator)[:2])
        first.append(_as_example(gold[review.id], a.labels, a.entities))
        second.append(_as_example(gold[review.id], b.labels, b.entities))
    if not first:
        return None
    labels = score_labels(first, second)
    return Agreement(
        n=len(first),
        kappa=label_kappa(first, second),
        label_f1={label: score.f1 for label, score in labels.per_label.items()},
        micro_f1=labels.micro_f1,
        entity_f1=score_entities(first, second).f1,
    )


def round_metrics(rounds_dir: Path, pool_file: Path | Callable[[], Path]) -> list[RoundMetrics]:
    """Figures for every finished round, oldest first."""
    results = []
    for number, path, manifest in completed_rounds(rounds_dir):
        gold = {ex.id: ex for ex in load_round(path, pool_file)}
        reviews = [r for r in manifest.tasks if r.id in gold]
        pre = [r for r in reviews if r.prediction is not None]
        gold_pre = [gold[r.id] for r in pre]
        predicted = [
            _as_example(gold[r.id], r.prediction.labels, r.prediction.entities)
            for r in pre
            if r.prediction is not None
        ]
        versions = ", ".join(manifest.model_versions) or "unknown"
        results.append(
            RoundMetrics(
                round=number,
                file=path.name,
                records=len(gold),
                invalid=len(manifest.invalid),
                annotators=manifest.annotators,
                model_versions=manifest.model_versions,
                pre_annotated=len(pre),
                changed=len(errors(gold_pre, predicted)) if pre else 0,
                versus_gold=evaluate(gold_pre, predicted, versions) if pre else None,
                kappa_versus_gold=label_kappa(gold_pre, predicted) if pre else {},
                inter_annotator=_inter_annotator(reviews, gold),
            )
        )
    return results
