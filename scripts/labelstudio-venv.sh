#!/usr/bin/env bash
# Create Label Studio's own venv, or reuse it when it is already there, and print its
# path. CI runs this before the tests and may cache the printed folder; the integration
# test and `policytag annotate server start` use the same venv.
#   default:  .policytag/labelstudio-venv   (POLICYTAG_LABEL_STUDIO_VENV overrides)
set -euo pipefail
cd "$(dirname "$0")/.."
export POLICYTAG_LABEL_STUDIO_VENV="${POLICYTAG_LABEL_STUDIO_VENV:-$PWD/.policytag/labelstudio-venv}"
exec .venv/bin/policytag annotate server install "$@"
