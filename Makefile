# The two commands a newcomer runs (see README.md). Both install everything first
# (tools/setup_env.sh: .venv/ with the pinned stack; idempotent, seconds once built).
.PHONY: env demo test

env:
	bash tools/setup_env.sh

# install, generate the synthetic set, train, evaluate, draw predictions
demo:
	bash tools/setup_env.sh
	bash tools/main_job.sh

# install and run the test suite
test:
	bash tools/run_tests.sh
