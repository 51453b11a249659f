"""The one scorer: every metric in policytag is computed here and nowhere else.

Gold and predictions are both lists of :class:`~models.schema.Example` (a
``Prediction`` becomes one with ``Prediction.as_example``), paired by ``id``, so
the order of either list never matters.

Conventions, fixed here so every report means the same thing:

* **Undefined ratios are 0.** Precision with no predictions is 0, recall with no
  gold is 0, and F1 is 0 whenever ``tp == 0`` (including "nothing to find and
  nothing found"). This is scikit-learn's ``zero_division=0``.
* **Macro-F1 averages over all six labels** in ``MEASURE_LABELS``, including
  labels absent from the gold data, which therefore contribute 0. A small or
  skewed evaluation set cannot inflate the headline by leaving out the hard
  labels. ``macro_f1_present`` averages only over labels with gold support > 0.
* **Entity F1 is strict**: same start, end and type. ``partial_f1`` beside it
  counts a predicted span of the right type that overlaps a gold span; gold and
  predicted spans are matched one-to-one (a maximum matching per example and
  type), so each gold span is matched at most once and partial F1 is never below
  strict F1.
* **Cross-validation is pooled**: :func:`evaluate_folds` concatenates the folds'
  predictions and scores them once (the headline), and also returns one report
  per fold. Averaging per-fold F1 instead would weight a fold of three segments
  like a fold of thirty.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models import atomic
from models.schema import ENTITY_TYPES, MEASURE_LABELS, EntityType, Example, MeasureLabel, Span


@dataclass(slots=True)
class PRF:
    """True positives, false positives and false negatives; addable with ``+``/``+=``.

    Only counts are kept, so counters from different examples, labels or folds sum
    exactly; the ratios are derived (0 when undefined, see the module docstring).
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @classmethod
    def compare(cls, gold: Iterable[Hashable], pred: Iterable[Hashable]) -> PRF:
        """Count matches between two multisets of hashable keys."""
        gold_counts, pred_counts = Counter(gold), Counter(pred)
        tp = sum((gold_counts & pred_counts).values())
        return cls(tp=tp, fp=sum(pred_counts.values()) - tp, fn=sum(gold_counts.values()) - tp)

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def __iadd__(self, other: PRF) -> PRF:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    @property
    def support(self) -> int:
        """How many gold items there are."""
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        """How many items were predicted."""
        return self.tp + self.fp

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        # 2tp / (2tp + fp + fn) equals 2PR / (P + R) and is 0 exactly when tp is 0.
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClassScore(_Frozen):
    """Figures for one measure label or entity type; support counts gold items."""

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int

    @classmethod
    def of(cls, counts: PRF) -> ClassScore:
        return cls(
            precision=counts.precision,
            recall=counts.recall,
            f1=counts.f1,
            support=counts.support,
            predicted=counts.predicted,
        )


class LabelScores(_Frozen):
    """Multi-label measure classification, one decision per (segment, label)."""

    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float = Field(description="Mean F1 over all six labels, absent ones included.")
    macro_f1_present: float = Field(description="Mean F1 over labels with gold support > 0.")
    per_label: dict[MeasureLabel, ClassScore]
    subset_accuracy: float = Field(description="Share of segments whose label set is exact.")
    none_rate_gold: float = Field(description="Share of gold segments with no label.")
    none_rate_pred: float = Field(description="Share of predicted segments with no label.")


class EntityScores(_Frozen):
    """Named-entity spans: strict figures, with partial-overlap figures beside them."""

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    per_type: dict[EntityType, ClassScore]
    partial_precision: float
    partial_recall: float
    partial_f1: float


class Report(_Frozen):
    """One model scored on one data set; ``data_hash`` names the data exactly."""

    model_version: str
    n: int
    data_hash: str
    created: str = Field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"),
        description="ISO 8601 UTC time the report was computed.",
    )
    labels: LabelScores
    entities: EntityScores


class CrossValidationReport(_Frozen):
    """Pooled report (the headline) over all folds, plus one report per fold."""

    pooled: Report
    folds: list[Report]


def data_hash(examples: Iterable[Example]) -> str:
    """SHA-256 of the examples' canonical JSON, independent of order and file layout.

    Examples are sorted by id and each is dumped with sorted keys, no ``None``
    fields, no whitespace and unescaped Unicode, one per line.
    """
    lines = sorted(
        (
            ex.id,
            json.dumps(
                ex.model_dump(mode="json", exclude_none=True),
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        )
        for ex in examples
    )
    digest = hashlib.sha256()
    for _, line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _pair(gold: Sequence[Example], pred: Sequence[Example]) -> list[tuple[Example, Example]]:
    """Pair gold and predicted examples by id; refuse anything but a one-to-one match."""
    problems: list[str] = []
    for name, examples in (("gold", gold), ("predictions", pred)):
        repeated = sorted(i for i, c in Counter(ex.id for ex in examples).items() if c > 1)
        if repeated:
            problems.append(f"{name} repeat ids {repeated[:5]}")
    by_id = {ex.id: ex for ex in pred}
    gold_ids = {ex.id for ex in gold}
    missing = sorted(gold_ids - by_id.keys())
    extra = sorted(by_id.keys() - gold_ids)
    if missing:
        problems.append(f"{len(missing)} gold id(s) have no prediction, e.g. {missing[:5]}")
    if extra:
        problems.append(f"{len(extra)} predicted id(s) are not in gold, e.g. {extra[:5]}")
    if problems:
        raise ValueError("gold and predictions do not pair by id: " + "; ".join(problems))
    pairs = [(ex, by_id[ex.id]) for ex in gold]
    changed = [g.id for g, p in pairs if g.text != p.text]
    if changed:
        raise ValueError(
            f"{len(changed)} prediction(s) carry a different text from gold, so entity "
            f"offsets would not compare, e.g. {changed[:5]}"
        )
    return pairs


def _rate(count: int, total: int) -> float:
    return count / total if total else 0.0


def score_labels(gold: Sequence[Example], pred: Sequence[Example]) -> LabelScores:
    """Micro, macro and per-label F1, subset accuracy and none rates for measure labels."""
    pairs = _pair(gold, pred)
    per_label = {label: PRF() for label in MEASURE_LABELS}
    exact = none_gold = none_pred = 0
    for g, p in pairs:
        gold_set, pred_set = set(g.labels), set(p.labels)
        for label in MEASURE_LABELS:
            per_label[label] += PRF.compare(
                [label] if label in gold_set else [], [label] if label in pred_set else []
            )
        exact += gold_set == pred_set
        none_gold += not gold_set
        none_pred += not pred_set
    micro = sum(per_label.values(), PRF())
    present = [c.f1 for c in per_label.values() if c.support > 0]
    return LabelScores(
        micro_precision=micro.precision,
        micro_recall=micro.recall,
        micro_f1=micro.f1,
        macro_f1=sum(c.f1 for c in per_label.values()) / len(MEASURE_LABELS),
        macro_f1_present=sum(present) / len(present) if present else 0.0,
        per_label={label: ClassScore.of(c) for label, c in per_label.items()},
        subset_accuracy=_rate(exact, len(pairs)),
        none_rate_gold=_rate(none_gold, len(pairs)),
        none_rate_pred=_rate(none_pred, len(pairs)),
    )


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _overlap_matches(gold: list[Span], pred: list[Span]) -> int:
    """Size of a maximum one-to-one matching of overlapping gold and predicted spans.

    Kuhn's augmenting paths; spans per example and type are few, so this is cheap.
    """
    owner: dict[int, int] = {}  # gold index -> predicted index matched to it

    def augment(p: int, seen: set[int]) -> bool:
        for g, span in enumerate(gold):
            if g in seen or not _overlaps(span, pred[p]):
                continue
            seen.add(g)
            if g not in owner or augment(owner[g], seen):
                owner[g] = p
                return True
        return False

    return sum(augment(p, set()) for p in range(len(pred)))


def score_entities(gold: Sequence[Example], pred: Sequence[Example]) -> EntityScores:
    """Strict span P/R/F1 overall and per type, plus partial-overlap P/R/F1."""
    pairs = _pair(gold, pred)
    strict = {kind: PRF() for kind in ENTITY_TYPES}
    partial = PRF()
    for g, p in pairs:
        for kind in ENTITY_TYPES:
            gold_spans = [s for s in g.entities if s.label == kind]
            pred_spans = [s for s in p.entities if s.label == kind]
            strict[kind] += PRF.compare((s.key for s in gold_spans), (s.key for s in pred_spans))
            tp = _overlap_matches(gold_spans, pred_spans)
            partial += PRF(tp=tp, fp=len(pred_spans) - tp, fn=len(gold_spans) - tp)
    total = sum(strict.values(), PRF())
    return EntityScores(
        precision=total.precision,
        recall=total.recall,
        f1=total.f1,
        support=total.support,
        predicted=total.predicted,
        per_type={kind: ClassScore.of(c) for kind, c in strict.items()},
        partial_precision=partial.precision,
        partial_recall=partial.recall,
        partial_f1=partial.f1,
    )


def evaluate(gold: Sequence[Example], pred: Sequence[Example], model_version: str) -> Report:
    """Score one model's predictions against gold, paired by example id."""
    if not gold:
        raise ValueError("nothing to evaluate: the gold set is empty")
    return Report(
        model_version=model_version,
        n=len(gold),
        data_hash=data_hash(gold),
        labels=score_labels(gold, pred),
        entities=score_entities(gold, pred),
    )


def evaluate_folds(
    folds: Sequence[tuple[Sequence[Example], Sequence[Example]]], model_version: str
) -> CrossValidationReport:
    """Score cross-validation folds: pooled over all folds, and each fold on its own.

    ``folds`` holds one ``(gold, predictions)`` pair per fold. The pooled report
    concatenates them and scores once, so every segment weighs the same; an id
    that appears in two folds is an error.
    """
    if not folds:
        raise ValueError("nothing to evaluate: no folds")
    all_gold = [ex for fold_gold, _ in folds for ex in fold_gold]
    all_pred = [ex for _, fold_pred in folds for ex in fold_pred]
    return CrossValidationReport(
        pooled=evaluate(all_gold, all_pred, model_version),
        folds=[evaluate(g, p, model_version) for g, p in folds],
    )


def _labels(labels: Iterable[MeasureLabel]) -> list[str]:
    chosen = set(labels)
    return [label for label in MEASURE_LABELS if label in chosen]


def _spans(spans: Iterable[Span]) -> list[dict[str, Any]]:
    ordered = sorted(spans, key=lambda s: (s.start, s.end, s.label))
    return [s.model_dump(mode="json", exclude_none=True) for s in ordered]


def _take(spans: Iterable[Span], wanted: Counter[tuple[int, int, str]]) -> list[Span]:
    """The spans whose keys are in ``wanted``, each key taken as often as it counts."""
    left = Counter(wanted)
    taken: list[Span] = []
    for span in spans:
        if left[span.key] > 0:
            left[span.key] -= 1
            taken.append(span)
    return taken


def errors(gold: Sequence[Example], pred: Sequence[Example]) -> list[dict[str, Any]]:
    """Every example whose label set or strict entity set differs, in gold order.

    ``missing_*`` are in gold but not predicted; ``extra_*`` are predicted but not in
    gold. Entities compare by (start, end, type), as strict F1 does.
    """
    rows: list[dict[str, Any]] = []
    for g, p in _pair(gold, pred):
        gold_keys = Counter(s.key for s in g.entities)
        pred_keys = Counter(s.key for s in p.entities)
        if set(g.labels) == set(p.labels) and gold_keys == pred_keys:
            continue
        missing = _take(g.entities, gold_keys - pred_keys)
        extra = _take(p.entities, pred_keys - gold_keys)
        rows.append(
            {
                "id": g.id,
                "text": g.text,
                "gold_labels": _labels(g.labels),
                "pred_labels": _labels(p.labels),
                "missing_labels": _labels(set(g.labels) - set(p.labels)),
                "extra_labels": _labels(set(p.labels) - set(g.labels)),
                "gold_entities": _spans(g.entities),
                "pred_entities": _spans(p.entities),
                "missing_entities": _spans(missing),
                "extra_entities": _spans(extra),
            }
        )
    return rows


def write_errors(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write :func:`errors` rows as UTF-8 JSONL, atomically."""
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    atomic.write_text(Path(path), text)


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa of two raters' yes/no decisions on the same items.

    ``None`` when it is undefined: no items, or chance agreement is 1 because both
    raters gave every item the same one answer.
    """
    if len(a) != len(b):
        raise ValueError(f"{len(a)} decisions against {len(b)}")
    n = len(a)
    if not n:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    yes_a, yes_b = sum(map(bool, a)) / n, sum(map(bool, b)) / n
    expected = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def label_kappa(
    first: Sequence[Example], second: Sequence[Example]
) -> dict[MeasureLabel, float | None]:
    """Per-label Cohen's kappa between two sets of labels for the same examples, by id."""
    pairs = _pair(first, second)
    return {
        label: cohen_kappa(
            [label in a.labels for a, _ in pairs], [label in b.labels for _, b in pairs]
        )
        for label in MEASURE_LABELS
    }
