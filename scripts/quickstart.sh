#!/usr/bin/env bash
# From a fresh clone to the main job: set up, then segment the seed replies and
# show their metadata.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/policytag segment seeds/*.txt --format table
.venv/bin/policytag metadata seeds/*.txt --format table
