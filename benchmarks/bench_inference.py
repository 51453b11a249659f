"""Inference throughput: a naive pipeline against the engine in torch, int8 torch, ONNX, int8 ONNX.

    python benchmarks/bench_inference.py [--model DIR] [--json OUT.json] [--plot OUT.png]

One process, the same texts for every variant, interleaved repetitions (the order
rotates each round, so a busy neighbour slows everyone alike) and a correctness
check before the timings count: every variant's predictions are compared with the
engine's fp32 torch predictions, decision by decision.

- **naive**: what a plain transformers loop does: one text at a time, each window
  padded to ``max_length``, fp32 under ``torch.no_grad``. It uses the same windows,
  stitching and decoding, so its predictions match and only the speed differs.
- **torch** / **torch-int8** / **onnx** / **onnx-int8**: ``BertPredictor`` with
  that runtime: length-sorted batches padded to their longest window.

The model is ``--model``, else the store's current bert
(``ModelStore(get_settings().store_dir).resolve("bert")``), else a generated
compact BERT with random weights (4 layers, hidden 256: the size ``policytag
pretrain`` builds), which times the same but makes agreement less telling. A model
directory without ONNX files is exported into a temporary copy first (the store
is never written to). Peak RSS is measured per variant in a child process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from bench_common import environment, read_pool, resolve_model

from models.bert.encoding import Window, encode, stitch
from models.bert.engine import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_BATCH_TOKENS,
    BertPredictor,
    decode,
    read_manifest,
)
from models.bert.export import Agreement, agreement, export_model
from models.bert.model import JointBertModel
from models.bert.rule_features import RuleView, rule_inputs, rule_views
from models.bert.runtime import ONNX, ONNX_INT8, TORCH, TORCH_INT8, candidates
from models.bert.tokenizer import load_tokenizer
from models.examples import load_examples
from models.schema import Prediction
from policytag.settings import get_settings

REPO = Path(__file__).resolve().parents[1]

NAIVE = "naive"
VARIANTS = (NAIVE, TORCH, TORCH_INT8, ONNX, ONNX_INT8)
SWEEP_VARIANTS = (TORCH, TORCH_INT8, ONNX, ONNX_INT8)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)
LATENCY_CHARS = 300


# --------------------------------------------------------------------------- the naive baseline


class NaivePredictor:
    """One text at a time, each window padded to ``max_length``, no batching or bucketing."""

    name = NAIVE

    def __init__(self, model_dir: Path) -> None:
        manifest = read_manifest(model_dir)
        self.model = JointBertModel.from_pretrained(model_dir).eval()
        self.tokenizer = load_tokenizer(model_dir)
        self.thresholds = manifest["thresholds"]
        self.span_threshold = float(manifest.get("span_threshold") or 0.0)
        self.max_length = int(manifest["max_length"])
        self.stride = int(manifest.get("stride", 64))
        self.pad_id = self.tokenizer.pad_token_id or 0

    def _forward(self, window: Window, view: RuleView | None) -> tuple[np.ndarray, np.ndarray]:
        ids = window.input_ids
        input_ids = torch.full((1, self.max_length), self.pad_id, dtype=torch.long)
        attention = torch.zeros((1, self.max_length), dtype=torch.long)
        input_ids[0, : len(ids)] = torch.tensor(ids)
        attention[0, : len(ids)] = 1
        extra = {}
        if view is not None:  # the hybrid model also reads the rules' features
            extra = {
                name: torch.from_numpy(array)
                for name, array in rule_inputs([view], [window], self.max_length).items()
            }
        with torch.no_grad():
            out = self.model(
                input_ids=input_ids,
                attention_mask=attention,
                token_type_ids=torch.zeros_like(input_ids),
                **extra,
            )
        return out.label_logits[0].numpy(), out.tag_logits[0].numpy()

    def predict(self, texts: list[str]) -> list[Prediction]:
        predictions = []
        for text in texts:
            windows = encode(text, self.tokenizer, self.max_length, self.stride)
            view = rule_views([text])[0] if self.model.config.rule_features else None
            outputs = [self._forward(window, view) for window in windows]
            result = (
                stitch(windows, [o[0] for o in outputs], [o[1] for o in outputs])
                if windows
                else None
            )
            predictions.append(decode(text, result, self.thresholds, self.span_threshold))
        return predictions


# --------------------------------------------------------------------------- model and texts


def length_mixes(scale: float, seed: int) -> dict[str, list[str]]:
    """Seed segments, short and natural pool paragraphs, and long joined documents."""
    settings = get_settings()
    rng = random.Random(seed)
    n = max(8, int(48 * scale))
    mixes: dict[str, list[str]] = {}
    if settings.gold_file.is_file():
        seeds = [ex.text for ex in load_examples(settings.gold_file)]
        mixes["seeds"] = rng.sample(seeds, min(n, len(seeds)))
    pool = read_pool(settings.pool_file)
    if pool:
        short = [p["text"] for p in pool if len(p["text"]) <= 100]
        mixes["pool-short"] = rng.sample(short, min(n, len(short)))
        mixes["pool-natural"] = [p["text"] for p in rng.sample(pool, min(n, len(pool)))]
        docs: dict[str, list[str]] = {}
        for p in pool:
            docs.setdefault(p["doc_id"], []).append(p["text"])
        long_docs = []
        for paragraphs in docs.values():
            text = ""
            for paragraph in paragraphs:
                text += paragraph
                if len(text) >= 1500:
                    long_docs.append(text[:3000])
                    break
        mixes["long-docs"] = rng.sample(long_docs, min(max(2, int(6 * scale)), len(long_docs)))
    if not mixes:
        raise SystemExit("no texts: neither seeds/gold.jsonl nor the pool is readable")
    return mixes


def latency_texts(mixes: dict[str, list[str]], count: int) -> list[str]:
    """Texts of exactly ``LATENCY_CHARS`` characters, cut from the longer texts."""
    joined = "".join(t for texts in mixes.values() for t in texts)
    step = max(LATENCY_CHARS, (len(joined) - LATENCY_CHARS) // max(count, 1))
    texts = [joined[i : i + LATENCY_CHARS] for i in range(0, len(joined) - LATENCY_CHARS, step)]
    return texts[:count]


# --------------------------------------------------------------------------- measuring


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory now (Linux ``/proc``; elsewhere the peak)."""
    return _proc_status_mb("VmRSS") or peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    ``VmHWM`` where there is ``/proc``: unlike ``ru_maxrss`` it starts afresh at
    ``exec``, so a child does not inherit its parent's peak.
    """
    peak = _proc_status_mb("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def load_variant(
    name: str,
    model_dir: Path,
    threads: int,
    args_batch_size: int = DEFAULT_BATCH_SIZE,
    args_max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
) -> Any:
    if name == NAIVE:
        return NaivePredictor(model_dir)
    return BertPredictor.load(
        model_dir,
        runtime=name,
        batch_size=args_batch_size,
        max_batch_tokens=args_max_batch_tokens,
        num_threads=threads,
    )


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(predict: Callable[[list[str]], list[Prediction]], texts: list[str]) -> tuple[list, float]:
    tick = time.perf_counter()
    predictions = predict(texts)
    return predictions, time.perf_counter() - tick


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def rss_child(variant: str, model_dir: Path, threads: int, texts_file: Path) -> None:
    """Runs in a fresh process: load one variant, predict, print memory as JSON."""
    torch.set_num_threads(threads)
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    before = rss_mb()
    predictor = load_variant(variant, model_dir, threads)
    loaded = rss_mb()
    predictor.predict(texts)
    print(
        json.dumps(
            {
                "rss_before_load_mb": round(before, 1),
                "rss_after_load_mb": round(loaded, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


def measure_rss(variant: str, model_dir: Path, threads: int, texts_file: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--rss-child",
        variant,
        "--model",
        str(model_dir),
        "--threads",
        str(threads),
        "--texts-file",
        str(texts_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the run


def prepare_model_dir(source: Path, scratch: Path, say: Callable[[str], None]) -> tuple[Path, bool]:
    """A copy of the model with every runtime's files; exported there if it has none."""
    copy = scratch / "model"
    shutil.copytree(source, copy)
    manifest = read_manifest(copy)
    files = (manifest.get("export") or {}).get("files") or {}
    if ONNX in files and ONNX_INT8 in files:
        return copy, False
    say("exporting ONNX and int8 ONNX into a temporary copy (agreement recorded, not gated)")
    settings = get_settings()
    texts = (
        [ex.text for ex in load_examples(settings.gold_file)]
        if settings.gold_file.is_file()
        else ["明珠计划"]
    )
    export_model(copy, texts, int8=True, min_agreement=0.0)
    return copy, True


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", flush=True)

    threads = args.threads or get_settings().torch_threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    env = environment(threads)
    scratch = Path(tempfile.mkdtemp(prefix="policytag-bench-"))
    try:
        source, origin = resolve_model(args.model, scratch)
        say(f"model: {source} ({origin})")
        model_dir, exported_here = prepare_model_dir(source, scratch, say)
        # described before the scratch folder (which may hold a generated model) goes
        described = describe_model(source, origin, exported_here)
        result = measure(model_dir, args, threads, say, Clock(args.budget_seconds))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    env["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "env": env,
        "model": described,
        **result,
        "seconds": round(time.perf_counter() - started, 1),
    }


def describe_model(source: Path, origin: str, exported_here: bool) -> dict[str, Any]:
    manifest = read_manifest(source)
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    return {
        "dir": str(source),
        "origin": origin,
        "version": manifest["version"],
        "base_model": manifest.get("base_model"),
        "layers": config.get("num_hidden_layers"),
        "hidden": config.get("hidden_size"),
        "heads": config.get("num_attention_heads"),
        "intermediate": config.get("intermediate_size"),
        "vocab": config.get("vocab_size"),
        "max_length": manifest["max_length"],
        "stride": manifest.get("stride"),
        "runtimes": manifest.get("runtimes", [TORCH]),
        "auto_runtime": candidates(manifest, source)[0],
        "onnx_exported_for_benchmark": exported_here,
    }


@dataclass
class Clock:
    """The run's time budget; optional repetitions stop when their share is spent."""

    budget: float
    start: float = field(default_factory=time.perf_counter)

    def before(self, fraction: float) -> bool:
        return time.perf_counter() - self.start < fraction * self.budget


def measure(
    model_dir: Path,
    args: argparse.Namespace,
    threads: int,
    say: Callable[[str], None],
    clock: Clock,
) -> dict[str, Any]:
    mixes = length_mixes(args.scale, args.seed)
    all_texts = [t for texts in mixes.values() for t in texts]
    say("texts: " + ", ".join(f"{name} {len(texts)}" for name, texts in mixes.items()))

    predictors: dict[str, Any] = {}
    load_seconds: dict[str, float] = {}
    for name in VARIANTS:
        tick = time.perf_counter()
        predictors[name] = load_variant(
            name, model_dir, threads, args.batch_size, args.max_batch_tokens
        )
        load_seconds[name] = time.perf_counter() - tick
    say("loaded: " + ", ".join(f"{n} {s:.2f}s" for n, s in load_seconds.items()))

    for predictor in predictors.values():
        predictor.predict(all_texts[:8])  # warm-up: allocators, onnxruntime's first run

    # Round 1 always runs and gives the agreement (against the engine's fp32 torch
    # run of the same round); later rounds run while the throughput share lasts.
    timings = {name: {mix: Timing() for mix in mixes} for name in VARIANTS}
    first_round: dict[str, dict[str, list[Prediction]]] = {name: {} for name in VARIANTS}
    rounds = 0
    while rounds < args.repeats and (rounds == 0 or clock.before(0.3)):
        order = VARIANTS[rounds % len(VARIANTS) :] + VARIANTS[: rounds % len(VARIANTS)]
        for mix, texts in mixes.items():
            for name in order:
                predictions, seconds = timed(predictors[name].predict, texts)
                timings[name][mix].seconds.append(seconds)
                if rounds == 0:
                    first_round[name][mix] = predictions
        rounds += 1
        say(f"throughput round {rounds}/{args.repeats} done")
    agree = {
        name: sum(
            (agreement(first_round[TORCH][mix], first_round[name][mix]) for mix in mixes),
            Agreement(),
        )
        for name in VARIANTS
    }

    latency: dict[str, list[float]] = {name: [] for name in VARIANTS}
    single = latency_texts(mixes, args.latency_texts)
    for text in single[:2]:
        for name in VARIANTS:
            predictors[name].predict([text])
    for i, text in enumerate(single):
        if i >= 5 and not clock.before(0.45):
            break
        for name in VARIANTS[i % len(VARIANTS) :] + VARIANTS[: i % len(VARIANTS)]:
            _, seconds = timed(predictors[name].predict, [text])
            latency[name].append(seconds * 1000)
    say(f"latency: {len(latency[NAIVE])} texts of {LATENCY_CHARS} characters")

    memory: dict[str, dict[str, Any]] = {}
    if args.rss:
        texts_file = model_dir.parent / "rss-texts.json"
        rss_texts = (mixes.get("pool-natural") or all_texts)[:16]
        texts_file.write_text(json.dumps(rss_texts, ensure_ascii=False), encoding="utf-8")
        for name in VARIANTS:
            memory[name] = measure_rss(name, model_dir, threads, texts_file)
        say("peak RSS measured in a child process per variant")

    sweep_texts = mixes.get("pool-natural") or all_texts
    sweep: dict[str, dict[str, float]] = {name: {} for name in SWEEP_VARIANTS}
    sweeps = 0
    while sweeps < args.sweep_repeats and (sweeps == 0 or clock.before(0.8)):
        sweeps += 1
        for size in args.batch_sizes:
            for name in SWEEP_VARIANTS:
                predictor = predictors[name]
                predictor.batch_size, predictor.max_batch_tokens = size, 10**9  # size alone
                _, seconds = timed(predictor.predict, sweep_texts)
                best = max(sweep[name].get(str(size), 0.0), len(sweep_texts) / seconds)
                sweep[name][str(size)] = round(best, 2)
                predictor.batch_size = args.batch_size
                predictor.max_batch_tokens = args.max_batch_tokens
    say(f"batch sweep over {list(args.batch_sizes)} on {len(sweep_texts)} texts, {sweeps}×")
    in_process_peak = peak_rss_mb()
    del predictors

    n_total = sum(len(texts) for texts in mixes.values())
    naive_total = sum(timings[NAIVE][mix].median for mix in mixes)
    variants: dict[str, Any] = {}
    for name in VARIANTS:
        total = sum(timings[name][mix].median for mix in mixes)
        variants[name] = {
            "texts_per_second": round(n_total / total, 2),
            "speedup_vs_naive": round(naive_total / total, 2),
            "per_mix": {
                mix: {
                    "texts_per_second": round(len(texts) / timings[name][mix].median, 2),
                    "speedup_vs_naive": round(
                        timings[NAIVE][mix].median / timings[name][mix].median, 2
                    ),
                    "seconds": [round(s, 4) for s in timings[name][mix].seconds],
                }
                for mix, texts in mixes.items()
            },
            "latency_ms_300_chars": {
                "p50": round(percentile(latency[name], 50), 2),
                "p95": round(percentile(latency[name], 95), 2),
                "n": len(latency[name]),
            },
            "load_seconds": round(load_seconds[name], 3),
            "agreement": agree[name].to_dict(),
            "memory": memory.get(name, {}),
        }
    passing = [n for n in VARIANTS if n != NAIVE and agree[n].overall >= args.min_agreement]
    best = max(passing, key=lambda n: variants[n]["speedup_vs_naive"]) if passing else None
    return {
        "method": {
            "repeats": rounds,
            "budget_seconds": args.budget_seconds,
            "interleaved": True,
            "statistic": "median seconds per mix over the repeats",
            "reference": "engine, fp32 torch",
            "batch_size": args.batch_size,
            "max_batch_tokens": args.max_batch_tokens,
            "min_agreement": args.min_agreement,
            "mixes": {
                mix: {
                    "texts": len(texts),
                    "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
                    "max_chars": max(len(t) for t in texts),
                }
                for mix, texts in mixes.items()
            },
        },
        "variants": variants,
        "best": {
            "variant": best,
            "speedup_vs_naive": variants[best]["speedup_vs_naive"] if best else None,
            "agreement": variants[best]["agreement"]["overall"] if best else None,
        },
        "batch_sweep": {
            "texts": len(sweep_texts),
            "statistic": f"best of {sweeps} passes",
            "texts_per_second": sweep,
        },
        "in_process_peak_rss_mb": round(in_process_peak, 1),
    }


# --------------------------------------------------------------------------- reporting


def table(report: dict[str, Any]) -> str:
    """The results as a Markdown table (readable as plain text too)."""
    mixes = list(report["method"]["mixes"])
    header = [
        "variant",
        "texts/s",
        "speedup vs naive",
        *(f"{m} ×" for m in mixes),
        "p50 ms (300 chars)",
        "p95 ms",
        "load s",
        "peak RSS MB",
        "labels agree",
        "spans agree",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, v in report["variants"].items():
        row = [
            name,
            f"{v['texts_per_second']:.1f}",
            f"{v['speedup_vs_naive']:.2f}",
            *(f"{v['per_mix'][m]['speedup_vs_naive']:.2f}" for m in mixes),
            f"{v['latency_ms_300_chars']['p50']:.1f}",
            f"{v['latency_ms_300_chars']['p95']:.1f}",
            f"{v['load_seconds']:.2f}",
            f"{v['memory']['peak_rss_mb']:.0f}" if "peak_rss_mb" in v["memory"] else "—",
            f"{v['agreement']['labels']:.4f}",
            f"{v['agreement']['spans']:.4f}",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def sweep_table(report: dict[str, Any]) -> str:
    sweep = report["batch_sweep"]["texts_per_second"]
    sizes = list(next(iter(sweep.values())))
    lines = [
        "| batch size | " + " | ".join(sweep) + " |",
        "|" + "---|" * (len(sweep) + 1),
    ]
    for size in sizes:
        lines.append(f"| {size} | " + " | ".join(f"{sweep[n][size]:.1f}" for n in sweep) + " |")
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = report["batch_sweep"]["texts_per_second"]
    naive = report["variants"][NAIVE]["per_mix"].get("pool-natural", {}).get("texts_per_second")
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, points in sweep.items():
        sizes = [int(s) for s in points]
        ax.plot(sizes, list(points.values()), marker="o", label=f"engine, {name}")
    if naive:
        ax.axhline(naive, color="grey", linestyle="--", label="naive (batch 1, padded)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("batch size (windows per forward pass, no token cap)")
    ax.set_ylabel("texts per second")
    model = report["model"]
    ax.set_title(
        f"{report['batch_sweep']['texts']} pool paragraphs, {model['layers']}-layer "
        f"hidden-{model['hidden']} BERT, {report['env']['threads']} thread(s)"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="Model dir (default: the store's bert).")
    parser.add_argument(
        "--json", type=Path, default=REPO / "benchmarks" / "results" / "inference.json"
    )
    parser.add_argument(
        "--plot", type=Path, default=REPO / "benchmarks" / "results" / "throughput_vs_batch.png"
    )
    parser.add_argument("--threads", type=int, help="Torch and onnxruntime threads [all cores].")
    parser.add_argument(
        "--repeats", type=int, default=3, help="Interleaved rounds per mix (at most)."
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=210.0,
        help="Measuring time after which optional repetitions are skipped.",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="Texts per mix, relative.")
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Engine: windows per batch."
    )
    parser.add_argument(
        "--max-batch-tokens",
        type=int,
        default=DEFAULT_MAX_BATCH_TOKENS,
        help="Engine: padded tokens per batch.",
    )
    parser.add_argument(
        "--batch-sizes",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        default=BATCH_SIZES,
        help="Batch sizes for the sweep, comma-separated.",
    )
    parser.add_argument(
        "--sweep-repeats", type=int, default=2, help="Sweep passes; the best of them counts."
    )
    parser.add_argument("--latency-texts", type=int, default=20)
    parser.add_argument("--min-agreement", type=float, default=0.99)
    parser.add_argument("--no-rss", dest="rss", action="store_false", help="Skip child processes.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rss-child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.rss_child:
        rss_child(args.rss_child, args.model, args.threads, args.texts_file)
        return
    report = run(args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot(report, args.plot)
    model = report["model"]
    print()
    print(
        f"model {model['version']} ({model['origin']}, {model['layers']} layers, hidden "
        f"{model['hidden']}), {report['env']['threads']} threads, {report['env']['cpu']}"
    )
    print(table(report))
    print()
    print(sweep_table(report))
    best = report["best"]
    print(
        f"\nbest: {best['variant']} at {best['speedup_vs_naive']}× naive, agreement "
        f"{best['agreement']}; auto runtime of the model dir: {model['auto_runtime']}; "
        f"{report['seconds']} s; wrote {args.json}"
    )


if __name__ == "__main__":
    main()
