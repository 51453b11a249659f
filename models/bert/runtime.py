"""The forward pass behind ``BertPredictor``: PyTorch or onnxruntime, fp32 or int8.

The engine prepares windows, batches them and decodes the outputs itself; a
``Runtime`` only maps one padded batch to logits. So every runtime shares the
windowing, stitching, thresholds and BIO decoding, and differs only here.

Runtimes, by name:

- ``torch``: the fp32 network, under ``torch.inference_mode``.
- ``torch-int8``: the same network with its ``nn.Linear`` layers dynamically
  quantised at load time; the fallback when onnxruntime is not installed.
- ``onnx`` / ``onnx-int8``: the files ``policytag export`` wrote, run by onnxruntime.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from torch import nn

from models.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime

TORCH = "torch"
TORCH_INT8 = "torch-int8"
ONNX = "onnx"
ONNX_INT8 = "onnx-int8"
RUNTIMES = (TORCH, TORCH_INT8, ONNX, ONNX_INT8)
ONNX_RUNTIMES = (ONNX, ONNX_INT8)
# Fastest first on a CPU, when the manifest records no measured figures.
PREFERENCE = (ONNX_INT8, ONNX, TORCH_INT8, TORCH)
INPUT_NAMES = ("input_ids", "attention_mask")
# The hybrid model's extra inputs (models.bert.rule_features): float32 batch × labels,
# int64 batch × width.
RULE_INPUT_NAMES = ("rule_scores", "rule_tags")
OUTPUT_NAMES = ("label_logits", "tag_logits")


def input_names(rule_features: bool) -> tuple[str, ...]:
    return INPUT_NAMES + RULE_INPUT_NAMES if rule_features else INPUT_NAMES


class Runtime(Protocol):
    """One padded batch in (``input_names`` → array), label and tag logits out (float32).

    ``input_ids`` and ``attention_mask`` are int64, batch × width; a hybrid model
    also takes ``RULE_INPUT_NAMES``.
    """

    name: str
    input_names: tuple[str, ...]

    def __call__(self, feeds: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]: ...


class TorchRuntime:
    """A ``JointBertModel`` (or any module with its forward signature) in eval mode."""

    def __init__(self, model: nn.Module, name: str = TORCH) -> None:
        self.model = model.eval()
        self.name = name
        config = getattr(model, "config", None)
        self.input_names = input_names(bool(getattr(config, "rule_features", False)))

    def __call__(self, feeds: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        tensors = {name: torch.from_numpy(feeds[name]) for name in self.input_names}
        with torch.inference_mode():
            output = self.model(**tensors, token_type_ids=torch.zeros_like(tensors["input_ids"]))
        return output.label_logits.float().numpy(), output.tag_logits.float().numpy()


def quantize_torch(model: nn.Module) -> nn.Module:
    """An int8 copy: ``nn.Linear`` weights quantised ahead, activations at run time."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its move to torchao
        return quantize_dynamic(model.eval(), {nn.Linear}, dtype=torch.qint8)


def import_onnxruntime() -> Any:
    """onnxruntime, or a ModelError that says how to get it (or to use torch)."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelError(
            "onnxruntime is not installed: `pip install onnxruntime`, or load the model "
            "with runtime='torch' or 'torch-int8'"
        ) from exc
    return onnxruntime


def onnx_available() -> bool:
    try:
        import_onnxruntime()
    except ModelError:
        return False
    return True


class OnnxRuntime:
    """An exported model file in an onnxruntime CPU session."""

    def __init__(self, path: Path, name: str = ONNX, num_threads: int | None = None) -> None:
        ort = import_onnxruntime()
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"{path.parent}: no {path.name}; run `policytag export` again")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # As many threads as torch uses (all cores unless set), not onnxruntime's own guess.
        options.intra_op_num_threads = num_threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session: onnxruntime.InferenceSession = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelError(
                f"{path}: onnxruntime cannot load it ({exc.__class__.__name__}: {first_line})"
            ) from exc
        inputs = tuple(i.name for i in self.session.get_inputs())
        outputs = [o.name for o in self.session.get_outputs()]
        if inputs not in (input_names(False), input_names(True)) or outputs != list(OUTPUT_NAMES):
            raise ModelError(
                f"{path}: expected inputs {list(INPUT_NAMES)} (and {list(RULE_INPUT_NAMES)} "
                f"for a hybrid model) and outputs {list(OUTPUT_NAMES)}, found {list(inputs)} "
                f"and {outputs}; run `policytag export` again"
            )
        self.input_names = inputs
        self.name = name
        self.path = path

    def __call__(self, feeds: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        labels, tags = self.session.run(
            list(OUTPUT_NAMES), {name: feeds[name] for name in self.input_names}
        )
        return labels, tags


def usable(runtime: str, manifest: dict[str, Any], model_dir: Path) -> bool:
    """Whether ``runtime`` is recorded in the manifest and can run here."""
    if runtime not in manifest.get("runtimes", [TORCH]):
        return False
    if runtime in ONNX_RUNTIMES:
        files = (manifest.get("export") or {}).get("files") or {}
        return runtime in files and (model_dir / files[runtime]).is_file() and onnx_available()
    return True


def candidates(manifest: dict[str, Any], model_dir: Path) -> list[str]:
    """Usable runtimes, fastest first.

    Fastest by the texts per second ``policytag export`` measured when every
    candidate has one, else by the fixed order int8 ONNX > ONNX > int8 torch > torch;
    ``torch`` alone when nothing else is recorded or usable.
    """
    found = [r for r in PREFERENCE if usable(r, manifest, model_dir)]
    speed = (manifest.get("export") or {}).get("texts_per_second") or {}
    if found and all(isinstance(speed.get(r), int | float) for r in found):
        found.sort(key=lambda r: -float(speed[r]))
    return found or [TORCH]
