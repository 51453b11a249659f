"""HTTP service under concurrent load: ``policytag serve`` on a loopback port.

    python benchmarks/bench_service.py [--model DIR] [--concurrency 8] [--requests 200]

Starts the service as a subprocess (``POLICYTAG_MODEL`` = the model directory, a
throw-away data dir), waits until ``/ready``, then sends ``POST /classify``
requests of pool paragraphs from ``--concurrency`` client threads until
``--requests`` are answered or ``--max-seconds`` pass, and stops the server. It
reports requests and texts per second, latency percentiles and errors, prints a
table and writes JSON. The model is resolved as in ``bench_inference.py``: the
given directory, else the store's bert, else a generated compact BERT.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import environment, read_pool, resolve_model

from policytag.settings import get_settings

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def post_json(url: str, body: dict[str, Any], timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def start_server(
    model_dir: Path, port: int, data_dir: Path, workers: int, log: Path
) -> subprocess.Popen:
    env = {
        **os.environ,
        "POLICYTAG_MODEL": str(model_dir),
        "POLICYTAG_DATA_DIR": str(data_dir),
    }
    command = [sys.executable, "-m", "policytag", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM the server's own process group (uvicorn workers included), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def wait_ready(base: str, process: subprocess.Popen, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited with {process.returncode} before it was ready")
        try:
            status, _ = get_json(f"{base}/ready")
            if status == 200:
                return get_json(f"{base}/model")[1] or {}
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the service was not ready within {timeout:.0f} s")


def load(
    base: str,
    texts: list[str],
    *,
    concurrency: int,
    requests: int,
    max_seconds: float,
    texts_per_request: int,
    timeout: float,
) -> dict[str, Any]:
    """Fire requests from ``concurrency`` threads; stop at ``requests`` or ``max_seconds``."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    errors: dict[str, int] = {}
    texts_done = 0
    deadline = time.monotonic() + max_seconds

    def worker(seed: int) -> None:
        nonlocal issued, texts_done
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            with lock:
                if issued >= requests:
                    return
                issued += 1
            batch = rng.sample(texts, texts_per_request)
            tick = time.perf_counter()
            try:
                status, _ = post_json(
                    f"{base}/classify", {"texts": batch, "include_metadata": False}, timeout
                )
            except OSError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - tick
            with lock:
                if status == 200:
                    latencies.append(elapsed * 1000)
                    texts_done += len(batch)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    tick = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker, i) for i in range(concurrency)]:
            future.result()
    wall = time.perf_counter() - tick
    values = np.asarray(latencies) if latencies else np.asarray([float("nan")])
    return {
        "requests_ok": len(latencies),
        "errors": errors,
        "wall_seconds": round(wall, 2),
        "requests_per_second": round(len(latencies) / wall, 2),
        "texts_per_second": round(texts_done / wall, 2),
        "latency_ms": {
            "p50": round(float(np.percentile(values, 50)), 1),
            "p95": round(float(np.percentile(values, 95)), 1),
            "p99": round(float(np.percentile(values, 99)), 1),
            "max": round(float(values.max()), 1),
        },
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="Model dir (default: the store's bert).")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/results/service.json")
    parser.add_argument("--port", type=int, default=0, help="Loopback port [a free one].")
    parser.add_argument("--workers", type=int, default=1, help="Uvicorn worker processes.")
    parser.add_argument("--concurrency", type=int, default=8, help="Client threads.")
    parser.add_argument("--requests", type=int, default=200, help="Stop after this many.")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="Or after this long.")
    parser.add_argument("--texts-per-request", type=int, default=1)
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=13)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    texts = [p["text"] for p in read_pool(get_settings().pool_file)]
    if not texts:
        raise SystemExit(f"no pool texts at {get_settings().pool_file}")
    with tempfile.TemporaryDirectory(prefix="policytag-bench-service-") as tmp:
        scratch = Path(tmp)
        model_dir, origin = resolve_model(args.model, scratch)
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        log = scratch / "server.log"
        tick = time.perf_counter()
        server = start_server(model_dir, port, scratch / "data", args.workers, log)
        try:
            model = wait_ready(base, server, args.startup_timeout)
            startup = time.perf_counter() - tick
            # Warm-up: the first requests pay for allocations and lazy imports.
            for text in texts[:4]:
                post_json(f"{base}/classify", {"text": text}, args.request_timeout)
            result = load(
                base,
                texts,
                concurrency=args.concurrency,
                requests=args.requests,
                max_seconds=args.max_seconds,
                texts_per_request=args.texts_per_request,
                timeout=args.request_timeout,
            )
        finally:
            stop_server(server)
        server_log = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    report = {
        "env": environment(None),
        "model": {"dir": str(model_dir), "origin": origin, "served": model.get("version")},
        "load": {
            "concurrency": args.concurrency,
            "workers": args.workers,
            "texts_per_request": args.texts_per_request,
            "requests": args.requests,
            "max_seconds": args.max_seconds,
            "startup_seconds": round(startup, 1),
        },
        "result": result,
    }
    if result["errors"]:
        report["server_log_tail"] = server_log
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    latency = result["latency_ms"]
    print(
        "| concurrency | requests ok | errors | requests/s | texts/s | p50 ms | p95 ms | p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.concurrency} | {result['requests_ok']} | {sum(result['errors'].values())} | "
        f"{result['requests_per_second']} | {result['texts_per_second']} | {latency['p50']} | "
        f"{latency['p95']} | {latency['p99']} |"
    )
    print(
        f"model {model.get('version')} ({origin}); service up in {startup:.1f} s; wrote {args.json}"
    )


if __name__ == "__main__":
    main()
