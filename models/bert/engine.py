"""Inference with the joint BERT, and the model directory it is saved in.

Prediction runs in named steps: prepare (windows per text) → batch (windows
sorted by length, padded only to the longest in their batch) → run (under
``torch.inference_mode``) → map back (stitch windows, thresholds, BIO → spans).

A model directory holds ``model.safetensors`` + ``config.json`` (the network),
the tokenizer files and ``policytag.json`` (the manifest). Loading checks each
part and raises one ``ModelError`` that names the problem, never a torch or
safetensors traceback.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from transformers import PreTrainedTokenizerFast

from models import atomic
from models.bert.encoding import Stitched, Window, encode_many, stitch, tags_to_spans
from models.bert.model import JointBertModel
from models.bert.tags import TAGS
from models.bert.tokenizer import load_tokenizer
from models.errors import ModelError
from models.predict import MANIFEST_FILE
from models.schema import ENTITY_TYPES, MEASURE_LABELS, MeasureLabel, Prediction

MODEL_TYPE = "bert"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
DEFAULT_MAX_LENGTH = 256
DEFAULT_STRIDE = 64
DEFAULT_BATCH_SIZE = 16


def _empty_prediction() -> Prediction:
    return Prediction(labels=[], scores=dict.fromkeys(MEASURE_LABELS, 0.0), entities=[])


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


class BertPredictor:
    """The fine-tuned joint BERT behind the ``Predictor`` interface."""

    name = MODEL_TYPE

    def __init__(
        self,
        model: JointBertModel,
        tokenizer: PreTrainedTokenizerFast,
        *,
        thresholds: dict[MeasureLabel, float],
        version: str,
        max_length: int = DEFAULT_MAX_LENGTH,
        stride: int = DEFAULT_STRIDE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        num_threads: int | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        """``num_threads`` sets torch's intra-op threads for the process; None keeps torch's."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.thresholds = {label: float(thresholds[label]) for label in MEASURE_LABELS}
        self.version = version
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.manifest = dict(manifest or {})
        if num_threads:
            torch.set_num_threads(num_threads)

    # prepare → batch → run → map back

    def _batches(self, windows: list[Window]) -> list[list[int]]:
        """Window indices, longest first, cut into batches of similar length."""
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def _run(self, windows: list[Window]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Label and tag logits per window, in the windows' order."""
        label_out: list[np.ndarray] = [np.empty(0)] * len(windows)
        tag_out: list[np.ndarray] = [np.empty(0)] * len(windows)
        pad_id = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for batch in self._batches(windows):
                width = max(len(windows[i]) for i in batch)
                input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                attention = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids = windows[i].input_ids
                    input_ids[row, : len(ids)] = torch.tensor(ids)
                    attention[row, : len(ids)] = 1
                output = self.model(
                    input_ids=input_ids,
                    attention_mask=attention,
                    token_type_ids=torch.zeros_like(input_ids),
                )
                labels = output.label_logits.float().numpy()
                tags = output.tag_logits.float().numpy()
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
        label_logits, tag_logits = self._run(flat)
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
        predictions = []
        for text, result in zip(texts, self.stitched(texts), strict=True):
            if result is None:
                predictions.append(_empty_prediction())
                continue
            probs = _sigmoid(result.label_logits)
            scores = {label: float(p) for label, p in zip(MEASURE_LABELS, probs, strict=True)}
            tag_probs = _softmax(result.tag_logits)
            entities = tags_to_spans(
                text, result.offsets, tag_probs.argmax(axis=-1), tag_probs.max(axis=-1)
            )
            labels = [label for label in MEASURE_LABELS if scores[label] >= self.thresholds[label]]
            predictions.append(Prediction(labels=labels, scores=scores, entities=entities))
        return predictions

    @classmethod
    def load(
        cls,
        model_dir: Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        num_threads: int | None = None,
    ) -> BertPredictor:
        """Load a directory written by ``save_model_dir``, checking every part first."""
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise ModelError(f"{model_dir}: no such model directory")
        manifest = read_manifest(model_dir)
        _check_weights(model_dir / WEIGHTS_FILE)
        model = _load_network(model_dir)
        tokenizer = load_tokenizer(model_dir)
        if len(tokenizer) > model.config.vocab_size:
            raise ModelError(
                f"{model_dir}: tokenizer has {len(tokenizer)} tokens but the model's vocabulary "
                f"only {model.config.vocab_size}"
            )
        if manifest["max_length"] > model.config.max_position_embeddings:
            raise ModelError(
                f"{model_dir}: max_length {manifest['max_length']} exceeds the model's "
                f"{model.config.max_position_embeddings} positions"
            )
        return cls(
            model,
            tokenizer,
            thresholds=manifest["thresholds"],
            version=str(manifest["version"]),
            max_length=int(manifest["max_length"]),
            stride=int(manifest.get("stride", DEFAULT_STRIDE)),
            batch_size=batch_size,
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
    manifest["thresholds"] = _check_thresholds(manifest["thresholds"], str(path))
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
    if list(model.config.measure_labels) != list(MEASURE_LABELS):
        raise ModelError(
            f"{model_dir}: {CONFIG_FILE} labels {model.config.measure_labels} do not match "
            f"this code's {list(MEASURE_LABELS)}; retrain the model"
        )
    if list(model.config.tag_names) != list(TAGS):
        raise ModelError(f"{model_dir}: {CONFIG_FILE} tags do not match this code's {list(TAGS)}")
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
    here, so every bert directory describes itself the same way.
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
        "runtimes": list(manifest.get("runtimes", ["torch"])),
        "weights": WEIGHTS_FILE,
        "tokenizer": {"lowercase": True},
    }
    extra = {k: v for k, v in manifest.items() if k not in full}
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
