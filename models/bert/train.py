"""Fine-tuning the joint BERT on gold (and optionally weak) examples.

The procedure, all with one seed:

1. **select** — hold out ~20% of the *documents* (never segments of a seen
   document, which would leak wording) and train with early stopping on their
   loss to find the number of epochs. With one document there is nothing to hold
   out, so early stopping watches the training loss instead.
2. **calibrate** (optional) — k = min(5, documents) fold models grouped by
   document, each trained for the selected number of epochs (or
   ``calibration_epochs``, fewer to save time), predict the documents they did not
   see; ``tune_thresholds`` picks one threshold per label on those scores.
3. **final** — a fresh model on all examples for the selected epochs, saved with
   ``save_model_dir``.

Every stage starts from the same base weights and head initialisation.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import GroupKFold
from transformers import BertConfig, PreTrainedTokenizerFast

from models.bert.encoding import encode_many, spans_to_tags
from models.bert.engine import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_LENGTH,
    DEFAULT_STRIDE,
    BertPredictor,
    save_model_dir,
)
from models.bert.model import JointBertModel, configure
from models.bert.rule_features import rule_views
from models.bert.tags import IGNORE_INDEX
from models.bert.tokenizer import load_tokenizer
from models.errors import ModelError
from models.schema import MEASURE_LABELS, Example, MeasureLabel
from models.thresholds import DEFAULT_THRESHOLD, tune_thresholds

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")
HOW_TO_BUILD_BASE = (
    "build a local base with `policytag pretrain` (it writes one) and pass its directory"
)
MAX_POS_WEIGHT = 10.0


@dataclass(frozen=True)
class TrainProgress:
    """One optimiser step, reported to the ``progress`` callback."""

    stage: str  # "select", "fold 2/5" or "final"
    epoch: int  # 1-based
    epochs: int
    step: int  # 1-based, within the epoch
    steps: int
    loss: float


@dataclass
class TrainResult:
    """What ``fine_tune`` did and how long it took."""

    out_dir: Path
    version: str
    seconds: float
    stage_seconds: dict[str, float]
    epochs_run: int  # epochs of the saved (final) model
    best_epoch: int
    best_dev_loss: float | None  # None when there was no dev document
    dev_documents: list[str]
    train_losses: list[float]  # mean training loss per epoch of the final model
    thresholds: dict[MeasureLabel, float]
    calibrated: bool
    n_examples: int
    n_weak: int
    folds: int = 0
    select_losses: list[float] = field(default_factory=list)  # dev (or train) loss per epoch


@dataclass(frozen=True)
class _Item:
    """One training window: a text's window with its targets, weight and rule features."""

    input_ids: list[int]
    tags: list[int]
    labels: list[float]
    weight: float
    rule_scores: tuple[float, ...] | None = None
    rule_tags: list[int] | None = None


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _items(
    examples: Sequence[Example],
    tokenizer: PreTrainedTokenizerFast,
    max_length: int,
    stride: int,
    weight: float,
    rule_features: bool = False,
) -> list[_Item]:
    """Windows with targets; every window of a long segment carries the segment's labels.

    That matches inference, where a segment's label score is the max over its windows.
    """
    items = []
    texts = [ex.text for ex in examples]
    per_text = encode_many(texts, tokenizer, max_length, stride)
    views = rule_views(texts) if rule_features else [None] * len(texts)
    for example, windows, view in zip(examples, per_text, views, strict=True):
        labels = [float(label in example.labels) for label in MEASURE_LABELS]
        for window in windows:
            tags = spans_to_tags(example.entities, window.offsets)
            features = (view.scores, view.window_tags(window)) if view else (None, None)
            items.append(_Item(window.input_ids, tags, labels, weight, *features))
    return items


def _collate(items: Sequence[_Item], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(item.input_ids) for item in items)
    input_ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(items), width), dtype=torch.long)
    tags = torch.full((len(items), width), IGNORE_INDEX, dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item.input_ids)
        input_ids[row, :n] = torch.tensor(item.input_ids)
        attention[row, :n] = 1
        tags[row, :n] = torch.tensor(item.tags)
    batch = {
        "input_ids": input_ids,
        "attention_mask": attention,
        "token_type_ids": torch.zeros_like(input_ids),
        "label_targets": torch.tensor([item.labels for item in items]),
        "tag_targets": tags,
        "sample_weight": torch.tensor([item.weight for item in items]),
    }
    if items[0].rule_scores is not None:
        batch["rule_scores"] = torch.tensor([item.rule_scores for item in items])
        rule_tags = torch.zeros((len(items), width), dtype=torch.long)  # "O" on padding
        for row, item in enumerate(items):
            rule_tags[row, : len(item.rule_tags)] = torch.tensor(item.rule_tags)
        batch["rule_tags"] = rule_tags
    return batch


def _length_batches(
    items: Sequence[_Item], batch_size: int, rng: np.random.Generator
) -> list[list[int]]:
    """Shuffled batches of similar length: less padding, still a random order.

    Items are shuffled, grouped in buckets of 20 batches, sorted by length inside a
    bucket and cut; then the batches themselves are shuffled.
    """
    order = rng.permutation(len(items)).tolist()
    bucket = batch_size * 20
    batches = []
    for start in range(0, len(order), bucket):
        chunk = sorted(order[start : start + bucket], key=lambda i: len(items[i].input_ids))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _loss_on(model: JointBertModel, items: Sequence[_Item], batch_size: int, pad_id: int) -> float:
    """Mean per-window loss without dropout or gradients."""
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for start in range(0, len(items), batch_size):
            batch = _collate(items[start : start + batch_size], pad_id)
            batch["sample_weight"] = None
            total += float(model(**batch).loss) * len(items[start : start + batch_size])
    return total / len(items)


@dataclass
class _Run:
    losses: list[float]  # mean training loss per epoch
    monitored: list[float]  # dev loss per epoch, or training loss without dev
    best_epoch: int


def _train(
    model: JointBertModel,
    items: Sequence[_Item],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    head_lr: float,
    warmup_ratio: float,
    seed: int,
    pad_id: int,
    stage: str,
    progress: Callable[[TrainProgress], None] | None,
    dev_items: Sequence[_Item] | None = None,
    patience: int | None = None,
) -> _Run:
    """AdamW with linear warmup and decay; early stopping when ``patience`` is set.

    The heads (everything outside the encoder) learn at ``head_lr``: they start
    from scratch, or from the rules' prior, while the encoder only adapts.
    Early stopping watches ``dev_items``' loss, or the training loss without them,
    and restores the weights of the best epoch.
    """
    rng = np.random.default_rng(seed)
    steps_per_epoch = math.ceil(len(items) / batch_size)
    total = steps_per_epoch * epochs
    warmup = math.ceil(warmup_ratio * total)
    trainable = [param for param in model.parameters() if param.requires_grad]
    encoder = {id(param) for param in model.bert.parameters()}
    groups = [
        {"params": [p for p in trainable if id(p) in encoder], "lr": lr},
        {"params": [p for p in trainable if id(p) not in encoder], "lr": head_lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=0.01)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    run = _Run(losses=[], monitored=[], best_epoch=0)
    best_loss, best_state = math.inf, None
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_loss = 0.0
        batches = _length_batches(items, batch_size, rng)
        for step, batch_index in enumerate(batches, start=1):
            batch = _collate([items[i] for i in batch_index], pad_id)
            loss = model(**batch).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            epoch_loss += loss.item() * len(batch_index)
            if progress is not None:
                progress(TrainProgress(stage, epoch, epochs, step, len(batches), loss.item()))
        run.losses.append(epoch_loss / len(items))
        watched = _loss_on(model, dev_items, batch_size, pad_id) if dev_items else run.losses[-1]
        run.monitored.append(watched)
        if watched < best_loss:
            best_loss, run.best_epoch = watched, epoch
            if patience is not None:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif patience is not None and epoch - run.best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return run


def freeze_lower(model: JointBertModel, layers: int) -> None:
    """Freeze the embeddings and the lowest ``layers`` encoder layers (0: train everything).

    Their backward pass is skipped, about a third of a step's cost on a 4-layer
    model with half its layers frozen, and the few hundred gold segments do not
    pull the general-language layers towards their own wording.
    """
    if layers <= 0:
        return
    if layers > len(model.bert.encoder.layer):
        raise ModelError(
            f"cannot freeze {layers} layers: the base has {len(model.bert.encoder.layer)}"
        )
    for module in [model.bert.embeddings, *model.bert.encoder.layer[:layers]]:
        for param in module.parameters():
            param.requires_grad_(False)


def _pos_weight(examples: Sequence[Example]) -> list[float]:
    """neg/pos per label, capped, so rare labels (security: 2 of 80) still pull."""
    weights = []
    for label in MEASURE_LABELS:
        positive = sum(label in ex.labels for ex in examples)
        ratio = (len(examples) - positive) / positive if positive else 1.0
        weights.append(float(min(MAX_POS_WEIGHT, max(1.0, ratio))))
    return weights


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text.splitlines()[0]}" if text else exc.__class__.__name__


def _looks_like_path(base: str) -> bool:
    """A hub id is ``name`` or ``org/name``; anything else is meant as a local path."""
    return base.startswith((".", "/", "~")) or base.count("/") > 1 or "\\" in base


def load_base(
    base: str | Path,
    *,
    tag_loss_weight: float = 1.0,
    label_pos_weight: list[float] | None = None,
    rule_features: bool = False,
    entity_tag_weight: float = 1.0,
    local_files_only: bool = False,
) -> JointBertModel:
    """The joint model with the encoder of ``base`` (hub id or directory) and fresh heads.

    Raises a one-line ``ModelError`` when ``base`` has no weights or cannot be found.
    """
    path = Path(base)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(
                f"base model {base}: the directory has no config.json; {HOW_TO_BUILD_BASE}"
            )
        if not any((path / name).is_file() for name in WEIGHT_FILES):
            raise ModelError(
                f"base model {base}: the directory has no weights ({' or '.join(WEIGHT_FILES[::2])}); "
                f"{HOW_TO_BUILD_BASE}"
            )
    elif path.exists():
        raise ModelError(f"base model {base} is a file; give a directory or hub id")
    elif _looks_like_path(str(base)):
        raise ModelError(f"base model {base}: no such directory; {HOW_TO_BUILD_BASE}")
    try:
        config = BertConfig.from_pretrained(str(base), local_files_only=local_files_only)
        configure(
            config,
            tag_loss_weight=tag_loss_weight,
            label_pos_weight=label_pos_weight,
            rule_features=rule_features,
            entity_tag_weight=entity_tag_weight,
        )
        model, info = JointBertModel.from_pretrained(
            str(base), config=config, local_files_only=local_files_only, output_loading_info=True
        )
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        if path.is_dir():
            raise ModelError(
                f"cannot load base model {base}: {_first_line(exc)}; {HOW_TO_BUILD_BASE}"
            ) from exc
        raise ModelError(
            f"cannot load base model {str(base)!r}: not a local directory, not in the hub cache "
            f"and the model hub cannot be reached; {HOW_TO_BUILD_BASE}"
        ) from exc
    missing_encoder = sorted(k for k in info["missing_keys"] if k.startswith("bert."))
    if missing_encoder or info["mismatched_keys"]:
        raise ModelError(
            f"base model {base}: its weights are not a BERT encoder (missing "
            f"{', '.join(missing_encoder[:3]) or 'nothing'}, misshaped "
            f"{len(info['mismatched_keys'])}); {HOW_TO_BUILD_BASE}"
        )
    return model


def _base_tokenizer(base: str | Path, tokenizer: str | Path | None) -> PreTrainedTokenizerFast:
    """The given tokenizer, else the base's own, else the shipped bert-base-chinese one."""
    if tokenizer is not None:
        return load_tokenizer(tokenizer)
    if not Path(base).is_dir():
        return load_tokenizer(base)
    has_files = any((Path(base) / name).is_file() for name in TOKENIZER_FILES)
    return load_tokenizer(base if has_files else None)


def _version(
    examples: Sequence[Example], weak: Sequence[Example], settings: dict, base: str | Path
) -> str:
    """A hash of the data, the settings and a local base's weights (not just its path)."""
    digest = hashlib.sha256()
    for example in [*examples, *weak]:
        digest.update(example.model_dump_json().encode("utf-8"))
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode("utf-8"))
    for name in WEIGHT_FILES:
        if (Path(base) / name).is_file():
            with (Path(base) / name).open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return f"bert-{digest.hexdigest()[:10]}"


def _split_documents(documents: list[str], fraction: float, seed: int) -> list[str]:
    """The dev documents: ~``fraction`` of them, at least one; none if only one or fraction 0."""
    if len(documents) < 2 or fraction <= 0:
        return []
    n_dev = min(len(documents) - 1, max(1, round(fraction * len(documents))))
    rng = random.Random(seed)
    return sorted(rng.sample(sorted(documents), n_dev))


@dataclass
class _Setup:
    """What every stage shares: base weights, tokenizer, windowing and optimiser settings."""

    template: JointBertModel
    tokenizer: PreTrainedTokenizerFast
    max_length: int
    stride: int
    batch_size: int
    lr: float
    head_lr: float
    warmup_ratio: float
    seed: int
    progress: Callable[[TrainProgress], None] | None
    weak_items: list[_Item] = field(default_factory=list)

    def items(self, examples: Sequence[Example], weight: float = 1.0) -> list[_Item]:
        if not examples:
            return []
        return _items(
            examples,
            self.tokenizer,
            self.max_length,
            self.stride,
            weight,
            rule_features=bool(self.template.config.rule_features),
        )

    def train(
        self,
        examples: Sequence[Example],
        *,
        epochs: int,
        stage: str,
        dev: Sequence[Example] = (),
        patience: int | None = None,
    ) -> tuple[JointBertModel, _Run]:
        """A fresh copy of the base trained on ``examples`` plus the weak items."""
        model = copy.deepcopy(self.template)
        run = _train(
            model,
            self.items(examples) + self.weak_items,
            epochs=epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            head_lr=self.head_lr,
            warmup_ratio=self.warmup_ratio,
            seed=self.seed,
            pad_id=self.tokenizer.pad_token_id or 0,
            stage=stage,
            progress=self.progress,
            dev_items=self.items(dev) or None,
            patience=patience,
        )
        return model, run

    def probabilities(self, model: JointBertModel, texts: list[str]) -> np.ndarray:
        predictor = BertPredictor(
            model,
            self.tokenizer,
            thresholds=dict.fromkeys(MEASURE_LABELS, DEFAULT_THRESHOLD),
            version="fold",
            max_length=self.max_length,
            stride=self.stride,
            batch_size=self.batch_size,
        )
        return predictor.probabilities(texts)


def _calibrate(
    setup: _Setup, examples: list[Example], n_folds: int, epochs: int
) -> dict[MeasureLabel, float]:
    """Per-label thresholds tuned on scores from fold models that never saw the document."""
    groups = [ex.document for ex in examples]
    scores = np.zeros((len(examples), len(MEASURE_LABELS)))
    splits = GroupKFold(n_splits=n_folds).split(examples, groups=groups)
    for fold, (train_index, test_index) in enumerate(splits, start=1):
        model, _ = setup.train(
            [examples[i] for i in train_index], epochs=epochs, stage=f"fold {fold}/{n_folds}"
        )
        scores[test_index] = setup.probabilities(model, [examples[i].text for i in test_index])
    targets = np.array([[label in ex.labels for label in MEASURE_LABELS] for ex in examples])
    return tune_thresholds(targets.astype(int), scores)


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    tick = time.perf_counter()
    yield
    seconds[stage] = time.perf_counter() - tick


def _prepare(
    examples: list[Example],
    base: str | Path,
    *,
    tokenizer: str | Path | None,
    max_length: int,
    stride: int,
    epochs: int,
    batch_size: int,
    tag_loss_weight: float,
    balance_labels: bool,
    rule_features: bool,
    entity_tag_weight: float,
    local_files_only: bool,
) -> tuple[JointBertModel, PreTrainedTokenizerFast]:
    """Check the arguments, then load the base and a tokenizer that fits it."""
    if not examples:
        raise ModelError("cannot fine-tune on no examples")
    if epochs < 1 or batch_size < 1:
        raise ModelError(f"epochs ({epochs}) and batch_size ({batch_size}) must be at least 1")
    if not 0 < stride < max_length - 2:
        raise ModelError(f"stride {stride} must be between 0 and max_length - 2 ({max_length - 2})")
    template = load_base(
        base,
        tag_loss_weight=tag_loss_weight,
        label_pos_weight=_pos_weight(examples) if balance_labels else None,
        rule_features=rule_features,
        entity_tag_weight=entity_tag_weight,
        local_files_only=local_files_only,
    )
    if max_length > template.config.max_position_embeddings:
        raise ModelError(
            f"max_length {max_length} exceeds the base model's "
            f"{template.config.max_position_embeddings} positions"
        )
    tok = _base_tokenizer(base, tokenizer)
    if len(tok) > template.config.vocab_size:
        raise ModelError(
            f"the tokenizer has {len(tok)} tokens but base model {base} only "
            f"{template.config.vocab_size}; give the base's own tokenizer"
        )
    return template, tok


def fine_tune(
    examples: list[Example],
    base: str | Path,
    out_dir: Path,
    *,
    epochs: int = 10,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float = 5e-5,
    head_lr: float | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    stride: int = DEFAULT_STRIDE,
    seed: int = 13,
    tag_loss_weight: float = 1.0,
    weak_examples: list[Example] | None = None,
    weak_weight: float = 0.3,
    calibrate: bool = True,
    calibration_epochs: int | None = None,
    dev_fraction: float = 0.2,
    patience: int | None = 2,
    warmup_ratio: float = 0.1,
    balance_labels: bool = True,
    rule_features: bool = False,
    entity_tag_weight: float = 1.0,
    freeze_layers: int = 0,
    tokenizer: str | Path | None = None,
    local_files_only: bool = False,
    progress: Callable[[TrainProgress], None] | None = None,
) -> TrainResult:
    """Fine-tune ``base`` on ``examples`` and save the model to ``out_dir``.

    ``epochs`` is the most the select stage runs (early stopping after ``patience``
    epochs without a better dev loss). ``weak_examples`` join every training set
    (never a dev or calibration set) with ``weak_weight``. ``calibrate=False``
    keeps the 0.5 thresholds and skips the fold models, which is fast;
    ``calibration_epochs`` (default: the selected epochs) makes the folds cheaper.
    ``balance_labels`` sets a capped neg/pos ``pos_weight`` per label.
    ``rule_features`` makes the hybrid model that also reads the rules' scores and
    tags (``models.bert.rule_features``); ``entity_tag_weight`` weighs non-``O`` tags.
    ``freeze_layers`` keeps the embeddings and that many lower layers fixed.
    ``head_lr`` (default ``lr``) is the heads' learning rate.
    ``dev_fraction=0`` with ``patience=None`` trains exactly ``epochs`` epochs.
    ``tokenizer`` defaults to the base directory's files, else the shipped
    bert-base-chinese vocabulary. ``local_files_only`` never asks the hub.
    """
    started = time.perf_counter()
    _seed_everything(seed)  # before the heads are initialised
    template, tok = _prepare(
        examples,
        base,
        tokenizer=tokenizer,
        max_length=max_length,
        stride=stride,
        epochs=epochs,
        batch_size=batch_size,
        tag_loss_weight=tag_loss_weight,
        balance_labels=balance_labels,
        rule_features=rule_features,
        entity_tag_weight=entity_tag_weight,
        local_files_only=local_files_only,
    )
    freeze_lower(template, freeze_layers)
    weak = list(weak_examples or [])
    setup = _Setup(
        template,
        tok,
        max_length,
        stride,
        batch_size,
        lr,
        head_lr or lr,
        warmup_ratio,
        seed,
        progress,
    )
    setup.weak_items = setup.items(weak, weak_weight)
    stage_seconds: dict[str, float] = {}
    documents = sorted({ex.document for ex in examples})
    dev_documents = _split_documents(documents, dev_fraction, seed)

    best_epoch, best_dev_loss, select_losses = epochs, None, []
    if dev_documents:
        with _timed(stage_seconds, "select"):
            _, run = setup.train(
                [ex for ex in examples if ex.document not in dev_documents],
                epochs=epochs,
                stage="select",
                dev=[ex for ex in examples if ex.document in dev_documents],
                patience=patience,
            )
        best_epoch, best_dev_loss, select_losses = run.best_epoch, min(run.monitored), run.monitored

    thresholds = dict.fromkeys(MEASURE_LABELS, DEFAULT_THRESHOLD)
    n_folds = min(5, len(documents)) if calibrate and len(documents) >= 2 else 0
    if n_folds:
        with _timed(stage_seconds, "calibrate"):
            thresholds = _calibrate(setup, examples, n_folds, calibration_epochs or best_epoch)

    with _timed(stage_seconds, "final"):
        # with one document there was no select stage: stop on the training loss here
        model, final = setup.train(
            examples,
            epochs=best_epoch,
            stage="final",
            patience=None if dev_documents else patience,
        )
    if not dev_documents:
        best_epoch, select_losses = final.best_epoch, final.monitored

    hyper = {
        "base_model": str(base),
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "head_lr": head_lr or lr,
        "max_length": max_length,
        "stride": stride,
        "seed": seed,
        "tag_loss_weight": tag_loss_weight,
        "rule_features": rule_features,
        "entity_tag_weight": entity_tag_weight,
        "freeze_layers": freeze_layers,
        "weak_weight": weak_weight,
        "calibrate": calibrate,
    }
    version = _version(examples, weak, hyper, base)
    result = TrainResult(
        out_dir=Path(out_dir),
        version=version,
        seconds=time.perf_counter() - started,
        stage_seconds=stage_seconds,
        epochs_run=len(final.losses),
        best_epoch=best_epoch,
        best_dev_loss=best_dev_loss,
        dev_documents=dev_documents,
        train_losses=final.losses,
        thresholds=thresholds,
        calibrated=n_folds > 0,
        n_examples=len(examples),
        n_weak=len(weak),
        folds=n_folds,
        select_losses=select_losses,
    )
    save_model_dir(
        model,
        tok,
        {
            **hyper,
            "version": version,
            "thresholds": thresholds,
            "calibrated": result.calibrated,
            "folds": n_folds,
            "epochs_run": result.epochs_run,
            "best_epoch": best_epoch,
            "best_dev_loss": best_dev_loss,
            "dev_documents": dev_documents,
            "n_train": len(examples),
            "n_weak": len(weak),
            "documents": len(documents),
            "train_seconds": round(result.seconds, 2),
        },
        Path(out_dir),
    )
    result.seconds = time.perf_counter() - started
    return result
