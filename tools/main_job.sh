#!/usr/bin/env bash
# The README's main job, after tools/setup_env.sh: generate the synthetic PaIR set, train the
# small PaIR-Net on it with `mim train`, evaluate it with `mim test` (HOI mAP and the contact
# metrics), draw the test predictions, plot the training curves, and print the result beside
# the range documented for it and where everything is.
#
# Environment: PAIR_CONFIG (default configs/pairnet_r18_synthetic.py; its _4e variant checks a
# set-up quickly but learns little), PAIR_WORK_DIR (default work_dirs/main_job), PAIR_DATA
# (default data/synthetic), PAIR_CFG_OPTIONS (extra --cfg-options for training, e.g.
# "randomness.seed=3"). Threads: tools/train.py's rule (OMP_NUM_THREADS, or half the cores).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=$ROOT/.venv/bin/python
MIM=$ROOT/.venv/bin/mim
CONFIG=${PAIR_CONFIG:-configs/pairnet_r18_synthetic.py}
WORK_DIR=${PAIR_WORK_DIR:-work_dirs/main_job}
DATA=${PAIR_DATA:-data/synthetic}
# absolute paths: mim runs the scripts from the installed package
case $WORK_DIR in /*) ;; *) WORK_DIR=$ROOT/$WORK_DIR ;; esac
case $DATA in /*) ;; *) DATA=$ROOT/$DATA ;; esac
# openmim 0.3.9 imports pkg_resources, which setuptools >= 81 warns about on import (four
# times per mim call); only that warning is silenced
export PYTHONWARNINGS="ignore:pkg_resources is deprecated as an API:UserWarning"
T0=$(date +%s)
say() { printf '\n[main_job %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

if [ ! -f "$DATA/annotations/train.json" ]; then
    say "generating the synthetic PaIR set in $DATA"
    PYTHONPATH=$ROOT "$PY" tools/data/generate_synthetic.py --out "$DATA"
fi
say "checking the synthetic set"
PYTHONPATH=$ROOT "$PY" tools/data/check_dataset.py "$DATA/annotations/val.json" --data-root "$DATA"

say "training: mim train pair_plugin $CONFIG"
# shellcheck disable=SC2086
"$MIM" train pair_plugin "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options train_dataloader.dataset.data_root="$DATA" \
    val_dataloader.dataset.data_root="$DATA" test_dataloader.dataset.data_root="$DATA" \
    ${PAIR_CFG_OPTIONS:-}
CKPT=$(cat "$WORK_DIR/last_checkpoint")

say "evaluating and drawing: mim test pair_plugin $CONFIG --checkpoint $CKPT"
"$MIM" test pair_plugin "$CONFIG" --checkpoint "$CKPT" --work-dir "$WORK_DIR/test" \
    --show-dir vis --out "$WORK_DIR/test/predictions.json" \
    --cfg-options test_dataloader.dataset.data_root="$DATA"

say "plotting the training curves"
"$PY" tools/analysis/plot_curves.py "$WORK_DIR" --out "$WORK_DIR/curves.png"

METRICS=$(ls -t "$WORK_DIR"/test/*/*.json 2>/dev/null | head -n 1)
VIS=$(ls -td "$WORK_DIR"/test/*/vis 2>/dev/null | head -n 1)
say "done"
cat <<EOM
  checkpoint:    $CKPT
  training log:  $(ls -t "$WORK_DIR"/2*/2*.log | head -n 1)
  curves:        $WORK_DIR/curves.png
  test metrics:  $METRICS
  predictions:   $WORK_DIR/test/predictions.json
  pictures:      $VIS
EOM
if [ -n "$METRICS" ]; then
    echo "  result on the test split, and the documented range (docs/benchmarks.md):"
    "$PY" tools/analysis/main_job_result.py "$METRICS" \
        --minutes "$(awk "BEGIN {print ($(date +%s) - $T0) / 60}")"
fi
