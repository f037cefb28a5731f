#!/usr/bin/env bash
# Create (or update) .venv/ in the repository root with the pinned OpenMMLab stack and
# pair_plugin itself. Idempotent: a second run reuses the venv and the mmcv wheel built by
# the first one and takes seconds.
#
#   bash tools/setup_env.sh            # everything, then the package (non-editable, as users install it)
#
# Environment:
#   PAIR_VENV          venv folder (default: <repo>/.venv)
#   PAIR_PYTHON        interpreter that creates the venv (default: python3)
#   PAIR_WHEEL_CACHE   where the built mmcv wheel is kept (default: ~/.cache/pair_plugin/wheels)
#   PAIR_MMCV_CUDA     1/0 forces building mmcv's CUDA ops on/off (default: on iff nvcc is
#                      found and torch sees a GPU)
#   MAX_JOBS           parallel compile jobs for mmcv (default: number of cores)
#
# The pins live in requirements/*.txt; this script only says in which order and how.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${PAIR_VENV:-$ROOT/.venv}
PY_BOOT=${PAIR_PYTHON:-python3}
CACHE=${PAIR_WHEEL_CACHE:-$HOME/.cache/pair_plugin/wheels}
LOG_DIR=$VENV/setup-logs
REQ=$ROOT/requirements
T0=$(date +%s)

say() { printf '[setup_env %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

# step NAME CMD...: runs CMD with its output in a log file; on failure names the step, the
# command, and shows the end of the log, then exits non-zero.
step() {
    local name=$1; shift
    local log="$LOG_DIR/${name// /_}.log"
    say "$name"
    if ! "$@" >"$log" 2>&1; then
        echo "setup_env: step '$name' failed (exit $?). Command: $*" >&2
        echo "setup_env: last lines of $log:" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}

# --- interpreter and venv -------------------------------------------------------------
if ! command -v "$PY_BOOT" >/dev/null 2>&1; then
    echo "setup_env: step 'python' failed: '$PY_BOOT' not found; set PAIR_PYTHON to a Python 3.9-3.12 interpreter" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$(dirname "$VENV")"
    "$PY_BOOT" -m venv "$VENV" || { echo "setup_env: step 'create venv' failed: '$PY_BOOT -m venv $VENV' (is the venv module installed?)" >&2; exit 1; }
fi
mkdir -p "$LOG_DIR" "$CACHE"
PY=$VENV/bin/python
PIP=("$PY" -m pip --disable-pip-version-check)

# The dependencies are installed again only when the pins or this script changed since the
# last successful run (then pip itself decides what is missing); the package always is.
STAMP=$VENV/.pair_plugin-deps.sha256
DEPS_HASH=$(cat "$REQ"/*.txt "$ROOT/tools/setup_env.sh" | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$DEPS_HASH" ]; then
    say "dependencies unchanged since the last run (requirements/*.txt): not reinstalled"
    DEPS_DONE=1
else
    DEPS_DONE=0
    rm -f "$STAMP"
fi
# dep_step NAME CMD...: a dependency step, skipped when the stamp says it is done
dep_step() { [ "$DEPS_DONE" = 1 ] || step "$@"; }

dep_step "pip" "${PIP[@]}" install -q --upgrade "pip>=24"
dep_step "build tools" "${PIP[@]}" install -q -r "$REQ/build.txt"
dep_step "torch" "${PIP[@]}" install -q -r "$REQ/torch.txt"

# --- mmcv with its compiled ops -------------------------------------------------------
MMCV_VERSION=$(sed -n 's/^mmcv==\([0-9.]*\).*/\1/p' "$REQ/mmcv.txt")
TORCH_VERSION=$("$PY" -c "import torch; print(torch.__version__.split('+')[0])")
if [ -n "${PAIR_MMCV_CUDA:-}" ]; then
    WITH_CUDA=$PAIR_MMCV_CUDA
elif command -v nvcc >/dev/null 2>&1 && "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    WITH_CUDA=1
else
    WITH_CUDA=0
fi
FLAVOUR=$([ "$WITH_CUDA" = 1 ] && echo cuda || echo cpu)
MMCV_CACHE=$CACHE/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$FLAVOUR

mmcv_ok() {
    "$PY" - "$MMCV_VERSION" "$WITH_CUDA" <<'EOF' >/dev/null 2>&1
import sys
import mmcv
from mmcv.ops import nms  # noqa: F401  (fails when the compiled ops are missing)
import mmcv._ext as ext
assert mmcv.__version__ == sys.argv[1], mmcv.__version__
if sys.argv[2] == '1':
    import torch
    assert torch.cuda.is_available()
EOF
}

build_mmcv() {
    local src=$CACHE/src
    rm -rf "$src" && mkdir -p "$src"
    "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation -d "$src" "mmcv==$MMCV_VERSION" || return 1
    tar -xzf "$src"/mmcv-"$MMCV_VERSION".tar.gz -C "$src" || return 1
    # torch >= 2.10 headers refuse anything older than C++20.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$src/mmcv-$MMCV_VERSION/setup.py"
    grep -q -- '-std=c++20' "$src/mmcv-$MMCV_VERSION/setup.py" || { echo "C++20 edit did not apply"; return 1; }
    mkdir -p "$MMCV_CACHE"
    MMCV_WITH_OPS=1 FORCE_CUDA=$WITH_CUDA MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$MMCV_CACHE" "$src/mmcv-$MMCV_VERSION" || return 1
    rm -rf "$src"
}

if mmcv_ok; then
    say "mmcv $MMCV_VERSION with compiled ops already installed"
else
    if ! ls "$MMCV_CACHE"/mmcv-*.whl >/dev/null 2>&1; then
        say "building mmcv $MMCV_VERSION ($FLAVOUR ops) from source: about 10 minutes on 2 cores, once per machine"
        step "build mmcv" build_mmcv
    fi
    step "install mmcv" "${PIP[@]}" install -q --no-deps --force-reinstall "$MMCV_CACHE"/mmcv-*.whl
    # mmcv's own run-time dependencies (mmengine at its pin)
    step "mmcv deps" "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python \
        "$(grep '^mmengine' "$REQ/runtime.txt")"
    mmcv_ok || { echo "setup_env: step 'check mmcv' failed: mmcv installed but 'from mmcv.ops import nms' fails" >&2; exit 1; }
fi

# --- OpenMMLab libraries, mim, test tools -------------------------------------------------
dep_step "openmmlab" "${PIP[@]}" install -q -r "$REQ/runtime.txt" -r "$REQ/build.txt" -r "$REQ/torch.txt" "mmcv==$MMCV_VERSION"
dep_step "mim" "${PIP[@]}" install -q --no-deps "$(head -n 20 "$REQ/mim.txt" | grep '^openmim')"
dep_step "mim deps" "${PIP[@]}" install -q $(grep -v -e '^#' -e '^openmim' -e '^$' "$REQ/mim.txt") -r "$REQ/build.txt"
dep_step "test tools" "${PIP[@]}" install -q -r "$REQ/tests.txt"

# --- the package itself, as a user installs it (mim needs a real install) ------------------
step "pair_plugin" "${PIP[@]}" install -q --no-deps --no-build-isolation --force-reinstall "$ROOT"
rm -rf "$ROOT/build"

step "check imports" "$PY" -W ignore -c "
import mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models, mim, pkg_resources
import pair_plugin
print('pair_plugin', pair_plugin.__version__, 'torch', __import__('torch').__version__)
"
echo "$DEPS_HASH" > "$STAMP"
say "done: $VENV ($(cat "$LOG_DIR/check_imports.log"))"
