# The two commands a newcomer runs (see README.md). Both install everything first
# (tools/setup_env.sh: .venv/ with the pinned stack; idempotent, seconds once built).
.PHONY: env demo test lint

env:
	bash tools/setup_env.sh

# install, generate the synthetic set, train, evaluate, draw predictions
demo:
	bash tools/setup_env.sh
	bash tools/main_job.sh

# install and run the test suite
test:
	bash tools/run_tests.sh

# flake8, isort and yapf with the settings of setup.cfg (the test suite runs the first two)
LINT_PATHS = pair_plugin tools tests configs setup.py
lint:
	.venv/bin/flake8 $(LINT_PATHS)
	.venv/bin/isort --check-only --diff $(LINT_PATHS)
	.venv/bin/yapf --diff --recursive --parallel $(LINT_PATHS)
