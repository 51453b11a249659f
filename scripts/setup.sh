#!/usr/bin/env bash
# Create .venv from nothing and install policytag with its dev tools.
# Safe to re-run: an existing venv is reused and only updated.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
echo "==> installing policytag and its dependencies (torch CPU build)"
# pip reports every local index folder it skips; those lines are noise.
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v -e "is ignored" -e "BuildBackendWarning" || true
.venv/bin/python -c "import torch, transformers, models, service, annotation; print('==> ready: torch', torch.__version__, '· transformers', transformers.__version__)"
