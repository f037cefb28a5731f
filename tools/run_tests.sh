#!/usr/bin/env bash
# Install everything (tools/setup_env.sh, idempotent) and run the test suite.
# Extra arguments go to pytest. pytest's exit code 5 (no test collected) is a failure.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash tools/setup_env.sh || exit $?
# one pytest-xdist worker per core, at most 4 (each holds torch and mmdet, about 1 GiB), with
# each test file on one worker so that a module's fixtures are built once; `-n 0` in the
# arguments runs serially. One OpenMP thread per process: on shared cores, waiting threads
# cost more than they give.
WORKERS=$(nproc)
[ "$WORKERS" -gt 4 ] && WORKERS=4
[ "$WORKERS" -lt 2 ] && WORKERS=0
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} .venv/bin/python -m pytest -n "$WORKERS" --dist loadfile "$@"
rc=$?
if [ $rc -eq 5 ]; then
    echo "run_tests: pytest collected no test: that is a failure" >&2
    exit 1
fi
exit $rc
