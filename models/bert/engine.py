"""Inference with the joint BERT, and the model directory it is saved in.

Prediction runs in named steps: prepare (windows per text) → batch (windows
sorted by length, padded only to the longest in their batch) → run (one
``Runtime`` call per batch: torch under ``inference_mode``, or onnxruntime) →
map back (stitch windows, thresholds, BIO → spans).

A model directory holds ``model.safetensors`` + ``config.json`` (the network),
the tokenizer files and ``policytag.json`` (the manifest); ``policytag export``
adds ``onnx/`` and lists what it added in the manifest's ``runtimes``. Loading
checks each part and raises one ``ModelError`` that names the problem, never a
torch, safetensors or onnxruntime traceback.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from torch import nn
from transformers import BertConfig, PreTrainedTokenizerFast

from models import atomic
from models.bert.encoding import Stitched, Window, encode_many, stitch, tags_to_spans
from models.bert.model import JointBertModel
from models.bert.rule_features import RuleView, rule_inputs, rule_views
from models.bert.runtime import (
    ONNX_RUNTIMES,
    RULE_INPUT_NAMES,
    RUNTIMES,
    TORCH,
    TORCH_INT8,
    OnnxRuntime,
    Runtime,
    TorchRuntime,
    candidates,
    quantize_torch,
    usable,
)
from models.bert.tags import TAGS
from models.bert.tokenizer import load_tokenizer
from models.errors import ModelError
from models.predict import MANIFEST_FILE
from models.schema import ENTITY_TYPES, MEASURE_LABELS, MeasureLabel, Prediction
from models.thresholds import spans_at_least

MODEL_TYPE = "bert"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
DEFAULT_MAX_LENGTH = 256
DEFAULT_STRIDE = 64
DEFAULT_BATCH_SIZE = 16
# Padded tokens per forward pass. On 2 CPU cores bigger batches are slower per text
# (they spill the caches): ~512 tokens was best, 2k-4k tokens 10-20 % slower
# (benchmarks/README.md).
DEFAULT_MAX_BATCH_TOKENS = 512
AUTO = "auto"

logger = logging.getLogger(__name__)


def _empty_prediction() -> Prediction:
    return Prediction(labels=[], scores=dict.fromkeys(MEASURE_LABELS, 0.0), entities=[])


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def decode(
    text: str,
    result: Stitched | None,
    thresholds: dict[MeasureLabel, float],
    span_threshold: float = 0.0,
) -> Prediction:
    """One text's prediction from its stitched logits: thresholded labels, BIO → spans.

    Spans scoring below ``span_threshold`` (tuned on out-of-fold predictions) are dropped.
    """
    if result is None:
        return _empty_prediction()
    probs = _sigmoid(result.label_logits)
    scores = {label: float(p) for label, p in zip(MEASURE_LABELS, probs, strict=True)}
    tag_probs = _softmax(result.tag_logits)
    spans = tags_to_spans(text, result.offsets, tag_probs.argmax(axis=-1), tag_probs.max(axis=-1))
    entities = spans_at_least(spans, span_threshold)
    labels = [label for label in MEASURE_LABELS if scores[label] >= thresholds[label]]
    return Prediction(labels=labels, scores=scores, entities=entities)


class BertPredictor:
    """The fine-tuned joint BERT behind the ``Predictor`` interface."""

    name = MODEL_TYPE

    def __init__(
        self,
        model: nn.Module | Runtime,
        tokenizer: PreTrainedTokenizerFast,
        *,
        thresholds: dict[MeasureLabel, float],
        version: str,
        max_length: int = DEFAULT_MAX_LENGTH,
        stride: int = DEFAULT_STRIDE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        num_threads: int | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        """``model`` is a torch module (run as the ``torch`` runtime) or any ``Runtime``.

        A batch holds at most ``batch_size`` windows and, padded, at most
        ``max_batch_tokens`` tokens (a single longer window still runs alone).
        ``num_threads`` sets torch's intra-op threads for the process; None keeps torch's.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.runtime: Runtime = TorchRuntime(model) if isinstance(model, nn.Module) else model
        self.tokenizer = tokenizer
        self.thresholds = {label: float(thresholds[label]) for label in MEASURE_LABELS}
        self.manifest = dict(manifest or {})
        self.span_threshold = float(self.manifest.get("span_threshold") or 0.0)
        self.version = version
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        if num_threads:
            torch.set_num_threads(num_threads)

    # prepare → batch → run → map back

    def _batches(self, windows: Sequence[Window]) -> list[list[int]]:
        """Window indices, longest first, cut into batches of similar length.

        Sorted, a batch's first window is its longest, so its padded size is
        ``len(batch) * len(first)``; a batch closes before that passes the budget.
        """
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
        batches: list[list[int]] = []
        for i in order:
            if batches:
                current = batches[-1]
                padded = (len(current) + 1) * len(windows[current[0]])
                if len(current) < self.batch_size and padded <= self.max_batch_tokens:
                    current.append(i)
                    continue
            batches.append([i])
        return batches

    @property
    def reads_rules(self) -> bool:
        """Whether the network is the hybrid that also takes the rules' features."""
        return RULE_INPUT_NAMES[0] in self.runtime.input_names

    def _run(
        self, windows: list[Window], views: list[RuleView] | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Label and tag logits per window, in the windows' order.

        ``views[i]`` is the rules' view of the text of ``windows[i]``, for a hybrid model.
        """
        label_out: list[np.ndarray] = [np.empty(0)] * len(windows)
        tag_out: list[np.ndarray] = [np.empty(0)] * len(windows)
        pad_id = self.tokenizer.pad_token_id or 0
        for batch in self._batches(windows):
            width = max(len(windows[i]) for i in batch)
            input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids = windows[i].input_ids
                input_ids[row, : len(ids)] = ids
                attention[row, : len(ids)] = 1
            feeds = {"input_ids": input_ids, "attention_mask": attention}
            if views is not None:
                feeds |= rule_inputs([views[i] for i in batch], [windows[i] for i in batch], width)
            labels, tags = self.runtime(feeds)
            for row, i in enumerate(batch):
                label_out[i] = labels[row]
                tag_out[i] = tags[row, : len(windows[i])]
        return label_out, tag_out

    def stitched(self, texts: Sequence[str]) -> list[Stitched | None]:
        """Merged window outputs per text; ``None`` for a text without tokens."""
        per_text = encode_many(
            [text if text.strip() else "" for text in texts],
            self.tokenizer,
            self.max_length,
            self.stride,
        )
        flat = [window for windows in per_text for window in windows]
        views = None
        if self.reads_rules:
            per_view = rule_views(texts)
            views = [
                view for view, windows in zip(per_view, per_text, strict=True) for _ in windows
            ]
        label_logits, tag_logits = self._run(flat, views)
        results: list[Stitched | None] = []
        position = 0
        for windows in per_text:
            n = len(windows)
            if n == 0:
                results.append(None)
            else:
                span = slice(position, position + n)
                results.append(stitch(windows, label_logits[span], tag_logits[span]))
            position += n
        return results

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(texts × labels) label probabilities; zeros for a text without tokens."""
        rows = [
            _sigmoid(s.label_logits) if s is not None else np.zeros(len(MEASURE_LABELS))
            for s in self.stitched(texts)
        ]
        return np.stack(rows) if rows else np.zeros((0, len(MEASURE_LABELS)))

    def predict(self, texts: list[str]) -> list[Prediction]:
        return [
            decode(text, result, self.thresholds, self.span_threshold)
            for text, result in zip(texts, self.stitched(texts), strict=True)
        ]

    @classmethod
    def load(
        cls,
        model_dir: Path,
        *,
        runtime: str = AUTO,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        num_threads: int | None = None,
    ) -> BertPredictor:
        """Load a directory written by ``save_model_dir``, checking every part first.

        ``runtime`` is one of ``RUNTIMES``, or ``auto``: the fastest the manifest
        records as exported and agreeing (see ``runtime.candidates``), falling back
        to the next when one cannot be loaded here. ``torch-int8`` may always be
        asked for by name; it is quantised at load time.
        """
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise ModelError(f"{model_dir}: no such model directory")
        manifest = read_manifest(model_dir)
        if runtime != AUTO:
            return cls._load(
                model_dir, manifest, runtime, batch_size, max_batch_tokens, num_threads
            )
        options = candidates(manifest, model_dir)
        for name in options[:-1]:
            try:
                return cls._load(
                    model_dir, manifest, name, batch_size, max_batch_tokens, num_threads
                )
            except ModelError as exc:
                logger.warning("runtime %s unavailable, trying the next: %s", name, exc)
        return cls._load(
            model_dir, manifest, options[-1], batch_size, max_batch_tokens, num_threads
        )

    @classmethod
    def _load(
        cls,
        model_dir: Path,
        manifest: dict[str, Any],
        runtime: str,
        batch_size: int,
        max_batch_tokens: int,
        num_threads: int | None,
    ) -> BertPredictor:
        forward: Runtime
        if runtime in (TORCH, TORCH_INT8):
            _check_weights(model_dir / WEIGHTS_FILE)
            model = _load_network(model_dir)
            config = model.config
            forward = TorchRuntime(
                quantize_torch(model) if runtime == TORCH_INT8 else model, name=runtime
            )
        elif runtime in ONNX_RUNTIMES:
            if not usable(runtime, manifest, model_dir):
                raise ModelError(
                    f"{model_dir}: no usable {runtime} runtime (the manifest lists "
                    f"{manifest.get('runtimes')}); run `policytag export` or pick another runtime"
                )
            config = _load_config(model_dir)
            path = model_dir / manifest["export"]["files"][runtime]
            forward = OnnxRuntime(path, name=runtime, num_threads=num_threads)
        else:
            raise ModelError(f"unknown runtime {runtime!r}; choose {AUTO} or one of {RUNTIMES}")
        tokenizer = load_tokenizer(model_dir)
        if len(tokenizer) > config.vocab_size:
            raise ModelError(
                f"{model_dir}: tokenizer has {len(tokenizer)} tokens but the model's vocabulary "
                f"only {config.vocab_size}"
            )
        if manifest["max_length"] > config.max_position_embeddings:
            raise ModelError(
                f"{model_dir}: max_length {manifest['max_length']} exceeds the model's "
                f"{config.max_position_embeddings} positions"
            )
        return cls(
            forward,
            tokenizer,
            thresholds=manifest["thresholds"],
            version=str(manifest["version"]),
            max_length=int(manifest["max_length"]),
            stride=int(manifest.get("stride", DEFAULT_STRIDE)),
            batch_size=batch_size,
            max_batch_tokens=max_batch_tokens,
            num_threads=num_threads,
            manifest=manifest,
        )


# The model directory


def _check_thresholds(thresholds: object, where: str) -> dict[MeasureLabel, float]:
    if not isinstance(thresholds, dict) or set(thresholds) != set(MEASURE_LABELS):
        raise ModelError(f"{where}: thresholds must give one value for each of {MEASURE_LABELS}")
    for label, value in thresholds.items():
        if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise ModelError(f"{where}: threshold for {label!r} must be in [0, 1], not {value!r}")
    return {label: float(thresholds[label]) for label in MEASURE_LABELS}


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """The validated ``policytag.json`` of a bert model directory."""
    path = Path(model_dir) / MANIFEST_FILE
    if not path.is_file():
        raise ModelError(f"{model_dir}: not a model directory (no {MANIFEST_FILE})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path}: corrupt manifest ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ModelError(f"{path}: corrupt manifest (not a JSON object)")
    if manifest.get("type") != MODEL_TYPE:
        raise ModelError(f"{path}: type is {manifest.get('type')!r}, not {MODEL_TYPE!r}")
    for key in ("version", "labels", "tags", "thresholds", "max_length"):
        if key not in manifest:
            raise ModelError(f"{path}: corrupt manifest (no {key!r})")
    if manifest["labels"] != list(MEASURE_LABELS):
        raise ModelError(
            f"{path}: the model's labels {manifest['labels']} do not match this code's "
            f"{list(MEASURE_LABELS)}; retrain the model"
        )
    if manifest["tags"] != list(TAGS):
        raise ModelError(
            f"{path}: the model's entity tags {manifest['tags']} do not match this code's "
            f"{list(TAGS)}; retrain the model"
        )
    if not isinstance(manifest["max_length"], int) or manifest["max_length"] < 3:
        raise ModelError(f"{path}: max_length must be an integer ≥ 3")
    runtimes = manifest.setdefault("runtimes", [TORCH])
    if not isinstance(runtimes, list) or not set(runtimes) <= set(RUNTIMES):
        raise ModelError(f"{path}: runtimes must be a list drawn from {list(RUNTIMES)}")
    manifest["thresholds"] = _check_thresholds(manifest["thresholds"], str(path))
    span_threshold = manifest.get("span_threshold", 0.0)
    if not isinstance(span_threshold, int | float) or not 0.0 <= span_threshold <= 1.0:
        raise ModelError(f"{path}: span_threshold must be in [0, 1], not {span_threshold!r}")
    return manifest


def _check_weights(path: Path) -> None:
    """Refuse a missing, truncated or garbled safetensors file before torch sees it.

    The format is an 8-byte little-endian header length, a JSON header whose
    ``data_offsets`` locate every tensor, then the data; a complete file ends
    exactly where the last tensor does.
    """
    if not path.is_file():
        raise ModelError(f"{path.parent}: no weights ({path.name} is missing)")
    size = path.stat().st_size
    try:
        with path.open("rb") as handle:
            (header_len,) = struct.unpack("<Q", handle.read(8))
            if 8 + header_len > size:
                raise ValueError("header runs past the end of the file")
            header = json.loads(handle.read(header_len))
        end = max(
            (entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"),
            default=0,
        )
    except (OSError, struct.error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelError(f"{path}: corrupt weights file ({exc})") from exc
    if 8 + header_len + end != size:
        raise ModelError(
            f"{path}: truncated or corrupt weights ({size} bytes, the header needs "
            f"{8 + header_len + end}); copy or train the model again"
        )


def _check_config(model_dir: Path, config: BertConfig) -> None:
    if list(getattr(config, "measure_labels", None) or []) != list(MEASURE_LABELS):
        raise ModelError(
            f"{model_dir}: {CONFIG_FILE} labels {getattr(config, 'measure_labels', None)} do "
            f"not match this code's {list(MEASURE_LABELS)}; retrain the model"
        )
    if list(getattr(config, "tag_names", None) or []) != list(TAGS):
        raise ModelError(f"{model_dir}: {CONFIG_FILE} tags do not match this code's {list(TAGS)}")


def _load_config(model_dir: Path) -> BertConfig:
    """The network's config alone, for runtimes that need no torch weights."""
    if not (model_dir / CONFIG_FILE).is_file():
        raise ModelError(f"{model_dir}: no {CONFIG_FILE}")
    try:
        config = BertConfig.from_pretrained(model_dir)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{model_dir}: corrupt {CONFIG_FILE} ({exc.__class__.__name__})") from exc
    _check_config(model_dir, config)
    return config


def _load_network(model_dir: Path) -> JointBertModel:
    if not (model_dir / CONFIG_FILE).is_file():
        raise ModelError(f"{model_dir}: no {CONFIG_FILE}")
    try:
        model, info = JointBertModel.from_pretrained(model_dir, output_loading_info=True)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, SafetensorError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelError(
            f"{model_dir}: cannot load the network ({exc.__class__.__name__}: {first_line})"
        ) from exc
    if info["missing_keys"] or info["mismatched_keys"]:
        missing = sorted(info["missing_keys"]) + sorted(str(k) for k in info["mismatched_keys"])
        raise ModelError(
            f"{model_dir}: weights do not fit the joint model (missing or misshaped: "
            f"{', '.join(missing[:5])}); is this a fine-tuned policytag model?"
        )
    _check_config(model_dir, model.config)
    return model


def save_model_dir(
    model: JointBertModel,
    tokenizer: PreTrainedTokenizerFast,
    manifest: dict[str, Any],
    out_dir: Path,
) -> Path:
    """Write weights, tokenizer and ``policytag.json`` to ``out_dir`` atomically.

    ``manifest`` must give ``version``, ``thresholds`` and ``base_model``; the
    fixed fields (type, labels, entity types, tags, runtimes, created) are filled
    here, so every bert directory describes itself the same way. A fresh directory
    has the ``torch`` runtime only: exported files are never carried over.
    """
    for key in ("version", "thresholds", "base_model"):
        if key not in manifest:
            raise ModelError(f"cannot save a bert model without {key!r} in its manifest")
    if list(model.config.measure_labels) != list(MEASURE_LABELS):
        raise ModelError(f"model labels {model.config.measure_labels} are not {MEASURE_LABELS}")
    full = {
        "type": MODEL_TYPE,
        "version": str(manifest["version"]),
        "labels": list(MEASURE_LABELS),
        "entity_types": list(ENTITY_TYPES),
        "tags": list(TAGS),
        "thresholds": _check_thresholds(manifest["thresholds"], "manifest"),
        "max_length": int(manifest.get("max_length", DEFAULT_MAX_LENGTH)),
        "stride": int(manifest.get("stride", DEFAULT_STRIDE)),
        "base_model": str(manifest["base_model"]),
        "created": manifest.get("created") or datetime.now(UTC).isoformat(timespec="seconds"),
        "runtimes": [TORCH],  # `policytag export` adds the others, with their files
        "weights": WEIGHTS_FILE,
        "tokenizer": {"lowercase": True},
    }
    extra = {k: v for k, v in manifest.items() if k not in full and k != "export"}
    out_dir = Path(out_dir)
    with atomic.directory(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if not (tmp / WEIGHTS_FILE).is_file():
            raise ModelError(f"save_pretrained wrote no {WEIGHTS_FILE} (sharded model?)")
        atomic.write_text(
            tmp / MANIFEST_FILE, json.dumps({**full, **extra}, ensure_ascii=False, indent=2)
        )
    return out_dir
