#!/usr/bin/env bash
# Install everything (tools/setup_env.sh, idempotent) and run the test suite.
# Extra arguments go to pytest. pytest's exit code 5 (no test collected) is a failure.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash tools/setup_env.sh || exit $?
# one OpenMP thread per process: on 2 shared cores, waiting threads cost more than they give
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} .venv/bin/python -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
    echo "run_tests: pytest collected no test: that is a failure" >&2
    exit 1
fi
exit $rc
