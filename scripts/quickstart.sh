#!/usr/bin/env bash
# From a fresh clone to the main job: set up, build the offline base model and a
# fine-tuned, promoted BERT if the store has none, then tag the seed replies with it.
# Re-running skips the steps whose results already exist.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PT=.venv/bin/policytag
has_bert() {
    .venv/bin/python -c "import sys; from models.registry import ModelStore; \
from policytag.settings import get_settings; \
sys.exit(0 if ModelStore(get_settings().store_dir).latest('bert') else 1)"
}
base_ready() {
    .venv/bin/python -c "import sys; from policytag.settings import get_settings; \
sys.exit(0 if get_settings().pretrained_base.is_dir() else 1)"
}
if ! has_bert; then
    if [ -z "${POLICYTAG_BASE_MODEL:-}" ] && ! base_ready; then
        echo "==> no base model: pretraining one offline (policytag pretrain)"
        $PT pretrain
    fi
    echo "==> no BERT in the store: fine-tuning one (policytag train --type bert)"
    $PT train --type bert
    echo "==> exporting it to ONNX (fp32 + int8, checked against torch)"
    $PT export bert || $PT export bert --no-int8 \
        || echo "export failed: the model runs on torch (see the message above)"
fi
$PT models list
$PT tag seeds/*.txt --model bert --out .policytag/seeds-tagged.jsonl --report .policytag/seeds-report.html
echo "==> tagged segments: .policytag/seeds-tagged.jsonl · report: .policytag/seeds-report.html"
