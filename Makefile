# custsync — the two quickstart commands are `make demo` and `make test`.
# Both create .venv when missing and install the project with the pinned versions in constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Prefect runs embedded, quiet and offline: no analytics, no telemetry. Its home is the demo's choice
# (.custsync/prefect, created by the demo itself) and the test suite's (a temporary directory).
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY := false
export PREFECT_SERVER_UI_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install test lint demo bench reliability clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: $(STAMP)
	$(BIN)/python flows/demo.py

bench: $(STAMP)
	@$(BIN)/python -c "import dlt, duckdb" 2>/dev/null || $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python benchmarks/run_all.py

reliability: $(STAMP)
	$(BIN)/python -m pytest -q tests/reliability tests/flows/test_prefect_home.py -m reliability --reliability-full

clean:
	rm -rf $(VENV) .custsync .pytest_cache
